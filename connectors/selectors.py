"""Reads of the connectors app."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from connectors.models import (
    Connector,
    ConnectorKind,
    ExternalIdentity,
    IdentityKind,
    InboxItem,
    SyncBatch,
)
from connectors.services import write_key_sha256


def segment_connector_for_key(text: str) -> Connector | None:
    """The active Segment connector of a write key (one indexed lookup by its SHA-256), with
    `has_mappings`: whether an admin mapped any groupId, so that a delivery skips looking its
    groupIds up when none was."""
    if not text:
        return None
    mappings = ExternalIdentity.objects.filter(connector=OuterRef("pk"), kind=IdentityKind.ACCOUNT)
    return (
        Connector.objects.filter(
            kind=ConnectorKind.SEGMENT, is_active=True, write_key_sha256=write_key_sha256(text)
        )
        .annotate(has_mappings=Exists(mappings))
        .first()
    )


def inbox_open() -> QuerySet[InboxItem]:
    return (
        InboxItem.objects.filter(resolved_at__isnull=True)
        .select_related("connector")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class ConnectorFreshness:
    """One connector on the freshness line: when it last succeeded, and whether it is failing
    (its last error is newer than its last success)."""

    name: str
    kind: str
    last_success_at: datetime | None
    last_error_at: datetime | None

    @property
    def is_failing(self) -> bool:
        return self.last_error_at is not None and (
            self.last_success_at is None or self.last_error_at > self.last_success_at
        )


def connectors_freshness() -> list[ConnectorFreshness]:
    """Every active connector with its last success, for the freshness line of every page: ONE
    query whatever the number of connectors. A pulled connector succeeds when a sync finishes
    (`last_success_at`); a pushed one (Segment, a webhook) when a delivery was logged, read from
    its newest sync batch (syncbatch_recent_idx), so a delivery never updates the connector's
    row (a hot row at thousands of requests a second)."""
    last_delivery = (
        SyncBatch.objects.filter(connector=OuterRef("pk"), dry_run=False)
        .filter(source__in=("push", "webhook"))
        .order_by("-started_at")
        .values("finished_at")[:1]
    )
    rows = (
        Connector.objects.filter(is_active=True)
        .annotate(last_delivery=Subquery(last_delivery))
        .order_by("name")
        .values_list("name", "kind", "last_success_at", "last_delivery", "last_error_at")
    )
    return [
        ConnectorFreshness(name, kind, _latest(success, delivery), error)
        for name, kind, success, delivery, error in rows
    ]


def _latest(*moments: datetime | None) -> datetime | None:
    return max((moment for moment in moments if moment is not None), default=None)
