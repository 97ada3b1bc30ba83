"""Celery entry points of the playbooks app: thin wrappers around playbooks.services.

A run's actions are one task per run, acknowledged late: a worker killed mid-run leaves the
message unacknowledged, the broker redelivers it, and the steps recorded as done are skipped.
A webhook that fails in a retryable way is retried with exponential backoff (and jitter), up to
PLAYBOOK_WEBHOOK_RETRIES times; the last failure is recorded on the step and the run goes on.
"""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from playbooks.services import RetryLater, playbooks_evaluate_responses, run_execute


def retry_countdown(retries: int) -> int:
    """Seconds before retry number `retries + 1`: factor x 2^retries, at most an hour."""
    return get_exponential_backoff_interval(
        factor=settings.PLAYBOOK_WEBHOOK_BACKOFF,
        retries=retries,
        maximum=3600,
        full_jitter=False,
    )


@shared_task(bind=True, name="playbooks.execute_run", acks_late=True, max_retries=None)
def execute_run(self, run_id: int) -> dict:
    retries = self.request.retries
    final = retries >= settings.PLAYBOOK_WEBHOOK_RETRIES
    try:
        status = run_execute(run_id=run_id, final_attempt=final)
    except RetryLater as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(retries)) from exc
    return {"run": run_id, "status": status, "attempt": retries + 1}


@shared_task(name="playbooks.evaluate_responses", acks_late=True)
def evaluate_responses(response_ids: list[int]) -> dict:
    runs = playbooks_evaluate_responses(response_ids=response_ids)
    return {"responses": len(response_ids), "runs": len(runs)}
