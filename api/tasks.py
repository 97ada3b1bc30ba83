"""Celery entry points of the API app: thin wrappers around api.services."""

from celery import shared_task

from api.services import idempotency_keys_prune


@shared_task(name="api.prune_idempotency_keys")
def prune_idempotency_keys() -> dict:
    """Forget Idempotency-Keys older than a week (retries come within minutes)."""
    return {"deleted": idempotency_keys_prune()}
