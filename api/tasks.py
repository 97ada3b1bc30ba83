"""Celery entry points of the API app: thin wrappers around api.services."""

from celery import shared_task

from api.services import event_sessions_prune, idempotency_keys_prune


@shared_task(name="api.prune")
def prune() -> dict:
    """Forget week-old Idempotency-Keys and the session ids of usage days past two weeks."""
    return {"idempotency_keys": idempotency_keys_prune(), "event_sessions": event_sessions_prune()}
