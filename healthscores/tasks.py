"""Celery entry points of the healthscores app: rescoring stored snapshots."""

from datetime import date

from celery import shared_task

from healthscores.services import rescore_job_run


@shared_task(name="healthscores.rescore")
def rescore(first: str, last: str, job_id: int | None = None) -> dict:
    """One part of a rescore job (healthscores.RescoreJob): its dates, its progress."""
    rows = rescore_job_run(
        job_id=job_id, first=date.fromisoformat(first), last=date.fromisoformat(last)
    )
    return {"first": first, "last": last, "rows": rows}
