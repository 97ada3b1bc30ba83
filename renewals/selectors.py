"""The renewal desk's reads: the renewals of the next days, the quarter's forecast and how the
forecasts of a closed quarter fared, the reasons report, and My day's open outcomes."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncMonth

from accounts.access import accounts_visible_to, user_sees_all_accounts
from accounts.models import Account, Contract
from churn.models import ChurnScore
from metrics.selectors import latest_snapshot_run
from playbooks.sql import COMMITTED_TERM
from renewals import services, sql
from renewals.forecast import Forecast
from renewals.models import (
    ChurnReason,
    ForecastSource,
    OutcomeKind,
    RenewalForecast,
    RenewalOutcome,
    Stage,
)
from renewals.quarters import (
    LEAD_TOLERANCE_DAYS,
    SCORED_LEADS,
    quarter_end,
    quarter_label,
    quarter_start,
)

WINDOWS = (30, 90, 180)
CALL_STAGES = {
    "commit": Stage.COMMITTED,
    "most_likely": Stage.IN_PROGRESS,
    "at_risk": Stage.AT_RISK,
}


def _committed_term() -> RawSQL:
    # playbooks.sql's rule on the ORM's table name, its named parameter made positional.
    condition = COMMITTED_TERM.format(c="accounts_contract") % {"min_term": "%s"}
    return RawSQL(condition, [settings.RENEWAL_MIN_TERM_MONTHS])  # noqa: S611 (a constant)


def renewal_contracts() -> QuerySet[Contract]:
    """Every renewal: a paid committed term."""
    return (
        Contract.objects.filter(mrr__gt=0, end_date__isnull=False)
        .alias(committed=_committed_term())
        .filter(committed=True)
    )


def _horizon(days_expression: str) -> RawSQL:
    return RawSQL(  # noqa: S611 (a constant)
        sql.HORIZON_FOR_DAYS.format(days=days_expression), [], output_field=IntegerField()
    )


@dataclass(frozen=True)
class RenewalRow:
    contract: Contract
    arr: Decimal
    days_left: int
    horizon: int
    probability: float | None
    no_score_reason: str
    health_score: float | None
    health_band: str
    may_call: bool

    @property
    def days_ago(self) -> int:
        return -self.days_left

    @property
    def account(self) -> Account:
        return self.contract.account

    @property
    def call(self):
        return getattr(self.contract, "renewal_call", None)

    @property
    def outcome(self):
        return getattr(self.contract, "renewal_outcome", None)

    @property
    def stage(self) -> Stage:
        """The outcome once the contracts show it; before, the CSM's call (none: not started)."""
        if self.outcome is not None:
            return Stage(self.outcome.kind)
        return CALL_STAGES[self.call.call] if self.call else Stage.NOT_STARTED


def renewal_rows(
    *, user: AbstractBaseUser, today: date, days: int, owner_id: int | None = None
) -> list[RenewalRow]:
    """The renewals the user may see ending in the next `days` days, and those ended in the
    grace period still without an outcome, soonest first; each with its newest health and churn
    probability (the horizon reaching its end). Two queries."""
    run = latest_snapshot_run()
    grace = settings.RENEWAL_GRACE_DAYS
    visible = accounts_visible_to(user)
    if owner_id is not None:
        visible = visible.filter(owner_id=owner_id)
    contracts = (
        renewal_contracts()
        .filter(account__in=visible.values("pk"))
        .filter(
            Q(end_date__range=(today, today + timedelta(days=days)))
            | Q(end_date__range=(today - timedelta(days=grace), today), renewal_outcome=None)
        )
        .annotate(horizon=_horizon(f"(accounts_contract.end_date - '{today.isoformat()}'::date)"))
    )
    scores = ChurnScore.objects.filter(
        account=OuterRef("account"), horizon_days=OuterRef("horizon")
    ).order_by("-as_of")
    contracts = contracts.annotate(
        probability=Subquery(scores.values("probability")[:1]),
        no_score_reason=Subquery(scores.values("no_score_reason")[:1]),
        health=FilteredRelation(
            "account__health_scores",
            condition=Q(account__health_scores__as_of=run.as_of if run else None),
        ),
        health_score=F("health__score"),
        health_band=F("health__band"),
    ).select_related("account__owner", "renewal_call", "renewal_outcome")
    return [
        RenewalRow(
            contract=contract,
            arr=contract.mrr * 12,
            days_left=(contract.end_date - today).days,
            horizon=contract.horizon,
            probability=contract.probability,
            no_score_reason=contract.no_score_reason or "",
            health_score=contract.health_score,
            health_band=contract.health_band or "unknown",
            may_call=contract.account.owner_id == user.pk,
        )
        for contract in contracts.order_by("end_date", "account__name")
    ]


def get_renewal_for_call(user: AbstractBaseUser, contract_id: int) -> Contract | None:
    """A renewal of an account the user may see, or None."""
    visible = accounts_visible_to(user).values("pk")
    return (
        renewal_contracts().filter(account__in=visible, pk=contract_id).select_related("account")
    ).first()


# --- The forecast ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookForecast:
    owner: Any  # a user, or None for the whole portfolio
    by_source: dict[str, Forecast]


def forecast_books(*, user: AbstractBaseUser, today: date, start: date) -> list[BookForecast]:
    """The quarter's forecast as of today: the portfolio's and each owner's book for those who
    see every account, a CSM's own book for her. One query for the renewals, one for owners."""
    results = services.quarter_forecasts(as_of=today, start=start)
    sees_all = user_sees_all_accounts(user)
    owner_ids = {owner for owner, _source in results if owner is not None}
    if not sees_all:
        owner_ids &= {user.pk}
    owners = get_user_model().objects.filter(pk__in=owner_ids).order_by("first_name", "username")
    books = [BookForecast(None, _sources(results, None))] if sees_all else []
    books += [BookForecast(owner, _sources(results, owner.pk)) for owner in owners]
    if not sees_all and not books:
        books = [BookForecast(user, _sources({}, user.pk))]
    return books


def _sources(results: dict, owner_id: int | None) -> dict[str, Forecast]:
    empty = Forecast(0, 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    return {source: results.get((owner_id, source), empty) for source in ForecastSource.values}


def scored_quarters(*, today: date) -> list[date]:
    """The closed quarters with stored forecasts, newest first."""
    return list(
        RenewalForecast.objects.filter(quarter_start__lt=quarter_start(today))
        .values_list("quarter_start", flat=True)
        .distinct()
        .order_by("-quarter_start")
    )


@dataclass(frozen=True)
class ScoreLine:
    owner: Any
    actual_arr: Decimal
    pending: int  # renewals of the quarter still without an outcome
    # {lead days: {source: (forecast expected ARR, error = forecast - actual)}}
    leads: dict[int, dict[str, tuple[Decimal | None, Decimal | None]]]
    cells: list[dict] = field(default_factory=list)  # the table's cells, leads x sources


def _cell(line: ScoreLine, lead: int, source: str) -> dict:
    expected, error = line.leads.get(lead, {}).get(source, (None, None))
    share = error / line.actual_arr * 100 if error is not None and line.actual_arr else None
    return {"lead": lead, "source": source, "expected": expected, "error": error, "share": share}


def quarter_scorecard(*, user: AbstractBaseUser, start: date, today: date) -> dict:
    """How the forecasts of a closed quarter, 90, 60 and 30 days before its end, compare with
    its renewing ARR (each renewal's successor ARR, at most its own ARR: the GRR numerator),
    for the portfolio and each owner: three queries."""
    end = quarter_end(start)
    actual: dict[int | None, Decimal] = {}
    pending: dict[int | None, int] = {}
    for row in sql.quarter_renewals(as_of=today, first=start, last=end):
        _id, owner, mrr, _p, _cp, _call, kind, mrr_after = row
        for key in (None, owner):
            actual.setdefault(key, Decimal(0))
            pending.setdefault(key, 0)
            if kind is None:
                pending[key] += 1
            else:
                actual[key] += min(mrr_after, mrr) * 12
    dates = _lead_dates(start=start, end=end)
    stored = RenewalForecast.objects.filter(
        quarter_start=start, as_of__in=[d for d in dates.values() if d]
    ).select_related("owner")
    sees_all = user_sees_all_accounts(user)
    lines: dict[int | None, ScoreLine] = {}
    for forecast_row in stored:
        if not sees_all and forecast_row.owner_id != user.pk:
            continue
        key = forecast_row.owner_id
        line = lines.setdefault(
            key,
            ScoreLine(forecast_row.owner, actual.get(key, Decimal(0)), pending.get(key, 0), {}),
        )
        for lead, as_of in dates.items():
            if as_of == forecast_row.as_of:
                expected = forecast_row.expected_arr
                error = None if expected is None else expected - line.actual_arr
                line.leads.setdefault(lead, {})[forecast_row.source] = (expected, error)
    ordered = sorted(lines.values(), key=lambda line: (line.owner is not None, str(line.owner)))
    for line in ordered:
        line.cells.extend(
            _cell(line, lead, source) for lead in SCORED_LEADS for source in ForecastSource.values
        )
    return {"start": start, "end": end, "label": quarter_label(start), "dates": dates,
            "lines": ordered}  # fmt: skip


def _lead_dates(*, start: date, end: date) -> dict[int, date | None]:
    """For each lead, the newest stored forecast date on or before `end - lead` (at most
    LEAD_TOLERANCE_DAYS earlier): one query."""
    stored = set(
        RenewalForecast.objects.filter(
            quarter_start=start,
            as_of__range=(end - timedelta(days=max(SCORED_LEADS) + LEAD_TOLERANCE_DAYS), end),
        )
        .values_list("as_of", flat=True)
        .distinct()
    )
    found = {}
    for lead in SCORED_LEADS:
        target = end - timedelta(days=lead)
        near = [d for d in stored if target - timedelta(days=LEAD_TOLERANCE_DAYS) <= d <= target]
        found[lead] = max(near, default=None)
    return found


# --- Reasons ---------------------------------------------------------------------------------


def lost_outcomes(*, user: AbstractBaseUser, since: date) -> QuerySet[RenewalOutcome]:
    """The churns and downsells of the accounts the user may see, ended on or after `since`."""
    return RenewalOutcome.objects.filter(
        account__in=accounts_visible_to(user).values("pk"),
        ended_on__gte=since,
        kind__in=[OutcomeKind.CHURNED, OutcomeKind.DOWNSOLD],
    )


def _arr_lost():
    return Coalesce(Sum((F("mrr_before") - F("mrr_after")) * 12), Decimal(0))


def reasons_report(*, user: AbstractBaseUser, since: date) -> dict[str, list[dict]]:
    """Churns and downsells by reason (count, ARR lost), by reason and segment, and by reason
    and month ended: three grouped queries. "No reason yet" is a reason of its own."""
    base = lost_outcomes(user=user, since=since)
    by_reason = list(
        base.values("reason__name").annotate(count=Count("pk"), arr=_arr_lost()).order_by("-arr")
    )
    by_segment = list(
        base.values("reason__name", "account__segment")
        .annotate(count=Count("pk"), arr=_arr_lost())
        .order_by("account__segment", "reason__name")
    )
    by_month = list(
        base.annotate(month=TruncMonth("ended_on"))
        .values("month", "reason__name")
        .annotate(count=Count("pk"), arr=_arr_lost())
        .order_by("month", "reason__name")
    )
    return {"by_reason": by_reason, "by_segment": by_segment, "by_month": by_month}


def reason_choices() -> QuerySet[ChurnReason]:
    return ChurnReason.objects.filter(is_active=True)


def open_outcomes(*, owner: AbstractBaseUser) -> QuerySet[RenewalOutcome]:
    """The churns and downsells of the owner's accounts still without a reason."""
    return (
        RenewalOutcome.objects.filter(account__owner=owner, reason__isnull=True)
        .exclude(kind=OutcomeKind.RENEWED)
        .select_related("account")
        .order_by("-ended_on")
    )


@dataclass(frozen=True)
class DaySection:
    """A section of My day that another app adds (settings.MY_DAY_SECTIONS)."""

    id: str
    template: str
    items: list


def my_day_open_outcomes(owner: AbstractBaseUser) -> DaySection | None:
    """My day's list of the owner's churns and downsells waiting for a reason (one query)."""
    items = list(open_outcomes(owner=owner)[:20])
    return DaySection("open-outcomes", "renewals/_day_open_outcomes.html", items)
