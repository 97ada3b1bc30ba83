"""Reads of the connectors app."""

from django.db.models import Exists, OuterRef, QuerySet

from connectors.models import Connector, ConnectorKind, ExternalIdentity, IdentityKind, InboxItem
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
