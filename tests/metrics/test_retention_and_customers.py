"""Retention and customer KPIs of the portfolio (kpi-spec section 3): revenue retention, logo
counts, renewals, trials and onboarding."""

from datetime import date

import pytest

from accounts.models import Account
from metrics.selectors import AccountFilter
from tests.factories import AccountFactory
from tests.metrics.conftest import END_OF_MARCH, MID_MARCH, assert_kpis, contract, kpis


def test_every_retention_and_customer_kpi_of_the_march_portfolio_mid_month(march_portfolio):
    # starting 3300; churned 400 (ended-feb); contraction 200; expansion 300 (see test_revenue).
    assert_kpis(
        kpis(MID_MARCH),
        {
            "grr": 2700 / 3300 * 100,  # (3300 - 200 - 400) / 3300 = 81.82
            "nrr": 3000 / 3300 * 100,  # (3300 + 300 - 200 - 400) / 3300 = 90.91
            "revenue_churn_rate": 600 / 3300 * 100,  # (400 + 200) / 3300 = 18.18
            "active_customers": 6,
            "customers_start": 5,  # steady, expands, shrinks, churns-mid-march, ended-feb
            "new_customers": 2,  # new, reactivated
            "churned_customers": 1,  # ended-feb
            "logo_churn_rate": 20,  # 1 / 5
            "crr": 80,  # (6 - 2) / 5
            # shrinks' 800 contract ends 03-05 and the 600 one starts 03-06: 1 renewed of 1;
            # churns-mid-march ends 03-20, after D.
            "renewal_rate": 100,
            "trial_conversion_rate": None,  # no trial started in March
            "avg_days_to_onboard": None,  # nobody onboarded in March
        },
    )


def test_every_retention_and_customer_kpi_of_the_march_portfolio_at_month_end(march_portfolio):
    # starting 3300; churned 400 + 600; contraction 200; expansion 300.
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "grr": 2100 / 3300 * 100,  # (3300 - 200 - 1000) / 3300 = 63.64
            "nrr": 2400 / 3300 * 100,  # (3300 + 300 - 200 - 1000) / 3300 = 72.73
            "revenue_churn_rate": 1200 / 3300 * 100,  # 36.36
            "active_customers": 5,
            "customers_start": 5,
            "new_customers": 2,
            "churned_customers": 2,  # ended-feb, churns-mid-march
            "logo_churn_rate": 40,  # 2 / 5
            "crr": 60,  # (5 - 2) / 5
            "renewal_rate": 50,  # shrinks' renewed, churns-mid-march's (ends 03-20) not
            "trial_conversion_rate": None,
            "avg_days_to_onboard": None,
        },
    )


def test_retention_rates_are_null_when_nobody_paid_at_the_start_of_the_period(db):
    contract(AccountFactory(), "2024-03-05", None, 1000)

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "starting_mrr": 0,
            "customers_start": 0,
            "new_customers": 1,
            "grr": None,
            "nrr": None,
            "revenue_churn_rate": None,
            "logo_churn_rate": None,
            "crr": None,
        },
    )


@pytest.fixture
def renewals(db) -> None:
    """Paid contracts ending around March 2024 and what followed each of them."""

    def account_with(*contracts) -> None:
        account = AccountFactory()
        for start, end, mrr in contracts:
            contract(account, start, end, mrr)

    # Renewed the next day.
    account_with(("2023-04-01", "2024-03-10", 500), ("2024-03-11", None, 500))
    # Ends on 03-31, renewed on 04-20 (after D, within end + 30): counts.
    account_with(("2023-04-01", "2024-03-31", 400), ("2024-04-20", None, 400))
    # Ends on 03-05; the next contract starts on 04-05 = end + 31: too late.
    account_with(("2023-04-01", "2024-03-05", 300), ("2024-04-05", None, 300))
    # Ends on 03-25; renewed on 04-24 = end + 30 exactly: counts.
    account_with(("2023-04-01", "2024-03-25", 100), ("2024-04-24", None, 100))
    # Ends on 03-20, followed by a free contract: not a renewal.
    account_with(("2023-04-01", "2024-03-20", 200), ("2024-03-21", None, 0))
    # Ends on 03-12, renewed early by a contract starting 02-15 (after its start, within
    # end - 30 = 02-11): counts.
    account_with(("2023-04-01", "2024-03-12", 100), ("2024-02-15", None, 100))
    # Free contracts ending in March are not eligible; contracts ending in February are not.
    account_with(("2023-04-01", "2024-03-08", 0))
    account_with(("2023-04-01", "2024-02-29", 900))


def test_renewal_rate_counts_renewals_starting_within_30_days_even_after_the_as_of_date(renewals):
    # Eligible (paid, ending 03-01..03-31): ends 03-10, 03-31, 03-05, 03-25, 03-20, 03-12 = 6.
    # Renewed: 03-10, 03-31 (renewal on 04-20), 03-25 (04-24 = +30), 03-12 (early) = 4.
    assert_kpis(kpis(END_OF_MARCH), {"renewal_rate": 4 / 6 * 100})


def test_renewal_rate_mid_month_looks_at_contracts_ending_up_to_the_as_of_date(renewals):
    # Eligible (ending 03-01..03-15): 03-10, 03-05, 03-12 = 3; renewed: 03-10 and 03-12.
    assert_kpis(kpis(MID_MARCH), {"renewal_rate": 2 / 3 * 100})


def test_renewal_rate_is_null_when_no_paid_contract_ends_in_the_period(db):
    contract(AccountFactory(), "2024-01-01", "2024-02-29", 900)
    contract(AccountFactory(), "2024-01-01", "2024-03-08", 0)

    assert_kpis(kpis(END_OF_MARCH), {"renewal_rate": None})


@pytest.fixture
def trials(db) -> None:
    for started, converted in [
        ("2024-03-02", "2024-03-10"),  # converted by mid-month
        ("2024-03-05", "2024-03-20"),  # converted after mid-month
        ("2024-03-20", None),  # started after mid-month, never converted
        ("2024-02-20", "2024-03-01"),  # started in February: not in March's cohort
        ("2024-03-25", "2024-04-02"),  # converted after the end of the month
        ("2024-03-01", "2024-03-01"),  # converted on its first day
    ]:
        AccountFactory(
            trial_started_on=date.fromisoformat(started),
            converted_on=date.fromisoformat(converted) if converted else None,
        )


def test_trial_conversion_rate_mid_month(trials):
    # Started 03-01..03-15: 03-02, 03-05, 03-01 = 3; converted by 03-15: 03-02, 03-01 = 2.
    assert_kpis(kpis(MID_MARCH), {"trial_conversion_rate": 2 / 3 * 100})


def test_trial_conversion_rate_at_month_end(trials):
    # Started in March: 03-02, 03-05, 03-20, 03-25, 03-01 = 5; converted by 03-31: 03-02, 03-05,
    # 03-01 = 3 (the 03-25 trial converts on 04-02).
    assert_kpis(kpis(END_OF_MARCH), {"trial_conversion_rate": 60})


@pytest.fixture
def onboardings(db) -> None:
    # First paid contract 2024-02-01, onboarded 03-02: 29 days of February + 1 = 30.
    paid_first = AccountFactory(created_on=date(2024, 1, 1), onboarded_on=date(2024, 3, 2))
    contract(paid_first, "2024-02-01", None, 100)
    # No contract: customer since created_on 02-20; onboarded 03-10: 9 + 10 = 19.
    AccountFactory(created_on=date(2024, 2, 20), onboarded_on=date(2024, 3, 10))
    # Onboarded 03-05 before its first paid contract on 03-20: -15.
    early = AccountFactory(created_on=date(2024, 1, 1), onboarded_on=date(2024, 3, 5))
    contract(early, "2024-03-20", None, 100)
    # A free contract does not make a customer: since 2024-01-15 (paid), not 2023-12-01 (free);
    # onboarded 03-14: 16 + 29 + 14 = 59.
    free_first = AccountFactory(created_on=date(2023, 11, 1), onboarded_on=date(2024, 3, 14))
    contract(free_first, "2023-12-01", "2024-01-14", 0)
    contract(free_first, "2024-01-15", None, 100)
    # Onboarded in February: not in March's mean.
    AccountFactory(created_on=date(2024, 1, 1), onboarded_on=date(2024, 2, 28))
    # Created and onboarded on 03-31: 0 days.
    AccountFactory(created_on=date(2024, 3, 31), onboarded_on=date(2024, 3, 31))


def test_avg_days_to_onboard_mid_month_allows_onboarding_before_the_first_contract(onboardings):
    # (30 + 19 - 15 + 59) / 4 = 93 / 4. The contract starting 03-20 is after D but is still the
    # account's earliest paid contract (the spec does not restrict customer_since to D).
    assert_kpis(kpis(MID_MARCH), {"avg_days_to_onboard": 23.25})


def test_avg_days_to_onboard_at_month_end(onboardings):
    # (30 + 19 - 15 + 59 + 0) / 5 = 93 / 5
    assert_kpis(kpis(END_OF_MARCH), {"avg_days_to_onboard": 18.6})


def test_avg_days_to_onboard_is_null_when_nobody_onboarded_in_the_period(db):
    AccountFactory(created_on=date(2024, 1, 1), onboarded_on=date(2024, 2, 28))

    assert_kpis(kpis(END_OF_MARCH), {"avg_days_to_onboard": None, "trial_conversion_rate": None})


def test_a_segment_filter_gives_the_retention_kpis_of_its_accounts_only(march_portfolio):
    smb = AccountFilter(segment="SMB").apply(Account.objects.all())

    # SMB: ended-feb (400 -> 0), new (0 -> 250), reactivated (0 -> 350), prospect.
    assert_kpis(
        kpis(END_OF_MARCH, smb),
        {
            "grr": 0,  # (400 - 0 - 400) / 400: a value, not null
            "nrr": 0,
            "revenue_churn_rate": 100,  # 400 / 400
            "active_customers": 2,
            "customers_start": 1,
            "new_customers": 2,
            "churned_customers": 1,
            "logo_churn_rate": 100,  # 1 / 1
            "crr": 0,  # (2 - 2) / 1
            "renewal_rate": None,  # ended-feb's contract ended in February
        },
    )


def test_an_owner_filter_gives_the_retention_kpis_of_their_accounts_only(march_portfolio):
    bobs = AccountFilter(owner_email="bob@northstar.example").apply(Account.objects.all())

    # bob: expands (500 -> 800), reactivated (0 -> 350), churns-mid-march (600 -> 0 at 03-31).
    assert_kpis(
        kpis(END_OF_MARCH, bobs),
        {
            "starting_mrr": 1100,  # 500 + 600
            "mrr": 1150,  # 800 + 350
            "net_new_mrr": 50,  # 350 + 300 - 600
            "grr": 500 / 1100 * 100,  # (1100 - 600) / 1100
            "nrr": 800 / 1100 * 100,  # (1100 + 300 - 600) / 1100
            "revenue_churn_rate": 600 / 1100 * 100,
            "active_customers": 2,
            "customers_start": 2,
            "new_customers": 1,
            "churned_customers": 1,
            "logo_churn_rate": 50,
            "crr": 50,  # (2 - 1) / 2
            "renewal_rate": 0,  # churns-mid-march's contract ends 03-20, not renewed: 0 / 1
        },
    )
