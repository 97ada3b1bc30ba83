"""The KPI registry: every number Northstar shows, defined once (kpi-spec sections 3 to 7).

Each KPI has its key, label, unit, direction and a one-sentence definition with its formula. The
engine's column names, the `kpis` JSON output, the pages' tiles and tooltips and docs/kpis.md all
read from here. Portfolio KPIs also carry `compute`: the ratio or mean derived from the summed
snapshot columns (`Totals`), so every filter of accounts gets the same arithmetic.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
    # The same definition in plain words, for people (the pages' disclosures); `definition`
    # keeps the formula in the spec's terms.
    plain: str = ""


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
        # The window is in the label: "Champion left: No" beside a contact who left in May read
        # as a contradiction.
        "Champion left in the last 90 days",
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


# Every portfolio figure in plain words: what a leader reads when she opens "What is this?".
# The formulas stay in `definition`; a test keeps spec notation (<=, x 100, m0, D) out of these.
PLAIN: dict[str, str] = {
    "mrr": "What customers pay us each month, on the last day shown, counting every contract "
    "running that day.",
    "arr": "MRR over a year: twelve times what customers pay each month.",
    "active_customers": "Accounts paying us something on the last day shown.",
    "arpa": "What a paying account pays each month, on average.",
    "starting_mrr": "What customers paid each month on the day before the month began.",
    "new_mrr": "Monthly revenue from accounts that started paying this month for the first time.",
    "reactivation_mrr": "Monthly revenue from former customers who came back this month.",
    "expansion_mrr": "How much more existing customers pay each month than at the month's start.",
    "contraction_mrr": "How much less existing customers pay each month than at the month's "
    "start, counting only those still paying.",
    "churned_mrr": "What the customers who stopped paying this month used to pay each month.",
    "net_new_mrr": "Revenue won minus revenue lost this month: new, returning and expansion, "
    "less contraction and churn. It is the change in MRR.",
    "grr": "Of the revenue we had at the month's start, the share we kept, not counting upsells. "
    "100% means nobody paid less or left.",
    "nrr": "Revenue from the customers we had at the month's start, now, compared with then, "
    "upsells included. Above 100% means they pay more than they did.",
    "nrr_12m": "Revenue from the customers we had a year ago, now, compared with then, upsells "
    "included; customers won since are left out. The figure usually quoted for NRR.",
    "grr_12m": "Of the revenue from the customers we had a year ago, the share we kept, not "
    "counting upsells; customers won since are left out.",
    "revenue_churn_rate": "The share of the month's starting revenue lost to customers leaving "
    "or paying less.",
    "customers_start": "Accounts paying us on the day before the month began.",
    "new_customers": "Accounts paying now that were not paying when the month began, new or "
    "returning.",
    "churned_customers": "Accounts that were paying when the month began and no longer are.",
    "logo_churn_rate": "The share of the month's starting customers who stopped paying.",
    "crr": "The share of the month's starting customers still paying at its end.",
    "renewal_rate": "Of the paid contracts that ended this month, the share followed by a new "
    "paid contract within 30 days.",
    "acv": "What a contract signed this month is worth per year, on average.",
    "tcv": "What the contracts signed this month are worth over their whole term, one-time "
    "fees included.",
    "clv": "What an average customer is expected to pay us over their lifetime, given the "
    "past year's revenue churn.",
    "cac": "What sales and marketing spent this month for each new customer won.",
    "clv_cac_ratio": "How many times a customer's lifetime value covers the cost of winning "
    "them; above 3 is healthy.",
    "crc": "What we spent this month on keeping customers, per paying customer.",
    "trial_conversion_rate": "Of the trials started this month, the share that became paying "
    "customers.",
    "avg_days_to_onboard": "How many days, on average, from a customer's first contract to "
    "finishing onboarding, for those onboarded this month.",
    "tickets_opened": "Support tickets opened this month.",
    "avg_first_response_hours": "How long customers waited, on average, for a first reply to "
    "tickets answered this month.",
    "avg_resolution_hours": "How long tickets resolved this month took to resolve, on average.",
    "fcr_rate": "Of the tickets resolved this month, the share solved on the first contact.",
    "open_tickets": "Support tickets still open on the last day shown.",
    "nps": "Net promoter score of this month's answers: the share who would recommend us (9 or "
    "10) minus the share who would not (0 to 6), from -100 to +100. Few answers make it jumpy.",
    "csat": "Of this month's satisfaction answers, the share that were satisfied (4 or 5 of 5).",
    "ces": "How easy customers found it to get things done, this month's average from 1 to 7 "
    "(7 is easiest).",
    "nps_responses": "How many NPS answers came in this month.",
    "csat_responses": "How many satisfaction answers came in this month.",
    "ces_responses": "How many effort answers came in this month.",
    "mau": "People who used the product in the last 30 days.",
    "wau": "People who used the product in the last 7 days.",
    "dau": "People using the product on a typical day of the last 30.",
    "stickiness": "How many of the month's users come back on a typical day: daily over "
    "monthly users.",
    "avg_session_minutes": "How long a visit to the product lasts, on average, over the last "
    "30 days.",
}
PORTFOLIO_KPIS = tuple(replace(kpi, plain=PLAIN[kpi.key]) for kpi in PORTFOLIO_KPIS)

# Every account metric in plain words, for the 360 page's "What is this?" disclosures.
ACCOUNT_PLAIN: dict[str, str] = {
    "mrr": "What this account pays each month, counting every contract running that day.",
    "arr": "What this account pays over a year: twelve times its monthly revenue.",
    "movement": "How its monthly revenue changed since the month began: new, back again, "
    "more, less or gone; empty when it did not change.",
    "movement_mrr": "How much its monthly revenue changed since the month began; empty when it "
    "did not change.",
    "seats": "The seats of the contracts running that day.",
    "active_users_30d": "People at the account who used the product in the last 30 days.",
    "seat_utilization": "Active users of the last 30 days for each seat bought; above 100 % "
    "they use more seats than they pay for.",
    "usage_trend": "Product use in the last 30 days against the 30 days before: -50 % means "
    "half as much, -100 % none at all; empty when there was no use to compare with.",
    "feature_adoption": "The share of the product's features this account used in the last 30 "
    "days.",
    "time_on_platform_minutes": "Minutes in the product per active person and day, last 30 days.",
    "open_tickets": "Support tickets opened and not yet resolved.",
    "tickets_90d": "Support tickets opened in the last 90 days.",
    "avg_first_response_hours_90d": "How long, on average, the account waited for a first "
    "answer from support, over tickets answered in the last 90 days.",
    "fcr_rate_90d": "The share of its tickets resolved in the last 90 days that were solved on "
    "the first contact.",
    "nps_180d": "Net promoter score of its answers in the last 180 days: the share who would "
    "recommend us (9-10) minus the share who would not (0-6), from -100 to +100.",
    "csat_180d": "The share of its satisfaction answers in the last 180 days that were 4 or 5 "
    "out of 5.",
    "ces_180d": "How easy its people found it to get things done, on average, 1 to 7 (7 the "
    "easiest), last 180 days.",
    "days_to_renewal": "Days until the soonest end of a contract running now; empty when no "
    "contract has an end.",
    "champion_left_90d": "Whether a contact marked as champion left the account in the last "
    "90 days.",
    "health_score": "0 to 100: how healthy the account looks, from the health model's "
    "components below, each scored 0 at its bad value and 100 at its good one.",
    "health_band": "Green from 70, yellow from 40, red below; unknown without a score.",
}
ACCOUNT_KPIS = tuple(replace(kpi, plain=ACCOUNT_PLAIN.get(kpi.key, "")) for kpi in ACCOUNT_KPIS)

# Facts the 360 page shows beside the metrics that are not snapshot metrics (not in `kpis`'s
# output nor scorable), defined here all the same so their tiles explain themselves too.
ACCOUNT_FACTS: tuple[Kpi, ...] = (
    Kpi(
        "plan",
        "Plan",
        Unit.TEXT,
        Group.REVENUE,
        "The plan of the contract active on D with the highest mrr (the latest to start on a "
        "tie); its start date beside it.",
        higher_is_better=None,
        plain="The plan of the account's biggest contract running on the last day shown, and "
        "when that contract started.",
    ),
    Kpi(
        "customer_since",
        "Customer since",
        Unit.TEXT,
        Group.REVENUE,
        "customer_since: the earliest start_date of a contract with mrr > 0; empty when none.",
        higher_is_better=None,
        plain="When the account's first paid contract started; empty when it has never paid.",
    ),
)

PORTFOLIO = {kpi.key: kpi for kpi in PORTFOLIO_KPIS}
ACCOUNT = {kpi.key: kpi for kpi in ACCOUNT_KPIS}
# What the 360 page's disclosures look up: the metrics and the facts.
ACCOUNT_TERMS = {**ACCOUNT, **{kpi.key: kpi for kpi in ACCOUNT_FACTS}}
# Account metrics a health model may score: the numeric ones.
SCORABLE_ACCOUNT_METRICS = tuple(
    kpi.key
    for kpi in ACCOUNT_KPIS
    if kpi.unit not in (Unit.TEXT,) and not kpi.key.startswith("health_")
)


def portfolio_values(totals: Totals) -> dict[str, Any]:
    """Every portfolio KPI from the summed snapshot columns, in registry order."""
    return {kpi.key: kpi.compute(totals) for kpi in PORTFOLIO_KPIS}


def period_values(totals: Totals, *, cohort: str) -> dict[str, Any]:
    """Every portfolio KPI over a trailing period (metrics.periods) from its combined totals:
    the month's formulas, except NRR and GRR, which are the fixed cohort's at the period's start
    (`cohort` "3m" or "12m": its MRR on the last date / its MRR then, and the part kept)."""
    values = portfolio_values(totals)
    start = totals[f"cohort_{cohort}_start_mrr"]
    values["nrr"] = ratio(totals[f"cohort_{cohort}_mrr"], start, 100)
    values["grr"] = ratio(totals[f"cohort_{cohort}_kept_mrr"], start, 100)
    return values
