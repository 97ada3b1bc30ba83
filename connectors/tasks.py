"""Celery entry points of the connectors: pulled syncs, one at a time per connector."""

from datetime import timedelta

import stripe
from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from hubspot.crm.companies.exceptions import ApiException as HubSpotApiException

from connectors.locks import connector_sync_lock
from connectors.models import PULLED_KINDS, Connector
from connectors.services import connector_failed, connectors_failing_alert
from connectors.syncs import connector_sync_run

# A 429 beyond the sync's own waits, a 5xx beyond the client's retries, a lost connection.
RETRYABLE = (
    stripe.RateLimitError, stripe.APIError, stripe.APIConnectionError, HubSpotApiException,
    ConnectionError,
)  # fmt: skip


@shared_task(
    name="connectors.sync", bind=True, autoretry_for=RETRYABLE, retry_backoff=30,
    retry_backoff_max=900, retry_jitter=True, max_retries=6,
)  # fmt: skip
def connector_sync(self, connector_id: int) -> str:
    """Sync one connector, resuming from its stored cursor; skipped while another sync of it
    runs. A failure is kept on the connector (the admin shows it) and retried with backoff."""
    connector = Connector.objects.get(pk=connector_id)
    with connector_sync_lock(connector_id) as held:
        if not held:
            return "busy"
        try:
            summary = connector_sync_run(connector=connector)
        except Exception as exc:
            connector_failed(connector=connector, error=f"{type(exc).__name__}: {exc}")
            raise
    return summary.line(dry_run=False)


@shared_task(name="connectors.sync_due")
def connectors_sync_due() -> int:
    """Queue a sync of every active pulled connector not synced for CONNECTOR_SYNC_EVERY_MINUTES."""
    due = timezone.now() - timedelta(minutes=settings.CONNECTOR_SYNC_EVERY_MINUTES)
    connectors = Connector.objects.filter(kind__in=PULLED_KINDS, is_active=True).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=due)
    )
    ids = list(connectors.values_list("pk", flat=True))
    for connector_id in ids:
        connector_sync.delay(connector_id)
    return len(ids)


@shared_task(name="connectors.alert_failing")
def connectors_alert_failing() -> int:
    """Tell the admins about connectors failing for more than an hour (once each)."""
    return connectors_failing_alert()
