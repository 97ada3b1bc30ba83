"""`connectors sync`: every subscription through the stripe client's auto-pagination against a
local server in Stripe's list shapes, resumable from its cursor, waiting out a 429."""

import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Contract
from connectors.models import Connector, InboxItem, SyncBatch
from connectors.stripe_services import stripe_sync
from metrics.services import snapshot_recompute
from tests.connectors.conftest import SIGNING_SECRET
from tests.connectors.stripe_fakes import FakeStripe, customer, subscription
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def subscriptions() -> list[dict]:
    """Four customers' subscriptions and one that matches no account."""
    return [
        subscription("sub_a", customer("cus_a", "acme"), start=date(2024, 1, 10)),
        subscription("sub_b", customer("cus_b", "beta"), amount=5_000, status="canceled",
                     start=date(2023, 11, 1), ended=date(2024, 2, 15)),
        subscription("sub_c", customer("cus_c", "gamma"), amount=240_000, interval="year",
                     start=date(2023, 6, 1)),
        subscription("sub_d", customer("cus_d", "delta"), status="trialing",
                     start=date(2024, 2, 1), trial_end=date(2024, 3, 1)),
        subscription("sub_e", customer("cus_e"), start=date(2024, 1, 1)),
    ]  # fmt: skip


# What the backfill must amount to, as contracts.csv would say it.
EQUIVALENT_CSV = """\
external_id,account_external_id,plan,start_date,end_date,mrr,seats
a,acme,Pro,2024-01-10,,100.00,1
b,beta,Pro,2023-11-01,2024-02-14,50.00,1
c,gamma,Pro,2023-06-01,,200.00,1
"""


@pytest.fixture
def accounts(db):
    return [AccountFactory(external_id=e) for e in ("acme", "beta", "gamma", "delta")]


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("connectors", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def add_stripe(fake: FakeStripe) -> Connector:
    output = command("add", "stripe", "--name", "Billing", "--signing-secret", SIGNING_SECRET,
                     "--api-key", "sk_test_local", "--api-base", fake.url)  # fmt: skip
    connector = Connector.objects.get(name="Billing")
    assert output.splitlines()[-1] == f"endpoint: /ingest/stripe/{connector.pk}/"
    return connector


def kpis(as_of: str) -> dict:
    snapshot_recompute(as_of=date.fromisoformat(as_of))
    out = io.StringIO()
    call_command("kpis", "--as-of", as_of, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_a_backfill_gives_the_same_kpis_as_the_equivalent_csv_import(
    accounts, tmp_path, run_import
):
    with FakeStripe(subscriptions()) as fake:
        add_stripe(fake)
        output = command("sync", "Billing")
    from_stripe = [kpis("2024-01-31"), kpis("2024-02-29")]
    Contract.objects.all().delete()
    (tmp_path / "contracts.csv").write_text(EQUIVALENT_CSV)
    assert run_import(tmp_path).error is None
    from_csv = [kpis("2024-01-31"), kpis("2024-02-29")]

    assert output.splitlines()[-1] == (
        "3 accounts changed (3 new), 0 contracts ended, 1 records cannot be matched"
    )
    assert from_stripe == from_csv
    assert from_stripe[1]["portfolio"]["churned_mrr"] == 50.0
    assert from_stripe[0]["portfolio"]["new_mrr"] == 100.0


def test_every_page_is_fetched_with_starting_after_and_the_key(accounts):
    with FakeStripe(subscriptions()) as fake:
        connector = add_stripe(fake)
        stripe_sync(connector=connector, page_size=2)

    assert fake.starting_after() == [None, "sub_b", "sub_d"]
    assert {r["auth"] for r in fake.requests} == {"Bearer sk_test_local"}
    assert Contract.objects.count() == 3
    assert Connector.objects.get().state == {}  # done: the next sync starts from the top


def test_a_429_waits_its_retry_after_and_resumes_from_the_cursor_losing_nothing(accounts):
    waits = []
    with FakeStripe(subscriptions(), fail={2: 429}) as fake:
        connector = add_stripe(fake)
        summary = stripe_sync(connector=connector, page_size=2, sleep=waits.append)

    assert waits == [2.0]
    assert fake.starting_after() == [None, "sub_b", "sub_b", "sub_d"]
    assert summary.rate_limited == 1
    assert sorted(Contract.objects.values_list("external_id", flat=True)) == [
        "stripe:sub_a:20240110", "stripe:sub_b:20231101", "stripe:sub_c:20230601",
    ]  # fmt: skip


def test_a_sync_that_died_half_way_resumes_after_its_last_committed_page(accounts):
    # Page 2 fails past the client's own retries (4 answers of 500): the sync stops there.
    with FakeStripe(subscriptions(), fail={2: 500, 3: 500, 4: 500, 5: 500}) as fake:
        connector = add_stripe(fake)
        with pytest.raises(Exception, match="try later"):
            stripe_sync(connector=connector, page_size=2)
        connector.refresh_from_db()
        assert connector.state == {"cursor": "sub_b"}
        assert Contract.objects.count() == 2

        stripe_sync(connector=connector, page_size=2)

    assert fake.starting_after()[-2:] == ["sub_b", "sub_d"]
    assert Contract.objects.count() == 3  # nothing doubled: sub_a and sub_b were not redone


def test_syncing_again_changes_nothing(accounts):
    with FakeStripe(subscriptions()) as fake:
        connector = add_stripe(fake)
        stripe_sync(connector=connector)
        before = list(Contract.objects.order_by("external_id").values())
        again = stripe_sync(connector=connector)

    assert list(Contract.objects.order_by("external_id").values()) == before
    assert again.line(dry_run=False) == (
        "0 accounts changed (0 new), 0 contracts ended, 1 records cannot be matched"
    )


def test_a_dry_run_says_what_would_change_and_writes_nothing(accounts):
    with FakeStripe(subscriptions()) as fake:
        add_stripe(fake)
        output = command("sync", "Billing", "--dry-run")

    assert output.splitlines()[-1] == (
        "3 accounts would change (3 new), 0 contracts would end, 1 records cannot be matched"
    )
    assert "  stripe:sub_a:20240110: acme 2024-01-10.. mrr 100.00" in output.splitlines()
    assert Contract.objects.count() == 0
    assert (SyncBatch.objects.count(), InboxItem.objects.count()) == (0, 0)


def test_a_price_change_found_by_a_sync_ends_the_old_row(accounts):
    with FakeStripe(subscriptions()[:1]) as fake:
        connector = add_stripe(fake)
        stripe_sync(connector=connector)
        fake.subscriptions = [
            subscription("sub_a", customer("cus_a", "acme"), start=date(2024, 1, 10), quantity=3)
        ]
        summary = stripe_sync(connector=connector)

    assert summary.changes.ended == 1
    assert list(Contract.objects.order_by("start_date").values_list("mrr", flat=True)) == [100, 300]


def test_segment_and_stripe_connectors_are_added_and_listed_by_the_command(db):
    segment = command("add", "segment", "--name", "Product").splitlines()
    listing = command("list")

    assert segment[-2] == "endpoint: /ingest/segment"
    assert segment[-1].startswith("write key: nsw_")
    assert "Product" in listing and "/ingest/segment" in listing
    with pytest.raises(CommandError, match="needs --signing-secret"):
        command("add", "stripe", "--name", "Billing")
    with pytest.raises(CommandError, match="is a segment connector: it is pushed, not synced"):
        command("sync", "Product")
