"""Segment's HTTP Tracking API spec, mapped to Northstar's record kinds (docs/connectors.md).

Pure functions from messages to the items the import's validators take: `group` is an account,
`identify` a contact, `track`, `page` and `screen` are usage events. Nothing here touches the
database; connectors.services resolves users to accounts and writes through the validators.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CALLS = ("batch", "track", "identify", "group", "page", "screen")
EVENT_TYPES = frozenset({"track", "page", "screen"})

# group traits -> accounts.csv columns. Segment's reserved traits first, then ours by name.
# `plan` is a customer-success segment here; `employees` has no field (docs/connectors.md).
GROUP_TRAITS = {
    "name": "name",
    "industry": "industry",
    "plan": "segment",
    "segment": "segment",
    "region": "region",
    "owner_email": "owner_email",
    "created_on": "created_on",
    "trial_started_on": "trial_started_on",
    "converted_on": "converted_on",
    "onboarded_on": "onboarded_on",
    "parent_external_id": "parent_external_id",
}
# identify traits -> contacts.csv columns.
IDENTIFY_TRAITS = {
    "name": "name",
    "email": "email",
    "title": "title",
    "is_champion": "is_champion",
    "left_on": "left_on",
}


@dataclass(frozen=True)
class Refusal:
    index: int  # the message's position in the request
    field: str
    message: str


@dataclass
class Plan:
    """What one request's messages ask for, in the order they must be written."""

    accounts: dict[str, tuple[int, dict]] = field(default_factory=dict)  # groupId -> last item
    memberships: dict[str, str] = field(default_factory=dict)  # userId -> groupId (last group)
    contacts: list[tuple[int, str, dict]] = field(default_factory=list)  # (index, user, traits)
    events: list[tuple[int, str | None, dict]] = field(default_factory=list)  # (i, group, item)
    refusals: list[Refusal] = field(default_factory=list)


def messages_of(call: str, body: Any) -> list[Any]:
    """The messages of a request body: a batch's list, or the single message of a call."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    if call == "batch":
        messages = body.get("batch")
        if not isinstance(messages, list):
            raise ValueError('a batch must be {"batch": [...]}')
        return messages
    if call != "" and "type" not in body:
        body = {**body, "type": call}
    return [body]


def plan_messages(messages: list[tuple[int, Any]]) -> Plan:
    plan = Plan()
    for index, message in messages:
        if not isinstance(message, dict):
            plan.refusals.append(Refusal(index, "(message)", "must be a JSON object"))
            continue
        kind = message.get("type")
        if kind == "group":
            _plan_group(plan, index, message)
        elif kind == "identify":
            _plan_identify(plan, index, message)
        elif kind in EVENT_TYPES:
            _plan_event(plan, index, message)
        elif kind != "alias":  # alias links anonymous ids; Northstar keeps none, so it is a no-op
            plan.refusals.append(Refusal(index, "type", f"unknown message type {kind!r}"))
    return plan


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def user_of(message: Mapping) -> str | None:
    return _text(message.get("userId")) or _text(message.get("anonymousId"))


def context_group(message: Mapping) -> str | None:
    context = message.get("context")
    return _text(context.get("groupId")) if isinstance(context, dict) else None


def _traits(message: Mapping) -> dict:
    traits = message.get("traits")
    return traits if isinstance(traits, dict) else {}


def _user_traits(message: Mapping) -> dict:
    """An identify's traits: RudderStack's SDK sends them in context.traits, Segment's at the
    top level (both are the spec's); the top level wins."""
    context = message.get("context")
    inner = context.get("traits") if isinstance(context, dict) else None
    return {**(inner if isinstance(inner, dict) else {}), **_traits(message)}


def _plan_group(plan: Plan, index: int, message: Mapping) -> None:
    group_id = _text(message.get("groupId"))
    if group_id is None:
        plan.refusals.append(Refusal(index, "groupId", "is required for a group call"))
        return
    traits = _traits(message)
    item = {column: traits[trait] for trait, column in GROUP_TRAITS.items() if trait in traits}
    previous = plan.accounts.get(group_id)
    # The same group twice in one request: later traits win, earlier ones are kept.
    plan.accounts[group_id] = (index, {**(previous[1] if previous else {}), **item})
    user = _text(message.get("userId"))
    if user is not None:
        plan.memberships[user] = group_id


def _plan_identify(plan: Plan, index: int, message: Mapping) -> None:
    user = _text(message.get("userId"))
    if user is None:
        plan.refusals.append(Refusal(index, "userId", "is required for an identify call"))
        return
    traits = _user_traits(message)
    item = {column: traits[trait] for trait, column in IDENTIFY_TRAITS.items() if trait in traits}
    if "name" not in item and (traits.get("firstName") or traits.get("lastName")):
        item["name"] = " ".join(filter(None, (traits.get("firstName"), traits.get("lastName"))))
    group = context_group(message) or _company_id(traits)
    if group is not None:
        item["account_external_id"] = group
    plan.contacts.append((index, user, item))


def _company_id(traits: Mapping) -> str | None:
    company = traits.get("company")
    return _text(company.get("id")) if isinstance(company, dict) else None


def _plan_event(plan: Plan, index: int, message: Mapping) -> None:
    user = user_of(message)
    if user is None:
        plan.refusals.append(Refusal(index, "userId", "userId or anonymousId is required"))
        return
    properties = message.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    feature = _text(properties.get("feature"))
    if feature is None:
        name = "event" if message["type"] == "track" else "name"
        feature = _text(message.get(name)) or message["type"]
    item = {
        "user_id": user,
        "feature": feature,
        "occurred_at": _text(message.get("timestamp"))
        or _text(message.get("originalTimestamp"))
        or datetime.now(UTC).isoformat(),
    }
    plan.events.append((index, context_group(message), item))
