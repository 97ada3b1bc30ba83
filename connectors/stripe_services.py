"""Stripe: subscriptions become contract rows, from webhooks and from a paginated backfill.

A subscription's contract rows are `stripe:<subscription>:<YYYYMMDD of start>`. Each change of
its MRR closes the open row the day before the change and opens the next one on that day, so
kpi-spec's movement rules (new, expansion, contraction, churn, reactivation) read the history
unchanged. Rows are written through the import's CONTRACTS validator (batch_upsert).
"""

import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.importer.batch import batch_upsert
from accounts.importer.records import CONTRACTS
from accounts.models import Account, Contract
from accounts.services import import_log_touch
from connectors import sql as connectors_sql
from connectors.models import Connector, IdentityKind
from connectors.services import (
    Changes,
    ConnectorInvalid,
    Delivery,
    Refusal,
    SyncSummary,
    connector_secrets,
    identity_account_set,
    lenient,
)
from connectors.stripe_mrr import PriceUnsupported, subscription_mrr

PAGE = 100  # Stripe's largest list page
RATE_LIMIT_RETRIES = 5
MAX_WAIT = 60  # seconds: a longer Retry-After is capped (the Celery task retries later anyway)


def _local_date(timestamp: int | None) -> date | None:
    if timestamp is None:
        return None
    return timezone.localdate(datetime.fromtimestamp(int(timestamp), tz=UTC))


def stripe_event_apply(*, connector: Connector, event: Mapping[str, Any]) -> Delivery:
    """One verified webhook event: customer.* events map customers to accounts (by
    metadata.northstar_account); customer.subscription.* events change contract rows as of the
    event's date. An event id is applied once, however often Stripe resends it."""
    delivery = Delivery(connector=connector, source="webhook", received=1)
    with transaction.atomic():
        if not connectors_sql.messages_claim(connector.pk, [event["id"]]):
            delivery.duplicates = 1
        else:
            kind, obj = event.get("type", ""), event["data"]["object"]
            if kind.startswith("customer.subscription."):
                on = _local_date(event.get("created")) or timezone.localdate()
                changes = Changes()
                _subscriptions_apply(connector, [obj], on=on, delivery=delivery, changes=changes)
            elif kind in ("customer.created", "customer.updated"):
                _customers_match(connector, [obj], delivery=None)
        delivery.record()
    return delivery


def _customers_match(
    connector: Connector, customers: Iterable[Any], delivery: Delivery | None
) -> dict[str, str]:
    """{customer id: account external_id}: by metadata.northstar_account (remembered as an
    identity), else by an identity set earlier (or by an admin in the inbox)."""
    ids, by_metadata = set(), {}
    for customer in customers:
        if isinstance(customer, Mapping):
            ids.add(customer["id"])
            wanted = (customer.get("metadata") or {}).get("northstar_account")
            if wanted:
                by_metadata[customer["id"]] = wanted
        elif customer:
            ids.add(customer)
    accounts = {
        a.external_id: a for a in Account.objects.filter(external_id__in=set(by_metadata.values()))
    }
    matched = connectors_sql.identities_resolve(connector.pk, IdentityKind.ACCOUNT, sorted(ids))
    for customer_id, wanted in by_metadata.items():
        if wanted in accounts:
            if matched.get(customer_id) != wanted:
                identity_account_set(
                    connector=connector, external_id=customer_id, account=accounts[wanted]
                )
            matched[customer_id] = wanted
    return matched


def _customer_id(subscription: Mapping[str, Any]) -> str:
    customer = subscription.get("customer")
    return customer["id"] if isinstance(customer, Mapping) else str(customer or "")


def _subscriptions_apply(
    connector: Connector,
    subscriptions: list[Mapping[str, Any]],
    *,
    on: date,
    delivery: Delivery,
    changes: Changes,
) -> None:
    """Contract rows for the subscriptions' states on `on`, written in one batch_upsert."""
    customers = _customers_match(
        connector, [s.get("customer") for s in subscriptions], delivery=delivery
    )
    rows = _rows_of([s["id"] for s in subscriptions])
    batch: list[tuple[Any, dict]] = []
    for subscription in subscriptions:
        account = customers.get(_customer_id(subscription))
        if account is None:
            delivery.refusals.append(_unmatched(subscription))
            continue
        try:
            mrr = subscription_mrr(subscription, currency=settings.CURRENCY)
        except PriceUnsupported as exc:
            delivery.refusals.append(
                Refusal("contracts", "mrr", str(exc), dict(subscription), subscription["id"])
            )
            continue
        rows_so_far = rows.get(subscription["id"], [])
        items = _contract_items(subscription, mrr, account, rows_so_far, on, changes)
        batch += [(subscription, item) for item in items]
    if not batch:
        return
    result, refused = lenient(lambda items: batch_upsert(CONTRACTS, items), batch)
    delivery.applied += result.received if result else 0
    changes.items += [(s["id"], item) for s, item in batch]
    delivery.refusals += [Refusal("contracts", f, m, dict(s), s["id"]) for s, f, m in refused]
    if result:
        transaction.on_commit(
            lambda: import_log_touch(kind="contracts", rows=result.received, source="stripe")
        )


def _unmatched(subscription: Mapping[str, Any]) -> Refusal:
    customer = _customer_id(subscription)
    return Refusal(
        "contracts", "customer",
        f"Stripe customer {customer!r} is not matched to an account (set its metadata "
        "northstar_account, or map it in the inbox)",
        dict(subscription), subscription["id"],
        match_kind=IdentityKind.ACCOUNT, match_id=customer,
    )  # fmt: skip


def _rows_of(subscription_ids: list[str]) -> dict[str, list[dict]]:
    """The contract rows of each subscription so far, oldest first."""
    if not subscription_ids:
        return {}
    match = Q()
    for subscription_id in subscription_ids:
        match |= Q(external_id__startswith=f"stripe:{subscription_id}:")
    rows: dict[str, list[dict]] = {}
    contracts = (
        Contract.objects.filter(match)
        .order_by("start_date")
        .values(
            "external_id", "account__external_id", "plan", "start_date", "end_date", "mrr", "seats"
        )
    )
    for row in contracts:
        rows.setdefault(row["external_id"].split(":")[1], []).append(row)
    return rows


def _item(subscription_id: str, account: str, start: date, end: date | None, mrr: Decimal,
          plan: str, seats: int | None) -> dict:  # fmt: skip
    return {
        "external_id": f"stripe:{subscription_id}:{start:%Y%m%d}",
        "account_external_id": account,
        "plan": plan,
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
        "mrr": str(mrr),
        "seats": seats,
    }


def _contract_items(subscription, mrr, account, rows, on, changes) -> list[dict]:
    """The contract rows to write for one subscription's state on `on` (see module doc)."""
    sid = subscription["id"]
    open_row = next((row for row in rows if row["end_date"] is None), None)
    items: list[dict] = []
    if open_row is None:
        start = _paid_from(subscription)
        ended = _local_date(subscription.get("ended_at"))
        if mrr.mrr > 0:
            start = start if not rows else on  # back after a churn: from the change on
            items.append(_item(sid, account, start, None, mrr.mrr, mrr.plan, mrr.seats))
        elif (
            not rows and subscription.get("status") == "canceled" and ended and mrr.value > 0
            and ended - timedelta(days=1) >= start  # it was paid for a while: keep that history
        ):  # fmt: skip
            items.append(_item(sid, account, start, ended - timedelta(days=1), mrr.value,
                                   mrr.plan, mrr.seats))  # fmt: skip
    else:
        old = (Decimal(open_row["mrr"]), open_row["plan"], open_row["seats"])
        start, row_account = open_row["start_date"], open_row["account__external_id"]
        if mrr.mrr > 0 and old == (mrr.mrr, mrr.plan, mrr.seats):
            return []
        if mrr.mrr > 0 and (start >= on or old[0] == mrr.mrr):
            # Changed on the day it started, or only its plan name or seats: rewritten in place.
            items.append(_item(sid, row_account, start, None, mrr.mrr, mrr.plan, mrr.seats))
        else:
            ended = _local_date(subscription.get("ended_at"))
            stop = (ended if mrr.mrr == 0 and ended else on) - timedelta(days=1)
            closed_mrr = old[0] if stop >= start else Decimal("0.00")
            items.append(
                _item(sid, row_account, start, max(stop, start), closed_mrr, old[1], old[2])
            )
            changes.ended += 1
            if mrr.mrr > 0:
                items.append(_item(sid, account, on, None, mrr.mrr, mrr.plan, mrr.seats))
    for item in items:
        changes.accounts.add(item["account_external_id"])
        changes.diffs.append(
            f"{item['external_id']}: {item['account_external_id']} {item['start_date']}.."
            f"{item['end_date'] or ''} mrr {item['mrr']}"
        )
    return items


def _paid_from(subscription: Mapping[str, Any]) -> date:
    """The first paid day: the trial's end when it had one, else its start."""
    start = subscription.get("start_date") or subscription.get("created")
    trial_end = subscription.get("trial_end")
    if trial_end and (start is None or trial_end > start):
        start = trial_end
    return _local_date(start) or timezone.localdate()


# --- The backfill -----------------------------------------------------------------------------


def stripe_client(connector: Connector) -> stripe.StripeClient:
    api_key = connector_secrets(connector).get("api_key")
    if not api_key:
        raise ConnectorInvalid(f"{connector.name} has no API key: set one to sync")
    base = connector.settings.get("api_base")
    return stripe.StripeClient(
        api_key, base_addresses={"api": base} if base else None, max_network_retries=3
    )


def _retry_after(exc: stripe.StripeError) -> float:
    headers = {name.lower(): value for name, value in (exc.headers or {}).items()}
    try:
        return min(MAX_WAIT, max(1.0, float(headers.get("retry-after", 1))))
    except ValueError:
        return 1.0


def stripe_sync(
    *,
    connector: Connector,
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda n: None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = PAGE,
) -> SyncSummary:
    """Every subscription (status all) through the client's auto-pagination, a page at a time.

    Each page is applied in its own transaction with the cursor (the page's last subscription
    id) in `connector.state`, so a killed sync resumes after the last page it committed. A 429
    waits the Retry-After and resumes from the cursor. A dry run does the same inside one
    transaction that is rolled back: it writes nothing and says what would change."""
    client = stripe_client(connector)
    summary = SyncSummary(Delivery(connector=connector, source="sync", dry_run=dry_run), Changes())
    # Accounts with a contract before the sync: the others it gives one are new customers.
    before = set(
        Account.objects.filter(contracts__isnull=False).values_list("external_id", flat=True)
    )
    with transaction.atomic() if dry_run else nullcontext():
        connector.refresh_from_db(fields=["state"])  # another process may have moved it
        cursor = connector.state.get("cursor")
        while True:
            try:
                params: dict[str, Any] = {
                    "status": "all",
                    "limit": page_size,
                    "expand": ["data.customer"],
                }
                if cursor:
                    params["starting_after"] = cursor
                page: list[dict] = []
                for subscription in client.v1.subscriptions.list(params).auto_paging_iter():
                    page.append(subscription.to_dict())
                    if len(page) == page_size:
                        cursor = _sync_page(connector, page, summary, progress)
                        page = []
                if page:
                    cursor = _sync_page(connector, page, summary, progress)
                break
            except stripe.RateLimitError as exc:
                summary.rate_limited += 1
                if summary.rate_limited > RATE_LIMIT_RETRIES:
                    raise
                sleep(_retry_after(exc))
        summary.new_accounts = len(summary.changes.accounts - before)
        summary.delivery.record()
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        connector.state, connector.last_success_at = {}, timezone.now()
        connector.save(update_fields=["state", "last_success_at"])
    return summary


def stripe_subscriptions_apply(
    connector: Connector,
    subscriptions: list[Mapping[str, Any]],
    *,
    on: date,
    summary: SyncSummary,
) -> None:
    """Subscriptions' states on `on` as contract rows (the inbox's replay)."""
    summary.delivery.received += len(subscriptions)
    _subscriptions_apply(
        connector, subscriptions, on=on, delivery=summary.delivery, changes=summary.changes
    )


def _sync_page(connector, page, summary, progress) -> str:
    """Apply one page with its cursor; returns the cursor."""
    with transaction.atomic():
        _subscriptions_apply(
            connector, page, on=timezone.localdate(), delivery=summary.delivery,
            changes=summary.changes,
        )  # fmt: skip
        summary.delivery.received += len(page)
        connector.state = {**connector.state, "cursor": page[-1]["id"]}
        Connector.objects.filter(pk=connector.pk).update(state=connector.state)
    progress(len(page))
    return page[-1]["id"]
