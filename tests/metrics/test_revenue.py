"""Revenue KPIs of the portfolio (kpi-spec section 3): MRR, its movements, contract values and
unit economics, mid-month and at month end, for every account and for filters of accounts."""

from datetime import date

import pytest

from accounts.models import Account, CostMonth
from metrics.selectors import AccountFilter
from tests.factories import AccountFactory, CostMonthFactory
from tests.metrics.conftest import END_OF_MARCH, MID_MARCH, assert_kpis, contract, kpis, money


def test_every_revenue_kpi_of_the_march_portfolio_in_the_middle_of_the_month(march_portfolio):
    assert_kpis(
        kpis(MID_MARCH),
        {
            # steady 1000 + expands 800 + shrinks 600 + churns-mid-march 600 + new 250
            # + reactivated 350
            "mrr": 3600,
            "arr": 43200,  # 12 x 3600
            "active_customers": 6,
            "arpa": 600,  # 3600 / 6
            # on 02-29: steady 1000 + expands 500 + shrinks 800 + churns-mid-march 600
            # + ended-feb 400
            "starting_mrr": 3300,
            "new_mrr": 250,  # new
            "reactivation_mrr": 350,  # reactivated: paid 700 in 2023
            "expansion_mrr": 300,  # expands: 800 - 500
            "contraction_mrr": 200,  # shrinks: 800 - 600
            "churned_mrr": 400,  # ended-feb (churns-mid-march is still paying on 03-15)
            "net_new_mrr": 300,  # 250 + 350 + 300 - 200 - 400 = 3600 - 3300
            # contracts starting 03-01..03-15: 300, 600, 250, 350 -> 12 x 1500 / 4
            "acv": 4500,
            "tcv": 0,  # none of them has an end date: a sum over nothing
            # monthly revenue churn, Apr 2023..Mar 2024 (every month starts with MRR > 0):
            # Jan 2024 700 / 1100 = 63.64 % (reactivated's 2023 contract ends 12-31), Mar to
            # date (400 + 200) / 3300 = 18.18 %, ten months at 0 -> r = (7/11 + 2/11) x 100 / 12
            # = 6.8182; clv = 600 / 0.068182
            "clv": 8800,
            "cac": 5000,  # March's 5000 / 1 new customer (the reactivation does not count)
            "clv_cac_ratio": 1.76,  # 8800 / 5000
            "crc": 200,  # March's 1200 / 6 active customers
        },
    )


def test_every_revenue_kpi_of_the_march_portfolio_at_the_end_of_the_month(march_portfolio):
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "mrr": 3000,  # 1000 + 800 + 600 + 250 + 350; churns-mid-march ended on 03-20
            "arr": 36000,
            "active_customers": 5,
            "arpa": 600,  # 3000 / 5
            "starting_mrr": 3300,
            "new_mrr": 250,
            "reactivation_mrr": 350,
            "expansion_mrr": 300,
            "contraction_mrr": 200,
            "churned_mrr": 1000,  # ended-feb 400 + churns-mid-march 600
            "net_new_mrr": -300,  # 250 + 350 + 300 - 200 - 1000 = 3000 - 3300
            "acv": 4500,  # the same four contracts started in March
            "tcv": 0,
            # March now loses (400 + 600 + 200) / 3300 = 36.36 %:
            # r = (7/11 + 4/11) x 100 / 12 = 100 / 12 = 8.3333; clv = 600 / (1 / 12)
            "clv": 7200,
            "cac": 5000,
            "clv_cac_ratio": 1.44,  # 7200 / 5000
            "crc": 240,  # 1200 / 5
        },
    )


def test_a_contract_ending_on_the_last_day_of_the_previous_month_churns_in_this_month(db):
    account = AccountFactory()
    contract(account, "2023-06-01", "2024-02-29", 400)

    # On its last day the contract still pays: February shows no movement.
    assert_kpis(
        kpis(date(2024, 2, 29)),
        {"mrr": 400, "starting_mrr": 400, "churned_mrr": 0, "churned_customers": 0},
    )
    # March starts from MRR(02-29) = 400 and ends with 0: a churn of 400 from March 1st on.
    expected_march = {
        "mrr": 0,
        "starting_mrr": 400,
        "churned_mrr": 400,
        "net_new_mrr": -400,
        "churned_customers": 1,
    }
    assert_kpis(kpis(date(2024, 3, 1)), expected_march)
    assert_kpis(kpis(END_OF_MARCH), expected_march)


def test_a_contract_ending_on_the_as_of_date_still_counts_in_its_mrr(db):
    account = AccountFactory()
    contract(account, "2024-01-01", "2024-03-31", 700)

    assert_kpis(kpis(END_OF_MARCH), {"mrr": 700, "churned_mrr": 0, "active_customers": 1})
    assert_kpis(kpis(date(2024, 4, 1)), {"mrr": 0, "starting_mrr": 700, "churned_mrr": 700})


def test_an_earlier_paid_contract_makes_a_returning_account_a_reactivation_not_new(db):
    returning = AccountFactory(external_id="returning")
    contract(returning, "2023-01-01", "2023-06-30", 700)
    contract(returning, "2024-03-03", None, 350)
    # A free contract before the period is not a paid one: this account is new.
    was_free = AccountFactory(external_id="was-free")
    contract(was_free, "2023-01-01", "2024-02-29", 0)
    contract(was_free, "2024-03-05", None, 200)
    fresh = AccountFactory(external_id="fresh")
    contract(fresh, "2024-03-20", None, 150)
    CostMonthFactory(month=date(2024, 3, 1), sales_marketing_spend=money(3000))

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "new_mrr": 350,  # was-free 200 + fresh 150
            "reactivation_mrr": 350,  # returning
            "net_new_mrr": 700,  # 350 + 350 = 700 - 0
            "new_customers": 3,  # new and reactivated alike
            "cac": 1500,  # 3000 / 2 new customers: the reactivation is not an acquisition
        },
    )


def test_changes_that_net_out_inside_the_month_are_not_movements(db):
    renewed = AccountFactory()
    contract(renewed, "2024-01-01", "2024-03-10", 900)
    contract(renewed, "2024-03-11", None, 900)
    # Paid for a few days in March only: MRR 0 on 02-29 and on 03-31.
    short_lived = AccountFactory()
    contract(short_lived, "2024-03-05", "2024-03-10", 500)

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "mrr": 900,
            "starting_mrr": 900,
            "new_mrr": 0,
            "reactivation_mrr": 0,
            "expansion_mrr": 0,
            "contraction_mrr": 0,
            "churned_mrr": 0,
            "net_new_mrr": 0,
            "new_customers": 0,
            "churned_customers": 0,
            "active_customers": 1,
        },
    )


def test_an_add_on_starting_after_a_mid_month_date_is_no_expansion_yet(db):
    account = AccountFactory()
    contract(account, "2024-01-01", None, 500)
    contract(account, "2024-03-20", None, 100)

    assert_kpis(kpis(MID_MARCH), {"mrr": 500, "expansion_mrr": 0, "net_new_mrr": 0})
    assert_kpis(kpis(END_OF_MARCH), {"mrr": 600, "expansion_mrr": 100, "net_new_mrr": 100})


def test_mrr_sums_contracts_of_one_account_and_free_contracts_make_no_active_customer(db):
    paying = AccountFactory()
    contract(paying, "2024-01-01", None, "99.99")
    contract(paying, "2024-02-01", "2024-12-31", "0.02")
    free = AccountFactory()
    contract(free, "2024-01-01", None, 0)

    assert_kpis(
        kpis(MID_MARCH),
        {
            "mrr": money("100.01"),  # 99.99 + 0.02
            "arr": money("1200.12"),  # 12 x 100.01
            "active_customers": 1,  # the free account has MRR 0
            "arpa": money("100.01"),
        },
    )


def test_acv_averages_the_annualised_mrr_and_tcv_prorates_contracts_started_in_the_period(db):
    account = AccountFactory()
    # 2024-03-01..2025-02-28 is 365 days: 1000 x 12 x 365 / 365 + 500 = 12500.
    contract(account, "2024-03-01", "2025-02-28", 1000, one_time_fee=money(500))
    # 2024-03-10..2024-04-09 is 31 days: 365 x 12 x 31 / 365 + no fee = 372.
    contract(account, "2024-03-10", "2024-04-09", 365)
    # Open-ended: in acv, not in tcv (no end date).
    contract(account, "2024-03-20", None, 100, one_time_fee=money(1000))
    # Started before or after the period: in neither.
    contract(account, "2024-02-15", "2024-12-31", 5000, one_time_fee=money(70))
    contract(account, "2024-04-01", "2024-12-31", 5000)

    assert_kpis(
        kpis(MID_MARCH),
        {
            "acv": 8190,  # 12 x (1000 + 365) / 2: one-time fees excluded
            "tcv": 12872,  # 12500 + 372
        },
    )
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "acv": 5860,  # 12 x (1000 + 365 + 100) / 3
            "tcv": 12872,
        },
    )


def test_acv_averages_over_every_contract_starting_in_the_period_free_ones_included(db):
    account = AccountFactory()
    contract(account, "2024-03-01", None, 1000)
    contract(account, "2024-03-05", "2024-03-31", 0, one_time_fee=money(200))

    # 12 x (1000 + 0) / 2 contracts; tcv: 0 x 12 x 27 / 365 + 200 (the open-ended one has none)
    assert_kpis(kpis(END_OF_MARCH), {"acv": 6000, "tcv": 200})


def test_tcv_of_a_prorated_month_is_right_to_the_cent(db):
    account = AccountFactory()
    # 2024-03-01..2024-03-31 is 31 days: 100 x 12 x 31 / 365 = 101.917808... + 0.01 fee
    contract(account, "2024-03-01", "2024-03-31", 100, one_time_fee=money("0.01"))

    assert float(kpis(END_OF_MARCH)["tcv"]) == pytest.approx(37200 / 365 + 0.01, abs=0.005)


def test_acv_is_null_and_tcv_zero_when_no_contract_starts_in_the_period(db):
    contract(AccountFactory(), "2024-01-01", "2024-12-31", 1000)

    assert_kpis(kpis(END_OF_MARCH), {"acv": None, "tcv": 0})


@pytest.fixture
def clv_history(db):
    """Two accounts paying 1000 each from 2023-10-01; one stops on 2024-01-31."""
    stays = AccountFactory(external_id="stays")
    contract(stays, "2023-10-01", None, 1000)
    leaves = AccountFactory(external_id="leaves")
    contract(leaves, "2023-10-01", "2024-01-31", 1000)


def test_clv_averages_monthly_revenue_churn_over_months_that_started_with_mrr(clv_history):
    # Apr..Oct 2023 start with MRR 0 (October's day before is 09-30) and are skipped.
    # Nov, Dec, Jan: 2000 -> 2000, 0 %; Feb: 2000 -> 1000, 50 %; Mar: 1000 -> 1000, 0 %.
    # r = 50 / 5 = 10; arpa = 1000 / 1; clv = 1000 / 0.10. (Averaging over all 12 months
    # would give r = 4.17 and clv = 24000.)
    assert_kpis(kpis(END_OF_MARCH), {"clv": 10000, "arpa": 1000})


def test_clv_is_null_when_no_month_lost_revenue(db):
    contract(AccountFactory(), "2023-10-01", None, 1000)
    CostMonthFactory(month=date(2024, 3, 1))

    # r = 0: clv = arpa / 0 is undefined, and so is clv : cac.
    assert_kpis(kpis(END_OF_MARCH), {"clv": None, "clv_cac_ratio": None, "arpa": 1000})


def test_clv_is_null_when_no_month_of_the_year_started_with_mrr(db):
    contract(AccountFactory(), "2024-03-05", None, 1000)

    # Every month's starting MRR is 0: r is a mean over no months.
    assert_kpis(kpis(END_OF_MARCH), {"clv": None, "arpa": 1000})


def test_cac_counts_only_new_customers_and_is_null_without_one(db):
    returning = AccountFactory()
    contract(returning, "2023-01-01", "2023-06-30", 700)
    contract(returning, "2024-03-03", None, 350)
    CostMonthFactory(
        month=date(2024, 3, 1), sales_marketing_spend=money(3000), retention_spend=money(700)
    )

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "new_customers": 1,
            "cac": None,  # 3000 / 0 new customers (one reactivation)
            "clv_cac_ratio": None,
            "crc": 700,  # 700 / 1 active customer
        },
    )


def test_cac_and_crc_are_null_without_costs_for_the_month(march_portfolio):
    CostMonth.objects.filter(month=date(2024, 3, 1)).delete()

    assert_kpis(kpis(END_OF_MARCH), {"cac": None, "crc": None, "clv_cac_ratio": None})


def test_a_segment_filter_gives_the_revenue_kpis_of_its_accounts_only(march_portfolio):
    smb = AccountFilter(segment="SMB").apply(Account.objects.all())

    # SMB: ended-feb, new, reactivated, prospect.
    assert_kpis(
        kpis(END_OF_MARCH, smb),
        {
            "mrr": 600,  # new 250 + reactivated 350
            "arr": 7200,
            "active_customers": 2,
            "arpa": 300,  # 600 / 2
            "starting_mrr": 400,  # ended-feb
            "new_mrr": 250,
            "reactivation_mrr": 350,
            "expansion_mrr": 0,
            "contraction_mrr": 0,
            "churned_mrr": 400,
            "net_new_mrr": 200,  # 250 + 350 - 400 = 600 - 400
            "acv": 3600,  # 12 x (250 + 350) / 2
            "tcv": 0,
            # Apr..Dec 2023 0 %; Jan 700 / 1100; Feb 400 -> 400, 0 %; Mar 400 / 400 = 100 %:
            # r = (7/11 + 1) x 100 / 12 = 13.636; clv = 300 / 0.13636
            "clv": 2200,
            "cac": 5000,  # the month's whole spend / 1 new customer of the segment
            "clv_cac_ratio": 0.44,  # 2200 / 5000
            "crc": 600,  # 1200 / 2
        },
    )


def test_an_owner_filter_gives_the_revenue_kpis_of_their_accounts_only(march_portfolio):
    alices = AccountFilter(owner_email="alice@northstar.example").apply(Account.objects.all())

    # alice owns steady, shrinks and new.
    assert_kpis(
        kpis(END_OF_MARCH, alices),
        {
            "mrr": 1850,  # 1000 + 600 + 250
            "arr": 22200,
            "active_customers": 3,
            "arpa": 1850 / 3,
            "starting_mrr": 1800,  # 1000 + 800
            "new_mrr": 250,
            "reactivation_mrr": 0,
            "expansion_mrr": 0,
            "contraction_mrr": 200,
            "churned_mrr": 0,
            "net_new_mrr": 50,  # 250 - 200 = 1850 - 1800
            "acv": 5100,  # 12 x (600 + 250) / 2
            # Apr 2023..Jan 2024 start with 0 (skipped); Feb 0 %; Mar 200 / 1800 = 11.11 %:
            # r = 5.5556 = 100 / 18; clv = (1850 / 3) x 18
            "clv": 11100,
            "cac": 5000,
            "clv_cac_ratio": 2.22,
            "crc": 400,  # 1200 / 3
        },
    )
