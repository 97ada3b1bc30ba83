"""Drill-down: the rows behind every portfolio figure, for the page and its CSV export.

Each registry KPI (and each dashboard panel) maps to a `Drill`: a sentence saying which rows are
listed, the columns, and the selector that reads them. Snapshot-based figures list the per-account
snapshot rows they summed; NPS, CSAT and CES list the period's survey responses, the renewal rate
its eligible contracts and support figures their tickets (indexed raw reads, a page at a time).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from django.db.models import F, Q, QuerySet

from accounts.models import Account
from metrics.dashboard import AT_RISK_BANDS, RENEWAL_HORIZON_DAYS
from metrics.models import AccountSnapshot, Movement
from metrics.registry import ACCOUNT, PORTFOLIO, Group, Kpi, Unit
from metrics.selectors import (
    TicketSet,
    period_survey_responses,
    period_tickets,
    renewal_eligible_contracts,
    snapshot_rows,
)
from surveys.models import ScoreGroup, SurveyKind, score_group


@dataclass(frozen=True)
class Column:
    """One column of a drill-down table. `kind` says how the page formats the value: a registry
    unit, or account (a link), text, date, datetime, bool or band."""

    label: str
    value: Callable[[Any], Any]
    kind: str = "text"


@dataclass(frozen=True)
class Drill:
    key: str
    title: str
    rows_are: str
    columns: tuple[Column, ...]
    rows: Callable[[date, QuerySet[Account]], QuerySet]


def owner_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email or user.get_username()


def _hours(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds() / 3600


def _snapshot_column(key: str, label: str = "", kind: str = "") -> Column:
    """A snapshot column, labelled and typed by the registry when it is an account KPI."""
    kpi = ACCOUNT.get(key)
    return Column(
        label or (kpi.label if kpi else key),
        attrgetter(key),
        kind or (kpi.unit if kpi else "count"),
    )


def _snapshots(condition: Q, *order) -> Callable[[date, QuerySet[Account]], QuerySet]:
    def rows(as_of: date, accounts: QuerySet[Account]) -> QuerySet[AccountSnapshot]:
        return snapshot_rows(as_of=as_of, accounts=accounts, condition=condition, order=order)

    return rows


def _responses(kind: str) -> Callable[[date, QuerySet[Account]], QuerySet]:
    def rows(as_of: date, accounts: QuerySet[Account]) -> QuerySet:
        return period_survey_responses(as_of=as_of, accounts=accounts, kind=kind)

    return rows


def _tickets(which: TicketSet) -> Callable[[date, QuerySet[Account]], QuerySet]:
    def rows(as_of: date, accounts: QuerySet[Account]) -> QuerySet:
        return period_tickets(as_of=as_of, accounts=accounts, which=which)

    return rows


def _renewal_contracts(as_of: date, accounts: QuerySet[Account]) -> QuerySet:
    return renewal_eligible_contracts(as_of=as_of, accounts=accounts)


def _nps_category(score: int) -> str:
    # kpi-spec section 5: promoters answer 9-10, detractors 0-6 (the surveys app's one rule).
    return score_group(SurveyKind.NPS, score)


ACCOUNT_COLUMN = Column("Account", lambda row: row.account.name, "account")
_WHO = (
    ACCOUNT_COLUMN,
    Column("Segment", lambda row: row.account.segment),
    Column("Owner", lambda row: owner_name(row.account.owner)),
)
_MOVEMENT = (
    *_WHO,
    Column("Movement", lambda row: row.get_movement_display() if row.movement else ""),
    _snapshot_column("starting_mrr", "Starting MRR", Unit.MONEY),
    _snapshot_column("mrr"),
    _snapshot_column("movement_mrr"),
)
_REVENUE = (
    *_WHO,
    _snapshot_column("mrr"),
    _snapshot_column("arr"),
    _snapshot_column("seats"),
    Column("Health", attrgetter("health_band"), "band"),
)
_HEALTH = (
    *_WHO,
    _snapshot_column("mrr"),
    Column("Health", attrgetter("health_band"), "band"),
    _snapshot_column("health_score"),
    _snapshot_column("days_to_renewal"),
    _snapshot_column("open_tickets"),
    _snapshot_column("nps_180d"),
    _snapshot_column("usage_trend"),
)
_USAGE = (
    *_WHO,
    _snapshot_column("active_users_30d"),
    _snapshot_column("active_users_7d", "Active users (7 days)"),
    _snapshot_column("active_user_days_30d", "Active user-days (30 days)"),
    _snapshot_column("minutes_30d", "Minutes (30 days)", Unit.MINUTES),
    _snapshot_column("sessions_30d", "Sessions (30 days)"),
    _snapshot_column("seat_utilization"),
)
_TICKETS = (
    ACCOUNT_COLUMN,
    Column("Owner", lambda row: owner_name(row.account.owner)),
    Column("Ticket", attrgetter("external_id")),
    Column("Subject", attrgetter("subject")),
    Column("Priority", attrgetter("priority")),
    Column("Opened", attrgetter("opened_at"), "datetime"),
    Column("First response (hours)", lambda row: _hours(row.response_time), Unit.HOURS),
    Column("Resolved", attrgetter("resolved_at"), "datetime"),
    Column("Resolution (hours)", lambda row: _hours(row.resolution_time), Unit.HOURS),
    Column("First contact", attrgetter("resolved_on_first_contact"), "bool"),
)


def _survey_columns(kind: str) -> tuple[Column, ...]:
    verdicts = {
        "nps": Column("Category", lambda row: _nps_category(row.score)),
        # Satisfied: 4 or 5 (section 5), CSAT's promoters.
        "csat": Column(
            "Satisfied",
            lambda row: score_group(SurveyKind.CSAT, row.score) == ScoreGroup.PROMOTER,
            "bool",
        ),
    }
    return (
        ACCOUNT_COLUMN,
        Column("Owner", lambda row: owner_name(row.account.owner)),
        Column("Responded", attrgetter("responded_at"), "datetime"),
        Column("Contact", lambda row: str(row.contact) if row.contact else ""),
        Column("Score", attrgetter("score"), Unit.COUNT),
        *([verdicts[kind]] if kind in verdicts else []),
        Column("Comment", attrgetter("comment")),
    )


_MOVEMENTS = {
    "new_mrr": Movement.NEW,
    "reactivation_mrr": Movement.REACTIVATION,
    "expansion_mrr": Movement.EXPANSION,
    "contraction_mrr": Movement.CONTRACTION,
    "churned_mrr": Movement.CHURN,
}
_PAYING = Q(mrr__gt=0)
_PAYING_AT_START = Q(starting_mrr__gt=0)
_SURVEY_KEYS = {
    "nps": "nps",
    "nps_responses": "nps",
    "csat": "csat",
    "csat_responses": "csat",
    "ces": "ces",
    "ces_responses": "ces",
}
_TICKET_KEYS = {
    "tickets_opened": TicketSet.OPENED,
    "avg_first_response_hours": TicketSet.FIRST_RESPONDED,
    "avg_resolution_hours": TicketSet.RESOLVED,
    "fcr_rate": TicketSet.RESOLVED,
    "open_tickets": TicketSet.OPEN,
}
_RENEWING = Q(mrr__gt=0, days_to_renewal__gte=0, days_to_renewal__lte=RENEWAL_HORIZON_DAYS)
# Lists that are not registry KPIs: the dashboard's renewal, risk and health panels.
PANEL_DRILLS = {
    "renewals": Drill(
        "renewals",
        "Renewals in the next 90 days",
        "Paying accounts whose earliest active contract ends within 90 days of the as-of date.",
        (
            *_WHO,
            Column(
                "Renewal date",
                lambda row: row.as_of + timedelta(days=row.days_to_renewal),
                "date",
            ),
            *_HEALTH[3:6],
        ),
        _snapshots(_RENEWING, "days_to_renewal", "-mrr"),
    ),
    "at_risk": Drill(
        "at_risk",
        "Accounts at risk",
        "Paying accounts in the red or yellow health band, biggest MRR first.",
        _HEALTH,
        _snapshots(_PAYING & Q(health__band__in=AT_RISK_BANDS), "-mrr"),
    ),
    "health": Drill(
        "health",
        "Health of paying accounts",
        "Paying accounts with their health band and score, least healthy first.",
        _HEALTH,
        _snapshots(_PAYING, F("health__score").asc(nulls_last=True)),
    ),
}


def drill_for(key: str) -> Drill | None:
    """The drill-down of a registry KPI or dashboard panel; None for an unknown key."""
    if key in PANEL_DRILLS:
        return PANEL_DRILLS[key]
    kpi = PORTFOLIO.get(key)
    if kpi is None:
        return None
    title, rows_are, columns, rows = _drill_parts(kpi)
    return Drill(key, title or kpi.label, rows_are, columns, rows)


def _drill_parts(kpi: Kpi) -> tuple[str, str, tuple[Column, ...], Callable]:
    key = kpi.key
    if key in _MOVEMENTS:
        movement = _MOVEMENTS[key]
        return (
            "",
            f"Accounts with a {movement.label.lower()} MRR movement in the period.",
            _MOVEMENT,
            _snapshots(Q(movement=movement), "-movement_mrr"),
        )
    if key in ("net_new_mrr", "new_customers", "churned_customers", "cac"):
        movements = {
            "net_new_mrr": list(Movement),
            "new_customers": [Movement.NEW, Movement.REACTIVATION],
            "churned_customers": [Movement.CHURN],
            "cac": [Movement.NEW],  # CAC divides by new logos only
        }[key]
        names = ", ".join(movement.label.lower() for movement in movements)
        return (
            "",
            f"Accounts with an MRR movement of these kinds in the period: {names}.",
            _MOVEMENT,
            _snapshots(Q(movement__in=movements), "movement", "-movement_mrr"),
        )
    if key in ("grr", "nrr", "revenue_churn_rate", "starting_mrr", "customers_start", "crr"):
        return (
            "",
            "Accounts that were paying on the day before the period, and what became of them.",
            _MOVEMENT,
            _snapshots(_PAYING_AT_START, "-starting_mrr"),
        )
    if key == "logo_churn_rate":
        return (
            "",
            "Accounts paying at the start of the period; churned ones first.",
            _MOVEMENT,
            _snapshots(_PAYING_AT_START, F("movement").desc(nulls_last=True), "-starting_mrr"),
        )
    if key == "renewal_rate":
        return (
            "",
            "Paid contracts ending in the period, and whether another paid contract of the "
            "account starts within 30 days of its end.",
            (
                *_WHO,
                Column("Contract", attrgetter("external_id")),
                Column("Plan", attrgetter("plan")),
                Column("Start", attrgetter("start_date"), "date"),
                Column("End", attrgetter("end_date"), "date"),
                Column("MRR", attrgetter("mrr"), Unit.MONEY),
                Column("Renewed", attrgetter("renewed"), "bool"),
                Column("Renewed by", lambda row: row.renewed_by or ""),
            ),
            _renewal_contracts,
        )
    if key in ("acv", "tcv"):
        return (
            "",
            "Accounts with contracts starting in the period.",
            (
                *_WHO,
                _snapshot_column("contracts_started", "Contracts started"),
                _snapshot_column("contracts_started_arr", "ARR of contracts started", Unit.MONEY),
                _snapshot_column("contracts_started_tcv", "TCV of contracts started", Unit.MONEY),
            ),
            _snapshots(Q(contracts_started__gt=0), "-contracts_started_arr"),
        )
    if key == "trial_conversion_rate":
        return (
            "",
            "Accounts whose trial started in the period.",
            (
                *_WHO,
                Column("Trial started", lambda row: row.account.trial_started_on, "date"),
                Column("Converted on", lambda row: row.account.converted_on, "date"),
                Column("Converted by the as-of date", attrgetter("trial_converted"), "bool"),
            ),
            _snapshots(Q(trial_started=True)),
        )
    if key == "avg_days_to_onboard":
        return (
            "",
            "Accounts onboarded in the period.",
            (
                *_WHO,
                Column("Customer since", attrgetter("customer_since"), "date"),
                Column("Onboarded on", lambda row: row.account.onboarded_on, "date"),
                _snapshot_column("days_to_onboard", "Days to onboard", Unit.DAYS),
            ),
            _snapshots(Q(onboarded=True), "days_to_onboard"),
        )
    if key in _TICKET_KEYS:
        which = _TICKET_KEYS[key]
        return "", f"Tickets behind the figure: {which.label}.", _TICKETS, _tickets(which)
    if key in _SURVEY_KEYS:
        kind = _SURVEY_KEYS[key]
        return (
            f"{kind.upper()} responses",
            f"{kind.upper()} responses given in the period.",
            _survey_columns(kind),
            _responses(kind),
        )
    if kpi.group == Group.USAGE:
        return (
            "",
            "Accounts with active users in the last 30 days.",
            _USAGE,
            _snapshots(Q(active_users_30d__gt=0), "-active_users_30d"),
        )
    # MRR, ARR, customers, ARPA, CLV, CRC and anything new: the paying accounts.
    return "", "Accounts paying on the as-of date.", _REVENUE, _snapshots(_PAYING, "-mrr")
