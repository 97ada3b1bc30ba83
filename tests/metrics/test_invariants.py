"""Properties that hold for any data (kpi-spec sections 1 and 3): the MRR bridge
`mrr - starting_mrr = net_new_mrr` for the portfolio and every filter of accounts, movements that
are never negative, and nulls (never 0) for ratios and means over nothing."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from metrics.models import AccountSnapshot
from metrics.selectors import AccountFilter, portfolio_kpis
from metrics.services import snapshot_recompute
from tests.factories import AccountFactory, ContractFactory
from tests.metrics.conftest import END_OF_MARCH, assert_kpis, kpis

MOVEMENT_KEYS = ("new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")

# (days from D to the start, length in days or open-ended, mrr): starts from four months before
# D to a month after it, so contracts end before the period, inside it, on its eve, or later.
contracts = st.tuples(
    st.integers(min_value=-130, max_value=35),
    st.one_of(st.none(), st.integers(min_value=0, max_value=150)),
    st.one_of(
        st.just(Decimal("0.00")),
        st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False),
    ),
)
accounts = st.tuples(
    st.sampled_from(["SMB", "Enterprise"]),
    st.lists(contracts, max_size=4),
    st.booleans(),  # in the random subset of accounts
)


def mrr_on(day: date, rows) -> Decimal:
    """MRR_a(day): the mrr of the contracts active on that day (section 3), by hand."""
    return sum(
        (mrr for start, end, mrr in rows if start <= day and (end is None or day <= end)),
        Decimal(0),
    )


def expected_bridge(as_of: date, contracts_by_account) -> dict[str, Decimal]:
    """The section 3 table, account by account, in plain Python."""
    p0 = as_of.replace(day=1)
    totals = dict.fromkeys(("mrr", "starting_mrr", *MOVEMENT_KEYS), Decimal(0))
    for rows in contracts_by_account:
        m0, m1 = mrr_on(p0 - timedelta(days=1), rows), mrr_on(as_of, rows)
        totals["mrr"] += m1
        totals["starting_mrr"] += m0
        if m0 == 0 and m1 > 0:
            paid_before = any(mrr > 0 and start < p0 for start, _end, mrr in rows)
            totals["reactivation_mrr" if paid_before else "new_mrr"] += m1
        elif m0 > 0 and m1 > m0:
            totals["expansion_mrr"] += m1 - m0
        elif m0 > 0 and 0 < m1 < m0:
            totals["contraction_mrr"] += m0 - m1
        elif m0 > 0 and m1 == 0:
            totals["churned_mrr"] += m0
    return totals


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    as_of=st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 12, 31)),
    portfolio=st.lists(accounts, min_size=1, max_size=6),
)
def test_mrr_minus_starting_mrr_is_net_new_mrr_for_any_filter_of_accounts(db, as_of, portfolio):
    with transaction.atomic():
        created = []
        for segment, rows, in_subset in portfolio:
            account = AccountFactory(segment=segment)
            contract_rows = []
            for offset, length, mrr in rows:
                start = as_of + timedelta(days=offset)
                end = None if length is None else start + timedelta(days=length)
                ContractFactory(account=account, start_date=start, end_date=end, mrr=mrr)
                contract_rows.append((start, end, mrr))
            created.append((account, segment, in_subset, contract_rows))
        snapshot_recompute(as_of=as_of)

        def members(keep) -> list:
            return [
                rows for _account, segment, in_subset, rows in created if keep(segment, in_subset)
            ]

        subset_ids = [account.pk for account, _segment, in_subset, _rows in created if in_subset]
        filters = [
            (Account.objects.all(), members(lambda segment, in_subset: True)),
            (
                AccountFilter(segment="SMB").apply(Account.objects.all()),
                members(lambda segment, in_subset: segment == "SMB"),
            ),
            (
                AccountFilter(segment="Enterprise").apply(Account.objects.all()),
                members(lambda segment, in_subset: segment == "Enterprise"),
            ),
            (
                Account.objects.filter(pk__in=subset_ids),
                members(lambda segment, in_subset: in_subset),
            ),
        ]
        for queryset, contracts_by_account in filters:
            figures = portfolio_kpis(as_of=as_of, accounts=queryset)
            assert figures["mrr"] - figures["starting_mrr"] == figures["net_new_mrr"]
            assert all(figures[key] >= 0 for key in MOVEMENT_KEYS), figures
            expected = expected_bridge(as_of, contracts_by_account)
            assert {key: figures[key] for key in expected} == expected
        assert not AccountSnapshot.objects.filter(as_of=as_of, movement_mrr__lt=0).exists()
        transaction.set_rollback(True)


# Section 1: "any ratio whose denominator is 0, and any mean over no items, is null, never 0; a
# sum or count over no items is 0." With no costs recorded, cac and crc have nothing to divide.
NOTHING = {
    "mrr": 0,
    "arr": 0,
    "active_customers": 0,
    "arpa": None,
    "starting_mrr": 0,
    "new_mrr": 0,
    "reactivation_mrr": 0,
    "expansion_mrr": 0,
    "contraction_mrr": 0,
    "churned_mrr": 0,
    "net_new_mrr": 0,
    "grr": None,
    "nrr": None,
    "nrr_12m": None,
    "grr_12m": None,
    "revenue_churn_rate": None,
    "customers_start": 0,
    "new_customers": 0,
    "churned_customers": 0,
    "logo_churn_rate": None,
    "crr": None,
    "renewal_rate": None,
    "acv": None,
    "tcv": 0,
    "clv": None,
    "cac": None,
    "clv_cac_ratio": None,
    "crc": None,
    "trial_conversion_rate": None,
    "avg_days_to_onboard": None,
    "tickets_opened": 0,
    "avg_first_response_hours": None,
    "avg_resolution_hours": None,
    "fcr_rate": None,
    "open_tickets": 0,
    "nps": None,
    "csat": None,
    "ces": None,
    "nps_responses": 0,
    "csat_responses": 0,
    "ces_responses": 0,
    "mau": 0,
    "wau": 0,
    "dau": 0,
    "stickiness": None,
    "avg_session_minutes": None,
}


def test_a_portfolio_without_accounts_has_null_ratios_and_zero_sums(db):
    figures = kpis(END_OF_MARCH)

    assert set(figures) == set(NOTHING)
    assert_kpis(figures, NOTHING)


def test_accounts_without_any_record_have_null_ratios_and_zero_sums(db):
    AccountFactory.create_batch(2, created_on=None)

    assert_kpis(kpis(END_OF_MARCH), NOTHING)


def test_a_filter_matching_no_account_has_null_ratios_and_zero_sums(march_portfolio):
    nobody = AccountFilter(segment="Public sector").apply(Account.objects.all())

    # March's costs are recorded, but there is no new or active customer to divide them among.
    assert_kpis(kpis(END_OF_MARCH, nobody), NOTHING)
