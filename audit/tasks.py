"""Celery entry points of the audit log: the daily retention prune."""

from celery import shared_task

from audit.services import audit_prune


@shared_task(name="audit.prune")
def prune() -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS; returns how many."""
    return audit_prune()
