"""Recomputing snapshots (kpi-spec sections 7 and 9; house style 5): a date's rows are replaced
in one transaction, every account gets a row, and the work is set-based."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from metrics.models import AccountSnapshot, SnapshotRun
from metrics.selectors import AccountFilter, portfolio_kpis
from metrics.services import snapshot_recompute, snapshot_recompute_range
from tests.factories import AccountFactory
from tests.metrics.conftest import END_OF_MARCH, MID_MARCH, contract, money, populate


def stored_rows(as_of: date) -> list[dict]:
    """The rows of one date as plain values, without their id and computing time."""
    rows = AccountSnapshot.objects.filter(as_of=as_of).order_by("account_id").values()
    return [{k: v for k, v in row.items() if k not in ("id", "computed_at")} for row in rows]


@pytest.fixture
def some_accounts(db):
    accounts = AccountFactory.create_batch(4)
    for n, account in enumerate(accounts):
        populate(account, n)
    return accounts


def test_recomputing_a_date_twice_gives_identical_rows(some_accounts):
    snapshot_recompute(as_of=END_OF_MARCH)
    first = stored_rows(END_OF_MARCH)

    snapshot_recompute(as_of=END_OF_MARCH)

    assert stored_rows(END_OF_MARCH) == first
    assert len(first) == 4
    assert AccountSnapshot.objects.count() == 4
    assert SnapshotRun.objects.filter(as_of=END_OF_MARCH).count() == 1


def test_recomputing_a_date_replaces_its_rows_with_the_current_data(db):
    account = AccountFactory()
    contract(account, "2024-01-01", None, 100)
    snapshot_recompute(as_of=END_OF_MARCH)
    contract(account, "2024-03-10", None, 50)

    snapshot_recompute(as_of=END_OF_MARCH)

    assert list(AccountSnapshot.objects.values_list("mrr", flat=True)) == [money(150)]


def test_every_account_gets_a_row_for_every_date_whatever_its_created_on(db):
    AccountFactory(external_id="old", created_on=date(2020, 1, 1))
    AccountFactory(external_id="later", created_on=date(2024, 6, 1))  # after every date below
    AccountFactory(external_id="undated", created_on=None)
    dates = [date(2024, 3, 30), END_OF_MARCH, date(2024, 4, 1)]

    snapshot_recompute_range(first=dates[0], last=dates[-1])

    assert sorted(AccountSnapshot.objects.values_list("as_of", "account__external_id")) == [
        (day, external_id) for day in dates for external_id in ("later", "old", "undated")
    ]


def test_a_range_recompute_writes_one_run_per_date(db):
    AccountFactory.create_batch(3)

    runs = snapshot_recompute_range(first=date(2024, 2, 27), last=date(2024, 3, 2))

    # 02-27, 02-28, 02-29, 03-01, 03-02
    expected = [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29)]
    expected += [date(2024, 3, 1), date(2024, 3, 2)]
    assert [run.as_of for run in runs] == expected
    assert sorted(SnapshotRun.objects.values_list("as_of", "accounts")) == [
        (day, 3) for day in expected
    ]
    assert AccountSnapshot.objects.count() == 15  # 5 dates x 3 accounts


def crash(as_of: date) -> None:
    """A nightly step that fails, put in the chain through settings.AFTER_SNAPSHOT_STEPS."""
    raise RuntimeError("scoring crashed")


CRASH = f"{__name__}.crash"


def test_a_failure_half_way_leaves_the_previous_rows_of_that_date_intact(db, settings):
    account = AccountFactory()
    contract(account, "2024-01-01", None, 100)
    snapshot_recompute(as_of=END_OF_MARCH)
    before = stored_rows(END_OF_MARCH)
    run_before = SnapshotRun.objects.values().get(as_of=END_OF_MARCH)
    # New data that a successful recompute would show.
    contract(account, "2024-03-10", None, 50)
    AccountFactory()

    # The steps run after the rows are rewritten, inside the same transaction.
    settings.AFTER_SNAPSHOT_STEPS = [CRASH]
    with pytest.raises(RuntimeError, match="scoring crashed"):
        snapshot_recompute(as_of=END_OF_MARCH)

    assert stored_rows(END_OF_MARCH) == before
    assert SnapshotRun.objects.values().get(as_of=END_OF_MARCH) == run_before


def test_a_failure_on_a_new_date_writes_nothing_for_it(db, settings):
    AccountFactory()

    settings.AFTER_SNAPSHOT_STEPS = [CRASH]
    with pytest.raises(RuntimeError):
        snapshot_recompute(as_of=END_OF_MARCH)

    assert not AccountSnapshot.objects.exists()
    assert not SnapshotRun.objects.exists()


# The statistics upkeep after a write: ANALYZE of the month's partitions when it changed a
# tenth of them (metrics.services._analyze_month), one lookup and at most one ANALYZE a table.
STATISTICS = ("ANALYZE ", "SELECT c.reltuples", "SELECT reltuples")


def queries_of_a_first_recompute(as_of: date) -> int:
    """The statements of a recompute, but the statistics upkeep, which depends on how much the
    partition held before, not on the number of accounts."""
    with CaptureQueriesContext(connection) as queries:
        snapshot_recompute(as_of=as_of)
    return sum(1 for query in queries if not query["sql"].lstrip().startswith(STATISTICS))


def test_a_recompute_runs_the_same_queries_for_3_and_for_30_accounts(db):
    for n, account in enumerate(AccountFactory.create_batch(3)):
        populate(account, n)
    small = queries_of_a_first_recompute(MID_MARCH)
    assert AccountSnapshot.objects.filter(as_of=MID_MARCH).count() == 3

    for n, account in enumerate(AccountFactory.create_batch(27), start=3):
        populate(account, n)
    # Another date, so that both runs create their SnapshotRun rather than update it.
    large = queries_of_a_first_recompute(END_OF_MARCH)
    assert AccountSnapshot.objects.filter(as_of=END_OF_MARCH).count() == 30

    assert small == large


def test_portfolio_kpis_take_two_queries_whatever_the_accounts_and_the_filter(
    db, django_assert_num_queries
):
    for n, account in enumerate(AccountFactory.create_batch(30)):
        account.segment = "SMB" if n < 3 else "Enterprise"
        account.save()
        populate(account, n)
    snapshot_recompute(as_of=END_OF_MARCH)

    # One aggregate over the snapshot rows, one read of the month's costs.
    for accounts in (
        Account.objects.all(),
        AccountFilter(segment="SMB").apply(Account.objects.all()),
        AccountFilter(owner_email="nobody@northstar.example").apply(Account.objects.all()),
    ):
        with django_assert_num_queries(2):
            portfolio_kpis(as_of=END_OF_MARCH, accounts=accounts)


@pytest.mark.django_db(transaction=True)
def test_two_dates_computed_at_once_run_their_shared_steps_one_after_the_other():
    """Alerts, renewal outcomes and forecasts are rows that dates share: a backfill on two
    workers deadlocked updating them in different orders. A date whose steps find another
    date's steps running waits for that date's commit instead of interleaving."""
    import threading

    from django.db import connections, transaction

    from metrics.services import SHARED_STEPS_LOCK

    for n, account in enumerate(AccountFactory.create_batch(3)):
        populate(account, n)
    holding, release, finished = threading.Event(), threading.Event(), threading.Event()

    def other_date_in_its_steps():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SHARED_STEPS_LOCK])
            holding.set()
            release.wait(30)
        connections.close_all()

    def this_date():
        snapshot_recompute(as_of=MID_MARCH)
        finished.set()
        connections.close_all()

    other = threading.Thread(target=other_date_in_its_steps)
    other.start()
    assert holding.wait(10)
    this = threading.Thread(target=this_date)
    this.start()

    assert not finished.wait(1.5)  # waiting at the steps, its snapshot rows not committed
    assert not SnapshotRun.objects.filter(as_of=MID_MARCH).exists()
    release.set()
    other.join(10)
    this.join(30)

    assert finished.is_set()
    assert AccountSnapshot.objects.filter(as_of=MID_MARCH).count() == 3
