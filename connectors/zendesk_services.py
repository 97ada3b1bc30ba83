"""Zendesk (support): tickets through zenpy's cursor-based incremental export.

A ticket's organization maps to an account (an identity set earlier or by an admin, else the
account whose external id is the organization's `external_id`). `first_response_at` and
"solved on first contact" come from the ticket's metrics (reply time, replies); priorities are
kpi-spec's own (low, normal, high, urgent). The export's cursor is kept after each page, so a
killed sync resumes there; zenpy itself waits out a 429's Retry-After.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from zenpy import Zenpy

from accounts.importer.batch import batch_upsert
from accounts.importer.fields import parse_timestamp
from accounts.importer.records import TICKETS
from accounts.models import Account, TicketPriority
from connectors import sql as connectors_sql
from connectors.models import Connector, IdentityKind
from connectors.services import (
    Changes,
    ConnectorInvalid,
    Delivery,
    Refusal,
    SyncSummary,
    connector_secrets,
    lenient,
)

PAGE = 100
WEBHOOK_TOLERANCE = timedelta(minutes=5)
SOLVED = frozenset({"solved", "closed"})


def zendesk_client(connector: Connector) -> Zenpy:
    token = connector_secrets(connector).get("api_token")
    subdomain, email = connector.settings.get("subdomain"), connector.settings.get("email")
    if not (token and subdomain and email):
        raise ConnectorInvalid(f"{connector.name} needs a subdomain, an agent email and a token")
    return Zenpy(subdomain=subdomain, email=email, token=token)


def zendesk_sync(
    *,
    connector: Connector,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda n: None,
    page_size: int = PAGE,
) -> SyncSummary:
    """Tickets changed since the stored cursor (from the beginning the first time), a page at
    a time; a dry run rolls everything back and says what would change."""
    client = zendesk_client(connector)
    summary = SyncSummary(Delivery(connector=connector, source="sync", dry_run=dry_run), Changes())
    organizations: dict[int, str | None] = {}
    with transaction.atomic() if dry_run else nullcontext():
        connector.refresh_from_db(fields=["state"])
        cursor = connector.state.get("cursor")
        while True:
            if cursor:
                page = client.tickets.incremental(cursor=cursor, paginate_by_time=False,
                                                  per_page=page_size)  # fmt: skip
            else:
                page = client.tickets.incremental(start_time=0, paginate_by_time=False,
                                                  per_page=page_size)  # fmt: skip
            tickets = [ticket.to_dict() for ticket in (page.values or [])]
            with transaction.atomic():
                zendesk_tickets_apply(connector, client, tickets, organizations, summary)
                summary.delivery.received += len(tickets)
                cursor = getattr(page, "after_cursor", None) or cursor
                connector.state = {**connector.state, "cursor": cursor}
                Connector.objects.filter(pk=connector.pk).update(state=connector.state)
            progress(len(tickets))
            if getattr(page, "end_of_stream", True) or not tickets:
                break
        summary.delivery.record()
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        # The cursor stays: the next sync asks only for tickets changed since.
        connector.last_success_at = timezone.now()
        connector.save(update_fields=["last_success_at"])
    return summary


def zendesk_signature(body: bytes, timestamp: str, secret: str) -> str:
    """Zendesk's webhook signature: base64 of HMAC-SHA256 over timestamp + body, keyed by the
    webhook's signing secret (sent as X-Zendesk-Webhook-Signature)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def zendesk_signature_valid(body: bytes, timestamp: str, signature: str, secret: str) -> bool:
    """A valid signature made within WEBHOOK_TOLERANCE of now (a replayed old call fails)."""
    try:
        sent = parse_timestamp(timestamp)
    except ValueError:
        return False
    if not secret or abs(timezone.now() - sent) > WEBHOOK_TOLERANCE:
        return False
    return hmac.compare_digest(zendesk_signature(body, timestamp, secret), signature)


def zendesk_ticket_apply(*, connector: Connector, ticket_id: int) -> Delivery:
    """A webhook named a new or solved ticket: read it and its metrics from Zendesk (the
    webhook's own fields are not trusted) and upsert it as a sync would."""
    client = zendesk_client(connector)
    summary = SyncSummary(Delivery(connector=connector, source="webhook"), Changes())
    with transaction.atomic():
        ticket = client.tickets(id=ticket_id).to_dict()
        zendesk_tickets_apply(connector, client, [ticket], {}, summary)
        summary.delivery.received = 1
        summary.delivery.record()
    return summary.delivery


def _accounts_of(connector, client, tickets, organizations: dict) -> dict[int, str | None]:
    """{organization id: account external_id or None} for the tickets' organizations."""
    wanted = {t["organization_id"] for t in tickets if t.get("organization_id")} - set(
        organizations
    )
    mapped = connectors_sql.identities_resolve(
        connector.pk, IdentityKind.ACCOUNT, sorted(str(o) for o in wanted)
    )
    for organization_id in wanted:
        account = mapped.get(str(organization_id))
        if account is None:
            external_id = client.organizations(id=organization_id).external_id
            if external_id and Account.objects.filter(external_id=external_id).exists():
                account = external_id
                connectors_sql.identities_remember(
                    connector.pk, IdentityKind.ACCOUNT, {str(organization_id): account}
                )
        organizations[organization_id] = account
    return organizations


def zendesk_tickets_apply(connector, client, tickets: list[dict], organizations, summary) -> None:
    accounts = _accounts_of(connector, client, tickets, organizations)
    items = []
    for ticket in tickets:
        organization = ticket.get("organization_id")
        account = accounts.get(organization) if organization else None
        if account is None:
            summary.delivery.refusals.append(Refusal(
                "tickets", "organization_id",
                f"Zendesk organization {organization} is not matched to an account"
                if organization else "the ticket has no organization",
                ticket, str(ticket["id"]),
                match_kind=IdentityKind.ACCOUNT if organization else "",
                match_id=str(organization or ""),
            ))  # fmt: skip
            continue
        metric = client.tickets.metrics(ticket["id"]).to_dict()
        items.append((ticket, ticket_item(ticket, metric, account)))
    result, refused = lenient(lambda batch: batch_upsert(TICKETS, batch), items)
    summary.delivery.applied += result.received if result else 0
    summary.changes.accounts |= {item["account_external_id"] for _, item in items}
    summary.changes.diffs += [f"{item['external_id']}: {item['account_external_id']}"
                              for _, item in items]  # fmt: skip
    summary.delivery.refusals += [
        Refusal("tickets", field, message, ticket, str(ticket["id"]))
        for ticket, field, message in refused
    ]


def ticket_item(ticket: dict[str, Any], metric: dict[str, Any], account: str) -> dict:
    """A ticket and its metrics as tickets.csv's columns (pure: tested row by row)."""
    opened = ticket["created_at"]
    reply = (metric.get("reply_time_in_minutes") or {}).get("calendar")
    first_response = None
    if reply is not None:
        first_response = (parse_timestamp(opened) + timedelta(minutes=int(reply))).isoformat()
    solved = ticket.get("status") in SOLVED
    priority = ticket.get("priority") or ""
    return {
        "external_id": f"zendesk-{ticket['id']}",
        "account_external_id": account,
        "subject": (ticket.get("subject") or "")[:500],
        "priority": priority if priority in TicketPriority.values else "",
        "opened_at": opened,
        "first_response_at": first_response,
        "resolved_at": (metric.get("solved_at") or ticket.get("updated_at")) if solved else None,
        # One agent reply (or none) before it was solved: solved on first contact.
        "resolved_on_first_contact": (int(metric.get("replies") or 0) <= 1) if solved else None,
    }
