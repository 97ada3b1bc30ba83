"""Segment-compatible ingestion: a request's messages written through the import's validators.

`group` upserts accounts (batch_upsert with ACCOUNTS), `identify` contacts (CONTACTS), `track`,
`page` and `screen` add to the daily usage rows (batch_clean with EVENTS, then the API's roll-up).
Everything of one request commits together, with its message ids: a resent message is skipped.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from accounts.importer.batch import batch_clean, batch_upsert
from accounts.importer.records import ACCOUNTS, CONTACTS, EVENTS
from accounts.models import Account, Contact
from accounts.services import import_log_touch
from api.services import usage_events_roll_up
from connectors import segment
from connectors import sql as connectors_sql
from connectors.models import Connector, IdentityKind
from connectors.services import Delivery, Refusal, lenient

_UNKNOWN_ACCOUNT = "account_external_id"


def segment_messages_record(*, connector: Connector, messages: Sequence[Any]) -> Delivery:
    """Apply one request's messages; the delivery says what was applied, skipped and refused
    (the refusals are in the inbox)."""
    delivery = Delivery(connector=connector, source="push", received=len(messages))
    with transaction.atomic():
        _apply(connector, _fresh(connector, messages, delivery), messages, delivery)
    return delivery


def segment_messages_replay(*, connector: Connector, messages: Sequence[Any]) -> Delivery:
    """Apply again messages that waited in the inbox (their ids were claimed when they first
    came, so no claim here), once an admin mapped the id they waited for."""
    delivery = Delivery(connector=connector, source="replay", received=len(messages))
    with transaction.atomic():
        _apply(connector, list(enumerate(messages)), messages, delivery)
    return delivery


def _apply(connector: Connector, fresh: list, messages: Sequence[Any], delivery: Delivery) -> None:
    plan = segment.plan_messages(fresh)
    delivery.refusals += [
        _refusal(messages[r.index], "messages", r.field, r.message) for r in plan.refusals
    ]
    resolver = _Resolver(connector, plan)
    _apply_groups(connector, plan, resolver, messages, delivery)
    _apply_contacts(plan, resolver, messages, delivery)
    _apply_events(plan, resolver, messages, delivery)
    delivery.record()
    if delivery.applied:
        transaction.on_commit(
            lambda: import_log_touch(kind="usage", rows=delivery.applied, source="segment")
        )


def _fresh(connector: Connector, messages: Sequence[Any], delivery: Delivery) -> list:
    """(index, message) of the messages not applied before; a messageId counts once."""
    ids = [m.get("messageId") if isinstance(m, dict) else None for m in messages]
    claimed = connectors_sql.messages_claim(connector.pk, [str(i) for i in ids if i])
    fresh = []
    for index, (message, message_id) in enumerate(zip(messages, ids, strict=True)):
        if message_id and str(message_id) not in claimed:
            delivery.duplicates += 1
            continue
        claimed.discard(str(message_id))  # a second copy in the same request is a duplicate too
        fresh.append((index, message))
    return fresh


def _refusal(message: Any, kind: str, field: str, text: str, **match: str) -> Refusal:
    external_id = ""
    if isinstance(message, dict):
        external_id = str(message.get("messageId") or "")
    return Refusal(kind, field, text, message, external_id=external_id, **match)


class _Resolver:
    """Source ids to account external ids: a groupId an admin mapped in the inbox, else the
    groupId itself; a user's last group, from this request's group calls or an earlier one."""

    def __init__(self, connector: Connector, plan: segment.Plan):
        self.connector = connector
        groups = set(plan.accounts) | {group for _, group, _ in plan.events if group}
        groups |= {item.get("account_external_id") for *_, item in plan.contacts} - {None}
        # A connector read without `has_mappings` (not by its write key) looks them up.
        self.mapped = (
            connectors_sql.identities_resolve(connector.pk, IdentityKind.ACCOUNT, sorted(groups))
            if getattr(connector, "has_mappings", True)
            else {}
        )
        self.memberships = plan.memberships
        users = {user for _, user, _ in plan.contacts} | {
            item["user_id"] for _, group, item in plan.events if group is None
        }
        self.last_groups = connectors_sql.identities_resolve(
            connector.pk, IdentityKind.USER, sorted(users - set(plan.memberships))
        )

    def group(self, group_id: str) -> str:
        return self.mapped.get(group_id, group_id)

    def user(self, user_id: str) -> str | None:
        if user_id in self.memberships:
            return self.group(self.memberships[user_id])
        return self.last_groups.get(user_id)


def _apply_groups(connector, plan, resolver, messages, delivery) -> None:
    if not plan.accounts:
        return
    targets = {group: resolver.group(group) for group in plan.accounts}
    names = dict(
        Account.objects.filter(external_id__in=set(targets.values())).values_list(
            "external_id", "name"
        )
    )
    items = []
    for group, (index, traits) in plan.accounts.items():
        account = targets[group]
        # name is required by the validator; a group call without one keeps the stored name.
        name = traits.get("name") or names.get(account) or group
        items.append((index, {**traits, "external_id": account, "name": name}))
    result, refused = lenient(lambda batch: batch_upsert(ACCOUNTS, batch), items)
    delivery.applied += result.received if result else 0
    delivery.refusals += [_refusal(messages[i], "accounts", f, m) for i, f, m in refused]
    connectors_sql.identities_remember(
        connector.pk, IdentityKind.USER,
        {user: targets[group] for user, group in plan.memberships.items()},
    )  # fmt: skip


def _apply_contacts(plan, resolver, messages, delivery) -> None:
    if not plan.contacts:
        return
    emails = {item["email"] for *_, item in plan.contacts if item.get("email")}
    by_email = dict(Contact.objects.filter(email__in=emails).values_list("email", "external_id"))
    merged: dict[str, tuple[int, dict]] = {}
    for index, user, traits in plan.contacts:
        account = traits.get("account_external_id")
        account = resolver.group(account) if account else resolver.user(user)
        if account is None:
            delivery.refusals.append(_no_group(messages[index], "contacts", user))
            continue
        # By email first: a contact imported under another id is the same person.
        external_id = by_email.get(traits.get("email"), user)
        previous = merged.get(external_id, (index, {}))[1]
        item = {**previous, **traits, "external_id": external_id, "account_external_id": account}
        merged[external_id] = (index, item)
    result, refused = lenient(lambda batch: batch_upsert(CONTACTS, batch), list(merged.values()))
    delivery.applied += result.received if result else 0
    accounts = {index: item["account_external_id"] for index, item in merged.values()}
    delivery.refusals += [
        _checked(messages[i], "contacts", f, m, accounts[i]) for i, f, m in refused
    ]


def _apply_events(plan, resolver, messages, delivery) -> None:
    items = []
    for index, group, item in plan.events:
        account = resolver.group(group) if group else resolver.user(item["user_id"])
        if account is None:
            delivery.refusals.append(_no_group(messages[index], "events", item["user_id"]))
            continue
        items.append((index, {**item, "account_external_id": account}))
    if not items:
        return
    rows, refused = lenient(lambda batch: batch_clean(EVENTS, batch), items)
    if rows:
        usage_events_roll_up(rows=rows)
        delivery.applied += len(rows)
    accounts = {index: item["account_external_id"] for index, item in items}
    delivery.refusals += [_checked(messages[i], "events", f, m, accounts[i]) for i, f, m in refused]


def _no_group(message: Any, kind: str, user: str) -> Refusal:
    return _refusal(
        message, kind, "userId",
        f"user {user!r} has no group yet (send a group call first, or context.groupId)",
        match_kind=IdentityKind.USER, match_id=user,
    )  # fmt: skip


def _checked(message: Any, kind: str, field: str, text: str, account: str) -> Refusal:
    """A validator's refusal; an unknown account is unmatched (an admin may map the id)."""
    if field == _UNKNOWN_ACCOUNT and text.startswith("unknown account"):
        return _refusal(
            message, kind, field, text, match_kind=IdentityKind.ACCOUNT, match_id=account
        )
    return _refusal(message, kind, field, text)
