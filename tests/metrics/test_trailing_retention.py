"""Trailing-12-month revenue retention (kpi-spec section 3, nrr_12m and grr_12m): the cohort is
the accounts paying on D12, the same day 12 months before D."""

from datetime import date

import pytest

from accounts.models import Account
from metrics.registry import portfolio_values
from metrics.selectors import portfolio_totals_by_date
from metrics.sql import same_day_months_before
from tests.factories import AccountFactory
from tests.metrics.conftest import assert_kpis, contract, kpis

AS_OF = date(2025, 3, 15)  # D12 = 2024-03-15


@pytest.mark.parametrize(
    ("as_of", "d12"),
    [
        (date(2025, 3, 15), date(2024, 3, 15)),
        (date(2024, 2, 29), date(2023, 2, 28)),  # no 29 February in 2023: the month's last day
        (date(2025, 12, 31), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2024, 1, 1)),
    ],
)
def test_d12_is_the_same_day_a_year_earlier_or_that_months_last_day(as_of, d12):
    assert same_day_months_before(as_of, 12) == d12


@pytest.fixture
def cohort(db) -> None:
    """Four accounts paying on 2024-03-15 (together 1,000) and one that started later."""
    contract(AccountFactory(external_id="steady"), "2023-01-01", None, 300)
    expands = AccountFactory(external_id="expands")
    contract(expands, "2023-06-01", "2024-05-31", 200)
    contract(expands, "2024-06-01", None, 500)  # +300
    shrinks = AccountFactory(external_id="shrinks")
    contract(shrinks, "2023-06-01", "2024-08-31", 400)
    contract(shrinks, "2024-09-01", None, 150)  # -250
    contract(AccountFactory(external_id="churned"), "2023-01-01", "2024-12-31", 100)
    # Paying only since after D12: left out, however much it pays.
    contract(AccountFactory(external_id="newcomer"), "2024-04-01", None, 5000)


def test_trailing_twelve_month_retention_follows_the_cohort_of_d12(cohort):
    # Cohort MRR on D12: 300 + 200 + 400 + 100 = 1,000.
    # On D: 300 + 500 + 150 + 0 = 950 (NRR 95 %); kept, each capped at its MRR then:
    # 300 + 200 + 150 + 0 = 650 (GRR 65 %).
    assert_kpis(kpis(AS_OF), {"nrr_12m": 95, "grr_12m": 65})


def test_trailing_retention_is_null_when_nobody_paid_twelve_months_earlier(db):
    contract(AccountFactory(), "2024-06-01", None, 1000)

    assert_kpis(kpis(AS_OF), {"nrr_12m": None, "grr_12m": None})


def test_the_rollup_gives_the_same_trailing_retention_as_the_snapshot_rows(cohort):
    from_rows = kpis(AS_OF)  # recomputing the date also writes its rollup
    totals = portfolio_totals_by_date(
        dates=[AS_OF], accounts=Account.objects.all(), whole_groups=True
    )
    from_rollup = portfolio_values(totals[AS_OF])

    assert (from_rollup["nrr_12m"], from_rollup["grr_12m"]) == (
        from_rows["nrr_12m"],
        from_rows["grr_12m"],
    )
    assert totals[AS_OF]["cohort_12m_start_mrr"] == 1000
