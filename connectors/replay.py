"""The inbox's replay: once an admin maps an external id to an account (or creates it), the
records that waited for that id are applied through their source's own path, as if they had
just arrived; one refused again lands in the inbox anew, with its new reason.

Here rather than in services.py because it dispatches to each source's services, which import
services.py.
"""

from itertools import groupby
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from accounts.importer.batch import batch_upsert
from accounts.importer.records import ACCOUNTS
from accounts.models import Account
from audit import services as audit
from connectors import hubspot_services, segment_services, stripe_services, zendesk_services
from connectors.models import Connector, ConnectorKind, InboxItem
from connectors.services import Changes, ConnectorInvalid, Delivery, SyncSummary

CHUNK = 1000  # Segment messages replayed per statement set


def inbox_item_map(*, item: InboxItem, account: Account) -> Delivery:
    """Map the item's id to an account, once (every later record of that id follows it), then
    replay every open item waiting on the same id. One transaction: a replay that fails (the
    source's API for a Zendesk ticket's metrics) leaves the mapping unmade and the items open."""
    if not item.match_kind:
        raise ConnectorInvalid("this record was refused by a validator; mapping cannot fix it")
    with transaction.atomic():
        waiting = list(
            InboxItem.objects.select_for_update()
            .filter(connector=item.connector, match_kind=item.match_kind, match_id=item.match_id,
                    resolved_at__isnull=True)
            .order_by("created_at", "pk")
        )  # fmt: skip
        item.connector.identities.update_or_create(
            kind=item.match_kind, external_id=item.match_id, defaults={"object_id": account.pk}
        )
        InboxItem.objects.filter(pk__in=[w.pk for w in waiting]).update(resolved_at=timezone.now())
        details = {"account_id": account.pk, "match_id": item.match_id, "resolved": len(waiting)}
        audit.record("inboxitem.map", obj=item, details=details)
        return inbox_items_replay(connector=item.connector, items=waiting)


def inbox_item_create_account(*, item: InboxItem, name: str) -> tuple[Account, Delivery]:
    """Create the account an unmatched id stands for (external_id = that id) through the
    import's validator, then map the id to it and replay what waited."""
    if not item.match_kind:
        raise ConnectorInvalid("this record was refused by a validator; mapping cannot fix it")
    with transaction.atomic():
        batch_upsert(ACCOUNTS, [{"external_id": item.match_id, "name": name}])
        account = Account.objects.get(external_id=item.match_id)
        audit.record_created("account.create", account)
        return account, inbox_item_map(item=item, account=account)


def inbox_items_replay(*, connector: Connector, items: list[InboxItem]) -> Delivery:
    """Apply the items' payloads again through their source's path; logged as a "replay"
    delivery (its refusals are new inbox items)."""
    replay, needs = REPLAYS[ConnectorKind(connector.kind)]
    # An item without the record it stood for (one made by hand) is resolved, not replayed.
    return replay(connector, [i for i in items if isinstance(i.payload, dict) and
                              needs <= i.payload.keys()])  # fmt: skip


def _segment(connector: Connector, items: list[InboxItem]) -> Delivery:
    total = Delivery(connector=connector, source="replay")
    for start in range(0, len(items), CHUNK):
        messages = [item.payload for item in items[start : start + CHUNK]]
        delivery = segment_services.segment_messages_replay(connector=connector, messages=messages)
        total.received += delivery.received
        total.applied += delivery.applied
        total.refusals += delivery.refusals
    return total


def _stripe(connector: Connector, items: list[InboxItem]) -> Delivery:
    """Each subscription state as of the day it arrived (a webhook's change, a sync's state),
    oldest first, so the contract rows close and open as they would have."""
    summary = SyncSummary(Delivery(connector=connector, source="replay"), Changes())
    for day, group in groupby(items, key=lambda item: timezone.localdate(item.created_at)):
        for item in group:
            stripe_services.stripe_subscriptions_apply(
                connector, [item.payload], on=day, summary=summary
            )
    summary.delivery.record()
    return summary.delivery


def _hubspot(connector: Connector, items: list[InboxItem]) -> Delivery:
    contacts = [SimpleNamespace(id=i.payload["id"], properties=i.payload["properties"])
                for i in items]  # fmt: skip
    summary = SyncSummary(Delivery(connector=connector, source="replay"), Changes())
    summary.delivery.received = len(contacts)
    hubspot_services.hubspot_contacts_apply(connector, contacts, summary)
    summary.delivery.record()
    return summary.delivery


def _zendesk(connector: Connector, items: list[InboxItem]) -> Delivery:
    """The tickets as they were sent; their metrics are read from Zendesk (as a sync does)."""
    summary = SyncSummary(Delivery(connector=connector, source="replay"), Changes())
    summary.delivery.received = len(items)
    client = zendesk_services.zendesk_client(connector)
    zendesk_services.zendesk_tickets_apply(
        connector, client, [item.payload for item in items], {}, summary
    )
    summary.delivery.record()
    return summary.delivery


# Each source's replay, and the keys its payloads must have.
REPLAYS = {
    ConnectorKind.SEGMENT: (_segment, {"type"}),
    ConnectorKind.STRIPE: (_stripe, {"id", "customer"}),
    ConnectorKind.HUBSPOT: (_hubspot, {"id", "properties"}),
    ConnectorKind.ZENDESK: (_zendesk, {"id"}),
}
