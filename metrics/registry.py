"""The KPI registry: every number Northstar shows, defined once (kpi-spec sections 3 to 7).

Each KPI has its key, label, unit, direction and a one-sentence definition with its formula. The
engine's column names, the `kpis` JSON output, the pages' tiles and tooltips and docs/kpis.md all
read from here. Portfolio KPIs also carry `compute`: the ratio or mean derived from the summed
snapshot columns (`Totals`), so every filter of accounts gets the same arithmetic.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

Totals = Mapping[str, Any]


class Unit(StrEnum):
    MONEY = "money"
    PERCENT = "percent"
    COUNT = "count"
    DAYS = "days"
    HOURS = "hours"
    SCORE = "score"
    MINUTES = "minutes"
    RATIO = "ratio"
    FLAG = "flag"
    TEXT = "text"


class Group(StrEnum):
    REVENUE = "Revenue"
    RETENTION = "Retention"
    CUSTOMERS = "Customers"
    EFFICIENCY = "Unit economics"
    SUPPORT = "Support"
    SENTIMENT = "Sentiment"
    USAGE = "Usage"
    RENEWAL = "Renewal"
    HEALTH = "Health"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Unit
    group: Group
    definition: str
    higher_is_better: bool | None = True
    compute: Callable[[Totals], Any] | None = None


def ratio(numerator, denominator, scale: int = 1):
    """numerator / denominator x scale, or None when the denominator is 0 or missing."""
    if numerator is None or not denominator:
        return None
    if isinstance(numerator, Decimal) or isinstance(denominator, Decimal):
        return Decimal(numerator) * scale / Decimal(denominator)
    return numerator * scale / denominator


def _net_new(t: Totals) -> Decimal:
    return (
        t["new_mrr"]
        + t["reactivation_mrr"]
        + t["expansion_mrr"]
        - t["contraction_mrr"]
        - t["churned_mrr"]
    )


def _revenue_churn_rate(t: Totals):
    return ratio(t["churned_mrr"] + t["contraction_mrr"], t["starting_mrr"], 100)


def _mean_revenue_churn_12m(t: Totals):
    """Mean of the monthly revenue churn rates of the 12 months ending with P, skipping months
    that started with no MRR."""
    rates = [
        ratio(lost, starting, 100)
        for starting, lost in zip(t["monthly_starting_mrr"], t["monthly_lost_mrr"], strict=True)
        if starting
    ]
    return sum(rates) / len(rates) if rates else None


def _clv(t: Totals):
    arpa = ratio(t["mrr"], t["active_customers"])
    r = _mean_revenue_churn_12m(t)
    return ratio(arpa, r / 100) if arpa is not None and r else None


def _cac(t: Totals):
    return ratio(t["sales_marketing_spend"], t["new_logos"])


def _dau(t: Totals):
    return Decimal(t["active_user_days_30d"]) / 30


PORTFOLIO_KPIS: tuple[Kpi, ...] = (
    # Revenue (section 3)
    Kpi(
        "mrr",
        "MRR",
        Unit.MONEY,
        Group.REVENUE,
        "Monthly recurring revenue on the as-of date: the sum of mrr of every contract active "
        "that day (start_date <= D <= end_date, open end allowed).",
        compute=lambda t: t["mrr"],
    ),
    Kpi(
        "arr",
        "ARR",
        Unit.MONEY,
        Group.REVENUE,
        "Annual recurring revenue: 12 x MRR.",
        compute=lambda t: 12 * t["mrr"],
    ),
    Kpi(
        "active_customers",
        "Active customers",
        Unit.COUNT,
        Group.CUSTOMERS,
        "Accounts whose MRR on the as-of date is above 0.",
        compute=lambda t: t["active_customers"],
    ),
    Kpi(
        "arpa",
        "ARPA",
        Unit.MONEY,
        Group.REVENUE,
        "Average revenue per account: MRR / active customers.",
        compute=lambda t: ratio(t["mrr"], t["active_customers"]),
    ),
    Kpi(
        "starting_mrr",
        "Starting MRR",
        Unit.MONEY,
        Group.REVENUE,
        "MRR on the day before the period (the last day of the previous month).",
        compute=lambda t: t["starting_mrr"],
    ),
    Kpi(
        "new_mrr",
        "New MRR",
        Unit.MONEY,
        Group.REVENUE,
        "MRR on D of accounts that had none at the start of the period and never had a paid "
        "contract starting before the period.",
        compute=lambda t: t["new_mrr"],
    ),
    Kpi(
        "reactivation_mrr",
        "Reactivation MRR",
        Unit.MONEY,
        Group.REVENUE,
        "MRR on D of accounts that had none at the start of the period but had a paid contract "
        "starting before it (returning customers).",
        compute=lambda t: t["reactivation_mrr"],
    ),
    Kpi(
        "expansion_mrr",
        "Expansion MRR",
        Unit.MONEY,
        Group.REVENUE,
        "Increase m1 - m0 of accounts whose MRR grew from m0 > 0 at the start of the period to "
        "m1 on D.",
        compute=lambda t: t["expansion_mrr"],
    ),
    Kpi(
        "contraction_mrr",
        "Contraction MRR",
        Unit.MONEY,
        Group.REVENUE,
        "Decrease m0 - m1 of accounts whose MRR fell from m0 > 0 to 0 < m1 < m0.",
        higher_is_better=False,
        compute=lambda t: t["contraction_mrr"],
    ),
    Kpi(
        "churned_mrr",
        "Churned MRR",
        Unit.MONEY,
        Group.REVENUE,
        "Starting MRR m0 of accounts that had MRR at the start of the period and none on D.",
        higher_is_better=False,
        compute=lambda t: t["churned_mrr"],
    ),
    Kpi(
        "net_new_mrr",
        "Net new MRR",
        Unit.MONEY,
        Group.REVENUE,
        "new + reactivation + expansion - contraction - churned MRR; always equals MRR - "
        "starting MRR.",
        compute=_net_new,
    ),
    Kpi(
        "grr",
        "Gross revenue retention",
        Unit.PERCENT,
        Group.RETENTION,
        "(starting MRR - contraction - churned MRR) / starting MRR x 100.",
        compute=lambda t: ratio(
            t["starting_mrr"] - t["contraction_mrr"] - t["churned_mrr"], t["starting_mrr"], 100
        ),
    ),
    Kpi(
        "nrr",
        "Net revenue retention",
        Unit.PERCENT,
        Group.RETENTION,
        "(starting MRR + expansion - contraction - churned MRR) / starting MRR x 100 (net "
        "dollar retention).",
        compute=lambda t: ratio(
            t["starting_mrr"] + t["expansion_mrr"] - t["contraction_mrr"] - t["churned_mrr"],
            t["starting_mrr"],
            100,
        ),
    ),
    Kpi(
        "nrr_12m",
        "Net revenue retention, trailing 12 months",
        Unit.PERCENT,
        Group.RETENTION,
        "The accounts paying 12 months before the as-of date (the same day, or that month's "
        "last day): their MRR today / their MRR then x 100. Accounts that became customers "
        "since are left out.",
        compute=lambda t: ratio(t["cohort_12m_mrr"], t["cohort_12m_start_mrr"], 100),
    ),
    Kpi(
        "grr_12m",
        "Gross revenue retention, trailing 12 months",
        Unit.PERCENT,
        Group.RETENTION,
        "The same cohort as trailing-12-month NRR, counting each account's MRR today at most "
        "at its MRR then (expansion left out): kept MRR / their MRR then x 100.",
        compute=lambda t: ratio(t["cohort_12m_kept_mrr"], t["cohort_12m_start_mrr"], 100),
    ),
    Kpi(
        "revenue_churn_rate",
        "Revenue churn rate",
        Unit.PERCENT,
        Group.RETENTION,
        "(churned + contraction MRR) / starting MRR x 100.",
        higher_is_better=False,
        compute=_revenue_churn_rate,
    ),
    Kpi(
        "customers_start",
        "Customers at start",
        Unit.COUNT,
        Group.CUSTOMERS,
        "Accounts active (MRR > 0) on the day before the period.",
        compute=lambda t: t["customers_start"],
    ),
    Kpi(
        "new_customers",
        "New customers",
        Unit.COUNT,
        Group.CUSTOMERS,
        "Accounts active on D and not on the day before the period (new and reactivated).",
        compute=lambda t: t["new_customers"],
    ),
    Kpi(
        "churned_customers",
        "Churned customers",
        Unit.COUNT,
        Group.CUSTOMERS,
        "Accounts active on the day before the period and not on D.",
        higher_is_better=False,
        compute=lambda t: t["churned_customers"],
    ),
    Kpi(
        "logo_churn_rate",
        "Logo churn rate",
        Unit.PERCENT,
        Group.RETENTION,
        "Churned customers / customers at start x 100.",
        higher_is_better=False,
        compute=lambda t: ratio(t["churned_customers"], t["customers_start"], 100),
    ),
    Kpi(
        "crr",
        "Customer retention rate",
        Unit.PERCENT,
        Group.RETENTION,
        "(active customers - new customers) / customers at start x 100 (equals logo retention).",
        compute=lambda t: ratio(
            t["active_customers"] - t["new_customers"], t["customers_start"], 100
        ),
    ),
    Kpi(
        "renewal_rate",
        "Renewal rate",
        Unit.PERCENT,
        Group.RENEWAL,
        "Among paid contracts ending in the period, the share renewed: the account has another "
        "paid contract starting after it and within 30 days of its end date (even after D).",
        compute=lambda t: ratio(t["renewals_renewed"], t["renewals_eligible"], 100),
    ),
    Kpi(
        "acv",
        "Average contract value",
        Unit.MONEY,
        Group.REVENUE,
        "Average of 12 x mrr over contracts starting in the period (one-time fees excluded).",
        compute=lambda t: ratio(t["contracts_started_arr"], t["contracts_started"]),
    ),
    Kpi(
        "tcv",
        "Total contract value",
        Unit.MONEY,
        Group.REVENUE,
        "Sum over contracts starting in the period with an end date of mrr x 12 x days / 365 + "
        "one-time fee, days = end - start + 1.",
        compute=lambda t: t["contracts_started_tcv"],
    ),
    Kpi(
        "clv",
        "Customer lifetime value",
        Unit.MONEY,
        Group.EFFICIENCY,
        "ARPA / (r / 100), r = mean revenue churn rate of the 12 months ending with the period "
        "(months starting with no MRR skipped); empty when r is 0.",
        compute=_clv,
    ),
    Kpi(
        "cac",
        "Customer acquisition cost",
        Unit.MONEY,
        Group.EFFICIENCY,
        "Sales and marketing spend of the month / new (not reactivated) customers in the period.",
        higher_is_better=False,
        compute=_cac,
    ),
    Kpi(
        "clv_cac_ratio",
        "CLV : CAC",
        Unit.RATIO,
        Group.EFFICIENCY,
        "CLV / CAC; healthy above 3.",
        compute=lambda t: ratio(_clv(t), _cac(t)),
    ),
    Kpi(
        "crc",
        "Customer retention cost",
        Unit.MONEY,
        Group.EFFICIENCY,
        "Retention spend of the month / active customers.",
        higher_is_better=False,
        compute=lambda t: ratio(t["retention_spend"], t["active_customers"]),
    ),
    Kpi(
        "trial_conversion_rate",
        "Trial conversion",
        Unit.PERCENT,
        Group.CUSTOMERS,
        "Among accounts whose trial started in the period, the share converted on or before D.",
        compute=lambda t: ratio(t["trials_converted"], t["trials_started"], 100),
    ),
    Kpi(
        "avg_days_to_onboard",
        "Days to onboard",
        Unit.DAYS,
        Group.CUSTOMERS,
        "Mean over accounts onboarded in the period of onboarded_on - customer since (first "
        "paid contract start, else created_on); negative when onboarding came first.",
        higher_is_better=False,
        compute=lambda t: ratio(t["days_to_onboard_sum"], t["onboarded_with_days"]),
    ),
    # Support (section 4)
    Kpi(
        "tickets_opened",
        "Tickets opened",
        Unit.COUNT,
        Group.SUPPORT,
        "Tickets opened in the period.",
        higher_is_better=None,
        compute=lambda t: t["tickets_opened"],
    ),
    Kpi(
        "avg_first_response_hours",
        "First response time",
        Unit.HOURS,
        Group.SUPPORT,
        "Mean hours from opening to first response, over tickets first answered in the period.",
        higher_is_better=False,
        compute=lambda t: ratio(t["first_response_hours"], t["first_responses"]),
    ),
    Kpi(
        "avg_resolution_hours",
        "Resolution time",
        Unit.HOURS,
        Group.SUPPORT,
        "Mean hours from opening to resolution, over tickets resolved in the period.",
        higher_is_better=False,
        compute=lambda t: ratio(t["resolution_hours"], t["tickets_resolved"]),
    ),
    Kpi(
        "fcr_rate",
        "First contact resolution",
        Unit.PERCENT,
        Group.SUPPORT,
        "Among tickets resolved in the period, the share resolved on first contact.",
        compute=lambda t: ratio(t["resolved_first_contact"], t["tickets_resolved"], 100),
    ),
    Kpi(
        "open_tickets",
        "Open tickets",
        Unit.COUNT,
        Group.SUPPORT,
        "Tickets opened on or before D and not resolved on or before D.",
        higher_is_better=False,
        compute=lambda t: t["open_tickets"],
    ),
    # Surveys (section 5)
    Kpi(
        "nps",
        "NPS",
        Unit.SCORE,
        Group.SENTIMENT,
        "% promoters (9-10) - % detractors (0-6) among NPS responses in the period; -100 to 100.",
        compute=lambda t: ratio(t["nps_promoters"] - t["nps_detractors"], t["nps_responses"], 100),
    ),
    Kpi(
        "csat",
        "CSAT",
        Unit.PERCENT,
        Group.SENTIMENT,
        "Share of CSAT responses in the period scoring 4 or 5.",
        compute=lambda t: ratio(t["csat_satisfied"], t["csat_responses"], 100),
    ),
    Kpi(
        "ces",
        "CES",
        Unit.SCORE,
        Group.SENTIMENT,
        "Mean customer effort score of the period, 1 to 7, 7 = easiest.",
        compute=lambda t: ratio(t["ces_score_sum"], t["ces_responses"]),
    ),
    Kpi(
        "nps_responses",
        "NPS responses",
        Unit.COUNT,
        Group.SENTIMENT,
        "NPS responses in the period.",
        compute=lambda t: t["nps_responses"],
    ),
    Kpi(
        "csat_responses",
        "CSAT responses",
        Unit.COUNT,
        Group.SENTIMENT,
        "CSAT responses in the period.",
        compute=lambda t: t["csat_responses"],
    ),
    Kpi(
        "ces_responses",
        "CES responses",
        Unit.COUNT,
        Group.SENTIMENT,
        "CES responses in the period.",
        compute=lambda t: t["ces_responses"],
    ),
    # Usage (section 6)
    Kpi(
        "mau",
        "Monthly active users",
        Unit.COUNT,
        Group.USAGE,
        "Distinct (account, user) with events > 0 in the last 30 days [D-29, D].",
        compute=lambda t: t["mau"],
    ),
    Kpi(
        "wau",
        "Weekly active users",
        Unit.COUNT,
        Group.USAGE,
        "Distinct (account, user) with events > 0 in the last 7 days.",
        compute=lambda t: t["wau"],
    ),
    Kpi(
        "dau",
        "Daily active users",
        Unit.COUNT,
        Group.USAGE,
        "Mean over the last 30 days of the daily count of distinct active (account, user); "
        "days without activity count as 0.",
        compute=_dau,
    ),
    Kpi(
        "stickiness",
        "Stickiness",
        Unit.PERCENT,
        Group.USAGE,
        "DAU / MAU x 100.",
        compute=lambda t: ratio(_dau(t), t["mau"], 100),
    ),
    Kpi(
        "avg_session_minutes",
        "Session length",
        Unit.MINUTES,
        Group.USAGE,
        "Sum of minutes / sum of sessions over the last 30 days.",
        compute=lambda t: ratio(t["minutes_30d"], t["sessions_30d"]),
    ),
)

ACCOUNT_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "mrr",
        "MRR",
        Unit.MONEY,
        Group.REVENUE,
        "The account's MRR on D: sum of mrr of its contracts active that day.",
    ),
    Kpi("arr", "ARR", Unit.MONEY, Group.REVENUE, "12 x the account's MRR."),
    Kpi(
        "movement",
        "MRR movement",
        Unit.TEXT,
        Group.REVENUE,
        "new, reactivation, expansion, contraction or churn, comparing MRR on the day before "
        "the period with MRR on D; empty when none.",
        higher_is_better=None,
    ),
    Kpi(
        "movement_mrr",
        "Movement amount",
        Unit.MONEY,
        Group.REVENUE,
        "The movement's amount (always >= 0; empty, like movement, when there is no movement).",
        higher_is_better=None,
    ),
    Kpi("seats", "Seats", Unit.COUNT, Group.USAGE, "Sum of seats of the contracts active on D."),
    Kpi(
        "active_users_30d",
        "Active users (30 days)",
        Unit.COUNT,
        Group.USAGE,
        "Distinct users with events > 0 in the last 30 days.",
    ),
    Kpi(
        "seat_utilization",
        "Seat utilisation",
        Unit.PERCENT,
        Group.USAGE,
        "Active users (30 days) / seats x 100; above 100 is an upsell signal.",
    ),
    Kpi(
        "usage_trend",
        "Usage trend",
        Unit.PERCENT,
        Group.USAGE,
        "(events in [D-29, D] - events in [D-59, D-30]) / events in [D-59, D-30] x 100.",
    ),
    Kpi(
        "feature_adoption",
        "Feature adoption",
        Unit.PERCENT,
        Group.USAGE,
        "Distinct features used in the last 30 days / distinct features ever seen in any "
        "usage row x 100.",
    ),
    Kpi(
        "time_on_platform_minutes",
        "Time on platform",
        Unit.MINUTES,
        Group.USAGE,
        "Sum of minutes / distinct active (user, day) pairs, last 30 days.",
    ),
    Kpi(
        "open_tickets",
        "Open tickets",
        Unit.COUNT,
        Group.SUPPORT,
        "The account's tickets opened on or before D and not resolved on or before D.",
        higher_is_better=False,
    ),
    Kpi(
        "tickets_90d",
        "Tickets (90 days)",
        Unit.COUNT,
        Group.SUPPORT,
        "Tickets opened in the last 90 days.",
        higher_is_better=False,
    ),
    Kpi(
        "avg_first_response_hours_90d",
        "First response (90 days)",
        Unit.HOURS,
        Group.SUPPORT,
        "Mean first response time in hours over tickets first answered in the last 90 days.",
        higher_is_better=False,
    ),
    Kpi(
        "fcr_rate_90d",
        "First contact resolution (90 days)",
        Unit.PERCENT,
        Group.SUPPORT,
        "Share of tickets resolved in the last 90 days that were resolved on first contact.",
    ),
    Kpi(
        "nps_180d",
        "NPS (180 days)",
        Unit.SCORE,
        Group.SENTIMENT,
        "NPS over the account's responses of the last 180 days.",
    ),
    Kpi(
        "csat_180d",
        "CSAT (180 days)",
        Unit.PERCENT,
        Group.SENTIMENT,
        "Share of CSAT responses of the last 180 days scoring 4 or 5.",
    ),
    Kpi(
        "ces_180d",
        "CES (180 days)",
        Unit.SCORE,
        Group.SENTIMENT,
        "Mean CES score of the last 180 days, 7 = easiest.",
    ),
    Kpi(
        "days_to_renewal",
        "Days to renewal",
        Unit.DAYS,
        Group.RENEWAL,
        "Earliest end date among active contracts with one, minus D; empty when none.",
        higher_is_better=None,
    ),
    Kpi(
        "champion_left_90d",
        "Champion left",
        Unit.FLAG,
        Group.HEALTH,
        "1 when a champion contact left in the last 90 days, else 0.",
        higher_is_better=False,
    ),
    Kpi(
        "health_score",
        "Health score",
        Unit.SCORE,
        Group.HEALTH,
        "Weighted mean of the health model's component scores, 0 to 100; components without a "
        "value are left out and the weights renormalised.",
    ),
    Kpi(
        "health_band",
        "Health band",
        Unit.TEXT,
        Group.HEALTH,
        "green >= 70, yellow >= 40, else red, on the score rounded to 2 decimals; unknown "
        "without a score.",
        higher_is_better=None,
    ),
)

PORTFOLIO = {kpi.key: kpi for kpi in PORTFOLIO_KPIS}
ACCOUNT = {kpi.key: kpi for kpi in ACCOUNT_KPIS}
# Account metrics a health model may score: the numeric ones.
SCORABLE_ACCOUNT_METRICS = tuple(
    kpi.key
    for kpi in ACCOUNT_KPIS
    if kpi.unit not in (Unit.TEXT,) and not kpi.key.startswith("health_")
)


def portfolio_values(totals: Totals) -> dict[str, Any]:
    """Every portfolio KPI from the summed snapshot columns, in registry order."""
    return {kpi.key: kpi.compute(totals) for kpi in PORTFOLIO_KPIS}
