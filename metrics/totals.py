"""The portfolio's totals: what a filtered portfolio sums over its accounts' snapshot rows.

Every portfolio KPI is derived (in the registry) from these sums, whether they are summed over
the snapshot rows themselves or over the per-date rollup of them (`PortfolioRollup`), so the two
paths cannot drift apart: the rollup's columns are these keys, of these kinds.
"""

from decimal import Decimal
from enum import Enum

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, Least

from metrics.choices import HealthBand, Movement

BANDS = (HealthBand.GREEN, HealthBand.YELLOW, HealthBand.RED, HealthBand.UNKNOWN)

# A customer on D: MRR_a(D) > 0 (kpi-spec section 3's active customer; the lifecycle stage's
# "paid contract active"). Every account keeps its spec'd score and band (section 8), but only
# customers are counted in bands, listed under a band, alerted and enrolled in playbooks: red
# means "at risk", not "already gone". The SQL of alerts and playbooks says `mrr > 0` for it.
CUSTOMER = Q(mrr__gt=0)


class Kind(Enum):
    MONEY = "money"
    COUNT = "count"
    HOURS = "hours"  # float sums
    OPTIONAL_COUNT = "optional count"  # a sum that is None when no row has a value


def _money_sum(expression, **extra) -> Coalesce:
    return Coalesce(Sum(expression, **extra), Decimal(0))


def _int_sum(expression) -> Coalesce:
    return Coalesce(Sum(expression), 0)


def _movement_sum(movement: str) -> Coalesce:
    return _money_sum("movement_mrr", filter=Q(movement=movement))


def _in_band(band: str) -> Q:
    """Rows whose score (healthscores.SnapshotHealth, the snapshot's `health`) is in `band`; a
    row not scored yet counts as unknown."""
    if band == HealthBand.UNKNOWN:
        return Q(health__band=band) | Q(health__isnull=True)
    return Q(health__band=band)


# key: (kind, aggregate over AccountSnapshot rows)
TOTALS = {
    "mrr": (Kind.MONEY, _money_sum("mrr")),
    "starting_mrr": (Kind.MONEY, _money_sum("starting_mrr")),
    "new_mrr": (Kind.MONEY, _movement_sum(Movement.NEW)),
    "reactivation_mrr": (Kind.MONEY, _movement_sum(Movement.REACTIVATION)),
    "expansion_mrr": (Kind.MONEY, _movement_sum(Movement.EXPANSION)),
    "contraction_mrr": (Kind.MONEY, _movement_sum(Movement.CONTRACTION)),
    "churned_mrr": (Kind.MONEY, _movement_sum(Movement.CHURN)),
    "active_customers": (Kind.COUNT, Count("pk", filter=Q(mrr__gt=0))),
    "customers_start": (Kind.COUNT, Count("pk", filter=Q(starting_mrr__gt=0))),
    "new_customers": (
        Kind.COUNT,
        Count("pk", filter=Q(movement__in=[Movement.NEW, Movement.REACTIVATION])),
    ),
    "new_logos": (Kind.COUNT, Count("pk", filter=Q(movement=Movement.NEW))),
    "churned_customers": (Kind.COUNT, Count("pk", filter=Q(movement=Movement.CHURN))),
    "renewals_eligible": (Kind.COUNT, _int_sum("renewals_eligible")),
    "renewals_renewed": (Kind.COUNT, _int_sum("renewals_renewed")),
    "contracts_started": (Kind.COUNT, _int_sum("contracts_started")),
    "contracts_started_arr": (Kind.MONEY, _money_sum("contracts_started_arr")),
    "contracts_started_tcv": (Kind.MONEY, _money_sum("contracts_started_tcv")),
    "trials_started": (Kind.COUNT, Count("pk", filter=Q(trial_started=True))),
    "trials_converted": (Kind.COUNT, Count("pk", filter=Q(trial_converted=True))),
    "onboarded_with_days": (Kind.COUNT, Count("days_to_onboard")),
    "days_to_onboard_sum": (Kind.OPTIONAL_COUNT, Sum("days_to_onboard")),
    "tickets_opened": (Kind.COUNT, _int_sum("tickets_opened")),
    "first_responses": (Kind.COUNT, _int_sum("first_responses")),
    "first_response_hours": (Kind.HOURS, Coalesce(Sum("first_response_hours"), 0.0)),
    "tickets_resolved": (Kind.COUNT, _int_sum("tickets_resolved")),
    "resolution_hours": (Kind.HOURS, Coalesce(Sum("resolution_hours"), 0.0)),
    "resolved_first_contact": (Kind.COUNT, _int_sum("resolved_first_contact")),
    "open_tickets": (Kind.COUNT, _int_sum("open_tickets")),
    "nps_promoters": (Kind.COUNT, _int_sum("nps_promoters")),
    "nps_detractors": (Kind.COUNT, _int_sum("nps_detractors")),
    "nps_responses": (Kind.COUNT, _int_sum("nps_responses")),
    "csat_satisfied": (Kind.COUNT, _int_sum("csat_satisfied")),
    "csat_responses": (Kind.COUNT, _int_sum("csat_responses")),
    "ces_score_sum": (Kind.COUNT, _int_sum("ces_score_sum")),
    "ces_responses": (Kind.COUNT, _int_sum("ces_responses")),
    "mau": (Kind.COUNT, _int_sum("active_users_30d")),
    "wau": (Kind.COUNT, _int_sum("active_users_7d")),
    "active_user_days_30d": (Kind.COUNT, _int_sum("active_user_days_30d")),
    "minutes_30d": (Kind.HOURS, Coalesce(Sum("minutes_30d"), 0.0)),
    "sessions_30d": (Kind.COUNT, _int_sum("sessions_30d")),
    "accounts": (Kind.COUNT, Count("pk")),
    # The trailing-12-month cohort (accounts with MRR on D12): its MRR then, its MRR on D, and
    # the part of it kept (each account's MRR on D capped at its MRR on D12). Accounts outside
    # the cohort have mrr_12m_ago = 0, so they add nothing to the first and the last.
    "cohort_12m_start_mrr": (Kind.MONEY, _money_sum("mrr_12m_ago")),
    "cohort_12m_mrr": (Kind.MONEY, _money_sum("mrr", filter=Q(mrr_12m_ago__gt=0))),
    "cohort_12m_kept_mrr": (Kind.MONEY, _money_sum(Least("mrr", "mrr_12m_ago"))),
    # The trailing 3 months' cohort likewise (the accounts paying on D3, the day before them).
    "cohort_3m_start_mrr": (Kind.MONEY, _money_sum("mrr_3m_ago")),
    "cohort_3m_mrr": (Kind.MONEY, _money_sum("mrr", filter=Q(mrr_3m_ago__gt=0))),
    "cohort_3m_kept_mrr": (Kind.MONEY, _money_sum(Least("mrr", "mrr_3m_ago"))),
    # Each cohort's customers (kpi-spec section 3's S, churned and N over a trailing period):
    # paying at its start, of those not paying on D, and paying on D without being in it.
    **{
        f"cohort_{n}m_{count}": (Kind.COUNT, Count("pk", filter=condition))
        for n in (3, 12)
        for count, condition in (
            ("customers", Q(**{f"mrr_{n}m_ago__gt": 0})),
            ("churned", Q(**{f"mrr_{n}m_ago__gt": 0}, mrr=0)),
            ("joined", Q(**{f"mrr_{n}m_ago": 0}, mrr__gt=0)),
        )
    },
    # Element-wise sums of the 12-month arrays (PostgreSQL arrays are 1-based; Django's
    # index transform is 0-based).
    **{
        f"month_starting_{k}": (Kind.MONEY, _money_sum(F(f"monthly_starting_mrr__{k}")))
        for k in range(12)
    },
    **{f"month_lost_{k}": (Kind.MONEY, _money_sum(F(f"monthly_lost_mrr__{k}"))) for k in range(12)},
    # Paying customers (MRR > 0) per health band, and their MRR: the dashboard's band charts.
    **{
        f"band_{band}_accounts": (Kind.COUNT, Count("pk", filter=_in_band(band) & CUSTOMER))
        for band in BANDS
    },
    **{
        f"band_{band}_mrr": (Kind.MONEY, _money_sum("mrr", filter=_in_band(band) & CUSTOMER))
        for band in BANDS
    },
}
BAND_KEYS = tuple(key for key in TOTALS if key.startswith("band_"))

# How a trailing period (metrics.periods) takes each total from its months' totals. The flows
# of each month (its movements and what happened in it) are summed; the stock at the period's
# start is its first month's; every other total is a stock on the period's last date (MRR,
# customers, the usage windows, the bands, the cohorts, the 12-month arrays behind CLV).
PERIOD_SUMMED = frozenset(
    {
        "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
        "new_logos", "renewals_eligible", "renewals_renewed", "contracts_started",
        "contracts_started_arr", "contracts_started_tcv", "trials_started", "trials_converted",
        "onboarded_with_days", "days_to_onboard_sum", "tickets_opened", "first_responses",
        "first_response_hours", "tickets_resolved", "resolution_hours", "resolved_first_contact",
        "nps_promoters", "nps_detractors", "nps_responses", "csat_satisfied", "csat_responses",
        "ces_score_sum", "ces_responses", "sales_marketing_spend", "retention_spend",
    }
)  # fmt: skip
PERIOD_FIRST = frozenset({"starting_mrr"})


def snapshot_aggregates(keys=None) -> dict:
    """The aggregates over snapshot rows, by key (all of them, or `keys`)."""
    return {key: TOTALS[key][1] for key in (keys or TOTALS)}


def rollup_aggregates(keys=None) -> dict:
    """The same totals summed over rollup rows (each already a sum over its accounts)."""
    zero = {Kind.MONEY: Decimal(0), Kind.COUNT: 0, Kind.HOURS: 0.0}
    aggregates = {}
    for key in keys or TOTALS:
        kind = TOTALS[key][0]
        aggregates[key] = (
            Sum(key) if kind is Kind.OPTIONAL_COUNT else Coalesce(Sum(key), zero[kind])
        )
    return aggregates
