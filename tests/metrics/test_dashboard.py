"""The dashboard's selectors (metrics/dashboard.py): which dates it reads, its monthly series
(one grouped query that must agree with `portfolio_kpis` month by month), tiles and targets."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account
from healthscores.models import SnapshotHealth
from metrics import dashboard
from metrics.dashboard import Tile
from metrics.models import KpiTarget
from metrics.registry import PORTFOLIO, PORTFOLIO_KPIS
from metrics.selectors import AccountFilter, portfolio_kpis
from metrics.totals import BANDS
from tests.factories import AccountFactory
from tests.metrics.conftest import contract, normalised, recompute

DATES = (date(2024, 1, 31), date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 15))


@pytest.fixture
def history(march_portfolio):
    """The March portfolio computed at the end of January, mid and end of February, and mid
    March (the latest date: "this month" is read on 03-15)."""
    recompute(*DATES)
    return march_portfolio


def series_of(accounts=None):
    months = dashboard.snapshot_months()
    latest = months[0].as_of
    return dashboard.monthly_series(
        months=dashboard.series_dates(months, latest),
        accounts=Account.objects.all() if accounts is None else accounts,
    )[0]


def test_each_month_is_read_on_its_last_computed_date(history):
    months = dashboard.snapshot_months()

    assert [(m.value, m.as_of) for m in months] == [
        ("2024-03", date(2024, 3, 15)),
        ("2024-02", date(2024, 2, 29)),
        ("2024-01", date(2024, 1, 31)),
    ]
    assert [m.is_complete for m in months] == [False, True, True]


def test_the_series_covers_twelve_months_ending_with_the_as_of_month(history):
    dates = dashboard.series_dates(dashboard.snapshot_months(), date(2024, 3, 15))

    assert len(dates) == 12
    assert dates[0] == (date(2023, 4, 1), None)
    assert dates[-3:] == [
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 15)),
    ]


def test_an_earlier_as_of_month_reads_its_own_last_date(history):
    dates = dashboard.series_dates(dashboard.snapshot_months(), date(2024, 2, 15))

    assert dates[-1] == (date(2024, 2, 1), date(2024, 2, 15))


@pytest.mark.parametrize("segment", ["", "Enterprise", "SMB"])
def test_the_monthly_totals_equal_portfolio_kpis_computed_month_by_month(history, segment):
    accounts = AccountFilter(segment=segment).apply(Account.objects.all())

    series = series_of(accounts)

    for as_of, values in zip(series.as_of, series.values, strict=True):
        if as_of is None:
            assert values is None
            continue
        expected = portfolio_kpis(as_of=as_of, accounts=accounts)
        assert normalised({key: values[key] for key in expected}) == normalised(expected)


def test_the_series_carries_every_registry_key_and_the_health_bands(history):
    values = series_of().values[-1]

    assert {kpi.key for kpi in PORTFOLIO_KPIS} <= set(values)
    bands = sum(values[f"band_{band}_accounts"] for band in BANDS)
    assert bands == values["active_customers"]


def test_the_series_is_one_grouped_query_plus_the_costs(history, django_assert_num_queries):
    months = dashboard.snapshot_months()
    dates = dashboard.series_dates(months, date(2024, 3, 15))

    with django_assert_num_queries(2):
        dashboard.monthly_series(months=dates, accounts=Account.objects.all())


def test_a_filter_matching_no_account_gives_zeros_not_missing_months(history):
    series = series_of(Account.objects.none())

    assert series.of("mrr")[-3:] == [0, 0, 0]
    assert series.of("nrr")[-1] is None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 3, 15), date(2024, 2, 15)),  # the same day of the previous month
        (date(2024, 3, 31), date(2024, 2, 29)),  # a month end compares with a month end
        (date(2024, 3, 20), date(2024, 2, 15)),  # else the last snapshot before that day
        (date(2024, 2, 10), None),  # nothing computed in January before the 10th
    ],
)
def test_a_figure_is_compared_with_the_previous_months_same_day_or_last(history, as_of, expected):
    assert dashboard.comparison_date(as_of) == expected


def test_the_comparison_of_a_day_past_the_previous_months_end_is_that_end(db):
    recompute(date(2024, 2, 29))

    assert dashboard.comparison_date(date(2024, 3, 30)) == date(2024, 2, 29)


def tile(key: str, value, previous=None, target=None) -> Tile:
    return Tile(kpi=PORTFOLIO[key], value=value, previous=previous, target=target)


def test_a_rise_is_good_when_higher_is_better_and_bad_otherwise():
    assert tile("mrr", Decimal(110), Decimal(100)).tone == "good"
    assert tile("churned_mrr", Decimal(110), Decimal(100)).tone == "bad"
    assert tile("tickets_opened", 12, 10).tone == "neutral"  # no direction
    assert tile("mrr", Decimal(100), Decimal(100)).tone == "neutral"
    assert tile("mrr", Decimal(100)).tone == "neutral"


def test_sums_change_in_percent_and_rates_in_points():
    assert tile("mrr", Decimal(110), Decimal(100)).delta_percent == pytest.approx(10)
    assert tile("nrr", Decimal(101), Decimal(99)).delta_percent is None
    assert tile("nrr", Decimal(101), Decimal(99)).delta == 2


def test_attainment_measures_the_way_to_the_target_in_the_kpis_direction():
    assert tile("mrr", Decimal(750), target=Decimal(1000)).attainment == pytest.approx(75)
    assert tile("mrr", Decimal(1200), target=Decimal(1000)).target_met is True
    assert tile("mrr", Decimal(1200), target=Decimal(1000)).attainment == 100
    # Lower is better: 4 % churn against a 2 % target is half way.
    churn = tile("logo_churn_rate", Decimal(4), target=Decimal(2))
    assert churn.target_met is False
    assert churn.attainment == pytest.approx(50)
    assert tile("logo_churn_rate", Decimal(1), target=Decimal(2)).target_met is True
    assert tile("nps", None, target=Decimal(40)).attainment is None
    assert tile("nps", -10.0, target=Decimal(40)).attainment == 0


def test_a_segments_own_target_wins_over_the_portfolio_target(db):
    KpiTarget.objects.create(key="nrr", target=Decimal(100))
    KpiTarget.objects.create(key="nrr", segment="SMB", target=Decimal(95))

    assert dashboard.targets_for(segment="SMB", whole_portfolio=False) == {"nrr": Decimal(95)}
    assert dashboard.targets_for(segment="", whole_portfolio=True) == {"nrr": Decimal(100)}


def test_a_portfolio_target_for_a_sum_is_not_shown_for_a_slice_of_the_portfolio(db):
    KpiTarget.objects.create(key="mrr", target=Decimal(100000))
    KpiTarget.objects.create(key="grr", target=Decimal(95))

    assert dashboard.targets_for(segment="", whole_portfolio=True) == {
        "mrr": Decimal(100000),
        "grr": Decimal(95),
    }
    assert dashboard.targets_for(segment="SMB", whole_portfolio=False) == {"grr": Decimal(95)}


def test_a_target_for_a_key_no_longer_in_the_registry_is_ignored(db):
    KpiTarget.objects.create(key="retired_kpi", target=Decimal(1))

    assert dashboard.targets_for(segment="", whole_portfolio=True) == {}


@pytest.fixture
def renewing(db):
    """Four paying accounts with contracts ending 10, 45, 80 and 120 days after 2024-03-15."""
    accounts = {}
    for name, end, mrr in (
        ("soon", "2024-03-25", 100),
        ("mid", "2024-04-29", 400),
        ("late", "2024-06-03", 300),
        ("far", "2024-07-13", 900),
    ):
        accounts[name] = AccountFactory(name=name.title())
        contract(accounts[name], "2024-01-01", end, mrr)
    recompute(date(2024, 3, 15))
    return accounts


def set_band(account: Account, band: str) -> None:
    SnapshotHealth.objects.filter(snapshot__account=account).update(band=band)


def test_renewals_of_the_next_90_days_are_grouped_by_window_and_band(renewing):
    set_band(renewing["mid"], "red")
    for name in ("soon", "late", "far"):
        set_band(renewing[name], "green")

    windows = dashboard.renewal_windows(as_of=date(2024, 3, 15), accounts=Account.objects.all())

    assert [(w.label, w.band, w.accounts, w.mrr) for w in windows] == [
        ("0-30 days", "green", 1, Decimal(100)),
        ("31-60 days", "red", 1, Decimal(400)),
        ("61-90 days", "green", 1, Decimal(300)),
    ]


def test_the_biggest_renewals_come_first_with_their_date(renewing):
    rows = dashboard.upcoming_renewals(as_of=date(2024, 3, 15), accounts=Account.objects.all())

    assert [(row.account.name, row.renews_on) for row in rows] == [
        ("Mid", date(2024, 4, 29)),
        ("Late", date(2024, 6, 3)),
        ("Soon", date(2024, 3, 25)),
    ]


def test_accounts_at_risk_are_red_or_yellow_and_paying_biggest_first(renewing):
    set_band(renewing["soon"], "red")
    set_band(renewing["far"], "yellow")
    set_band(renewing["mid"], "green")
    set_band(renewing["late"], "unknown")

    rows = dashboard.accounts_at_risk(as_of=date(2024, 3, 15), accounts=Account.objects.all())

    assert [row.account.name for row in rows] == ["Far", "Soon"]


def test_filter_options_list_the_visible_segments_regions_and_owners(
    march_portfolio, alice, django_assert_num_queries
):
    march_portfolio["steady"].region = "NA"
    march_portfolio["steady"].save()

    with django_assert_num_queries(1):
        options = dashboard.filter_options(Account.objects.all())

    assert options.segments == ("Enterprise", "SMB")
    assert options.regions == ("EMEA", "NA")
    assert [name for _id, name in options.owners] == ["Alice", "Bob"]
    mine = dashboard.filter_options(Account.objects.filter(owner=alice))
    assert [owner_id for owner_id, _name in mine.owners] == [alice.pk]
