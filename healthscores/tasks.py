"""Celery entry points of the healthscores app: rescoring stored snapshots."""

from datetime import date

from celery import shared_task

from healthscores.services import health_scores_recompute


@shared_task(name="healthscores.rescore")
def rescore(first: str, last: str) -> dict:
    rows = health_scores_recompute(first=date.fromisoformat(first), last=date.fromisoformat(last))
    return {"first": first, "last": last, "rows": rows}
