"""The portfolio rollup (PortfolioRollup): per-date totals by segment, region and owner that the
portfolio page sums instead of every account's snapshot row. It must give exactly the totals of
the snapshot rows, and must never be read once an account change has made it stale."""

from datetime import date

import pytest
from django.db import connection

from accounts.access import accounts_visible_to
from accounts.models import Account
from healthscores.models import SnapshotHealth
from healthscores.services import health_scores_recompute
from metrics import dashboard
from metrics.models import AccountSnapshot, PortfolioRollup, SnapshotRun
from metrics.selectors import AccountFilter, portfolio_kpis, portfolio_totals_by_date
from metrics.services import rollup_rebuild, rollup_rebuild_stale
from playbooks.models import Task
from tests.metrics.conftest import normalised, recompute

DATES = (date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 31))


@pytest.fixture
def history(march_portfolio):
    recompute(*DATES)
    return march_portfolio


def totals(accounts, *, whole_groups):
    by_date = portfolio_totals_by_date(dates=DATES, accounts=accounts, whole_groups=whole_groups)
    return {day: normalised(_flat(values)) for day, values in by_date.items()}


def _flat(values):
    flat = dict(values)
    for key in ("monthly_starting_mrr", "monthly_lost_mrr"):
        flat.update({f"{key}_{k}": v for k, v in enumerate(flat.pop(key))})
    return flat


def read_from_rollup(accounts, *, expect_rollup: bool):
    """The totals read with whole_groups, asserting which table served them."""
    recorder = _Recorder()
    with connection.execute_wrapper(recorder):
        result = totals(accounts, whole_groups=True)
    assert recorder.read_rollup == expect_rollup
    return result


class _Recorder:
    def __init__(self):
        self.read_rollup = False

    def __call__(self, execute, sql, params, many, context):
        if 'FROM "metrics_portfoliorollup"' in sql:
            self.read_rollup = True
        return execute(sql, params, many, context)


@pytest.mark.parametrize(
    "cut",
    [
        AccountFilter(),
        AccountFilter(segment="Enterprise"),
        AccountFilter(segment="SMB", region="EMEA"),
        AccountFilter(owner_email="alice@northstar.example"),
        AccountFilter(segment="Nobody"),
    ],
    ids=["all", "enterprise", "smb-emea", "alice", "no-match"],
)
def test_the_rollup_gives_exactly_the_totals_of_the_snapshot_rows(history, cut):
    accounts = cut.apply(Account.objects.all())

    from_rollup = read_from_rollup(accounts, expect_rollup=True)

    assert from_rollup == totals(accounts, whole_groups=False)


def test_a_snapshot_run_builds_its_dates_rollup_in_its_transaction(history):
    assert set(SnapshotRun.objects.values_list("as_of", "rollup_built")) == {
        (day, True) for day in DATES
    }
    # Groups per date: (segment, region, owner) combinations with snapshot rows.
    groups = (
        AccountSnapshot.objects.filter(as_of=DATES[0])
        .values_list("account__segment", "account__region", "account__owner_id")
        .distinct()
        .count()
    )
    assert PortfolioRollup.objects.filter(as_of=DATES[0]).count() == groups


def test_moving_an_account_to_another_segment_makes_the_rollup_stale_until_rebuilt(history):
    enterprise = AccountFilter(segment="Enterprise").apply(Account.objects.all())
    before = totals(enterprise, whole_groups=False)

    Account.objects.filter(external_id="new").update(segment="Enterprise")

    assert not PortfolioRollup.objects.exists()
    assert not SnapshotRun.objects.filter(rollup_built=True).exists()
    # Read from the snapshot rows meanwhile, so the page shows the account in its new segment.
    stale = read_from_rollup(enterprise, expect_rollup=False)
    assert stale == totals(enterprise, whole_groups=False) != before

    assert rollup_rebuild_stale() == len(DATES)

    assert read_from_rollup(enterprise, expect_rollup=True) == stale


def test_an_update_that_changes_no_grouping_attribute_keeps_the_rollup(history):
    Account.objects.filter(external_id="steady").update(name="Steady Inc.", segment="Enterprise")

    assert SnapshotRun.objects.filter(rollup_built=True).count() == len(DATES)
    assert PortfolioRollup.objects.exists()


def test_deleting_an_account_makes_the_rollup_stale(history):
    Account.objects.get(external_id="steady").delete()

    assert not PortfolioRollup.objects.exists()
    everyone = Account.objects.all()
    assert read_from_rollup(everyone, expect_rollup=False) == totals(everyone, whole_groups=False)


def test_a_rescore_rebuilds_the_band_totals(history):
    last = DATES[-1]
    everyone = Account.objects.all()
    scored = totals(everyone, whole_groups=False)[last]
    SnapshotHealth.objects.filter(snapshot__as_of=last).update(band="unknown", score=None)
    rollup_rebuild(first=last, last=last)
    unscored = read_from_rollup(everyone, expect_rollup=True)[last]
    assert unscored["band_unknown_accounts"] == unscored["active_customers"]
    assert unscored != scored

    health_scores_recompute(first=last, last=last)

    assert read_from_rollup(everyone, expect_rollup=True)[last] == scored


def test_a_csm_with_a_task_on_another_owners_account_gets_that_account_alone(
    history, client, alice
):
    """A task on bob's account lets alice open it (accounts.access): her portfolio counts that
    one account, not the whole (segment, region, bob) group the rollup would add."""
    expands = Account.objects.get(external_id="expands")  # bob's
    Task.objects.create(
        account=expands, assignee=alice, title="Call", due_on=DATES[-1], source="person"
    )
    visible = Account.objects.filter(owner=alice) | Account.objects.filter(pk=expands.pk)
    client.force_login(alice)

    board = client.get("/portfolio/", {"month": "2024-03"}).context["board"]

    expected = portfolio_kpis(as_of=DATES[-1], accounts=visible)
    assert normalised({key: board.current[key] for key in expected}) == normalised(expected)
    assert board.current["churned_customers"] == 0  # bob's churns-mid-march is not hers
    assert not dashboard.visible_in_whole_groups(
        user=alice, visible=accounts_visible_to(alice), sees_all=False
    )


def test_a_csm_sees_her_own_accounts_as_whole_groups(history, alice):
    assert dashboard.visible_in_whole_groups(
        user=alice, visible=accounts_visible_to(alice), sees_all=False
    )


def test_a_csms_own_accounts_come_from_the_rollup_and_the_others_one_by_one(history, alice):
    """With rollup_owner, her own accounts are whole groups (read from the rollup) and the
    account her task adds is summed from its snapshot rows: every total equals the snapshot
    rows' on every date."""
    expands = Account.objects.get(external_id="expands")  # bob's
    Task.objects.create(
        account=expands, assignee=alice, title="Call", due_on=DATES[-1], source="person"
    )
    visible = accounts_visible_to(alice)
    recorder = _Recorder()

    with connection.execute_wrapper(recorder):
        split = portfolio_totals_by_date(dates=DATES, accounts=visible, rollup_owner=alice.pk)

    assert recorder.read_rollup
    by_rows = totals(visible, whole_groups=False)
    assert {day: normalised(_flat(values)) for day, values in split.items()} == by_rows
    assert by_rows[DATES[-1]]["accounts"] == visible.count() > 1
