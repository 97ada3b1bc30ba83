"""The pulled connectors' syncs by kind: one entry point for the command and the task."""

from collections.abc import Callable

from connectors.hubspot_services import hubspot_sync
from connectors.models import Connector, ConnectorKind
from connectors.services import ConnectorInvalid, SyncSummary
from connectors.stripe_services import stripe_sync
from connectors.zendesk_services import zendesk_sync

SYNCS: dict[str, Callable[..., SyncSummary]] = {
    ConnectorKind.STRIPE: stripe_sync,
    ConnectorKind.HUBSPOT: hubspot_sync,
    ConnectorKind.ZENDESK: zendesk_sync,
}


def connector_sync_run(
    *, connector: Connector, dry_run: bool = False, progress: Callable[[int], None] = lambda n: None
) -> SyncSummary:
    if connector.kind not in SYNCS:
        raise ConnectorInvalid(f"{connector.name} is pushed, not synced")
    return SYNCS[connector.kind](connector=connector, dry_run=dry_run, progress=progress)
