"""The pulled connectors' syncs by kind: one entry point for the command, the task and the
admin's dry run."""

from collections.abc import Callable

from connectors.hubspot_services import hubspot_sync
from connectors.locks import connector_sync_lock
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


class ConnectorBusy(ConnectorInvalid):
    """Another process is syncing this connector."""


def connector_sync_locked(
    *, connector: Connector, dry_run: bool = False, progress: Callable[[int], None] = lambda n: None
) -> SyncSummary:
    """A sync (or, with `dry_run`, its preview: the same reads and writes, rolled back) while
    holding the connector's lock: `connectors sync [--dry-run]` and the admin's dry run."""
    if connector.kind not in SYNCS:
        raise ConnectorInvalid(f"{connector.name} is a {connector.kind} connector: it is pushed, "
                               "not synced")  # fmt: skip
    with connector_sync_lock(connector.pk) as held:
        if not held:
            raise ConnectorBusy(f"{connector.name} is being synced by another process; try later")
        return connector_sync_run(connector=connector, dry_run=dry_run, progress=progress)
