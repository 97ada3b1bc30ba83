"""Reads of the snapshots: portfolio KPIs for any filter of accounts, account rows, freshness.

Portfolio figures are sums of per-account snapshot columns over the filtered accounts, in one
aggregate query; the registry derives ratios and means from those sums. Nothing here reads raw
records.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
)
from django.db.models.functions import Coalesce, TruncMonth

from accounts.filters import ViewFilter, filter_accounts
from accounts.models import RENEWAL_WINDOW_DAYS, Account, Contract, CostMonth, Ticket
from metrics.models import AccountSnapshot, PortfolioRollup, SnapshotRun
from metrics.periods import PeriodLength, PeriodMonths, period_months, values_of
from metrics.registry import portfolio_values
from metrics.sql import local_midnight
from metrics.totals import rollup_aggregates, snapshot_aggregates
from surveys.models import SurveyResponse


@dataclass(frozen=True)
class AccountFilter:
    """The dimensions a portfolio can be cut by; empty means no restriction."""

    segment: str = ""
    region: str = ""
    lifecycle_stage: str = ""
    owner_email: str = ""
    owner_id: int | None = None
    group_id: int | None = None  # an account and every account below it

    @property
    def spec(self) -> ViewFilter:
        """The cut in the one vocabulary of filters (accounts.filters), as views say it."""
        return ViewFilter(
            segment=self.segment,
            region=self.region,
            stage=self.lifecycle_stage,
            owner=self.owner_id,
            group=self.group_id,
        )

    def apply(
        self, accounts: QuerySet[Account], *, view: ViewFilter | None = None, as_of=None, user=None
    ) -> QuerySet[Account]:
        """`accounts` cut by these dimensions and by `view` (a view's filter, its figures read
        on `as_of`), through the one compiler of filters."""
        if self.owner_email:
            accounts = accounts.filter(owner__email__iexact=self.owner_email)
        accounts = filter_accounts(accounts, self.spec)
        if view is not None:
            accounts = filter_accounts(accounts, view, as_of=as_of, user=user)
        return accounts


@dataclass(frozen=True)
class GroupHealth:
    """A company group's health on a date: the MRR-weighted mean of its paying members' scores
    (a big subsidiary weighs more than a small one), and the worst band among them."""

    score: float | None
    worst_band: str | None
    paying_members: int
    mrr: Decimal = Decimal(0)  # the members' summed MRR


_BAND_ORDER = ("red", "yellow", "green")  # worst first


def group_health(*, as_of: date, accounts: QuerySet[Account]) -> GroupHealth:
    """One aggregate over the members' snapshot rows and scores of `as_of`."""
    scored = Q(mrr__gt=0, health__score__isnull=False)
    row = AccountSnapshot.objects.filter(as_of=as_of, account__in=accounts.values("pk")).aggregate(
        weighted=Sum(F("health__score") * F("mrr"), filter=scored, output_field=FloatField()),
        weight=Sum("mrr", filter=scored, output_field=FloatField()),
        paying=Count("pk", filter=scored),
        total_mrr=Coalesce(Sum("mrr"), Decimal(0)),  # an alias may not be a filtered column
        **{band: Count("pk", filter=scored & Q(health__band=band)) for band in _BAND_ORDER},
    )
    worst = next((band for band in _BAND_ORDER if row[band]), None)
    score = row["weighted"] / row["weight"] if row["weight"] else None
    return GroupHealth(
        score=score, worst_band=worst, paying_members=row["paying"], mrr=row["total_mrr"]
    )


def snapshot_exists(*, as_of: date) -> bool:
    return SnapshotRun.objects.filter(as_of=as_of).exists()


def portfolio_totals(*, as_of: date, accounts: QuerySet[Account]) -> dict[str, Any]:
    """The summed snapshot columns of `accounts` on `as_of`, plus the month's spends."""
    # Aliases get a prefix: an aggregate may not share its name with a column it filters on.
    aggregated = AccountSnapshot.objects.filter(
        as_of=as_of, account__in=accounts.values("pk")
    ).aggregate(**{f"total_{key}": expression for key, expression in snapshot_aggregates().items()})
    return _totals(aggregated, CostMonth.objects.filter(month=as_of.replace(day=1)).first())


def portfolio_kpis(*, as_of: date, accounts: QuerySet[Account]) -> dict[str, Any]:
    """Every portfolio KPI (kpi-spec sections 3 to 6) for the accounts on `as_of`."""
    return portfolio_values(portfolio_totals(as_of=as_of, accounts=accounts))


class PeriodNotComputed(Exception):
    """A trailing period with a month that has no snapshot: its sums would be short."""

    def __init__(self, period: PeriodMonths) -> None:
        self.period = period
        missing = ", ".join(f"{first:%Y-%m}" for first in period.missing)
        super().__init__(f"no snapshot in {missing}")


def portfolio_period(*, as_of: date, length: PeriodLength) -> PeriodMonths:
    """The months of the period of `length` ending on `as_of`, each read on its last computed
    date (one query), as the portfolio page reads them."""
    first = period_months({}, end=as_of, length=length).start
    rows = (
        SnapshotRun.objects.filter(as_of__gte=first, as_of__lte=as_of)
        .annotate(month=TruncMonth("as_of"))
        .values("month")
        .annotate(last=Max("as_of"))
        .order_by()
    )
    return period_months({row["month"]: row["last"] for row in rows}, end=as_of, length=length)


def portfolio_period_kpis(*, period: PeriodMonths, accounts: QuerySet[Account]) -> dict[str, Any]:
    """Every portfolio KPI over `period` (metrics.periods): its month's, or the trailing months'
    flows summed, stocks of the last date and retention of the cohort at its start. Raises
    PeriodNotComputed when a month of it has no snapshot."""
    if period.missing:
        raise PeriodNotComputed(period)
    totals = portfolio_totals_by_date(dates=period.dates, accounts=accounts)
    return values_of(totals, period)


def account_snapshots(*, as_of: date, accounts: QuerySet[Account]) -> QuerySet[AccountSnapshot]:
    return (
        AccountSnapshot.objects.filter(as_of=as_of, account__in=accounts.values("pk"))
        .select_related("account", "health__model_version")
        .order_by("account__external_id")
    )


def latest_snapshot_run() -> SnapshotRun | None:
    return SnapshotRun.objects.order_by("-as_of").first()


def portfolio_totals_by_date(
    *, dates: Iterable[date], accounts: QuerySet[Account], whole_groups: bool = False,
    rollup_owner: int | None = None,
) -> dict[date, dict[str, Any]]:  # fmt: skip
    """`portfolio_totals` of several dates at once: ONE query grouped by as-of date (two with
    `rollup_owner`), plus one for the months' spends, whatever the number of dates and accounts.

    With `whole_groups` the caller promises that `accounts` is cut by segment, region and owner
    only (never by stage or by id): the totals are then summed from the dates' PortfolioRollup
    rows of those groups, a few hundred rows instead of every account's snapshot of every date,
    when the rollup of every date is current; otherwise from the snapshot rows. With
    `rollup_owner` the promise holds for that owner's accounts among `accounts` (a CSM's own
    book, cut by segment and region) while other rules add single accounts (the members of the
    company groups she owns, her tasks): her own come from the rollup, the others from their
    snapshot rows, and the two are added (every total is a sum or a count). Every date asked
    for is in the result; a date without matching rows gets the totals of no accounts (zeros,
    and None where a mean has no items), as `portfolio_totals` would.
    """
    dates = sorted(set(dates))
    current = (whole_groups or rollup_owner is not None) and _rollup_current(dates)
    if current and not whole_groups and rollup_owner is not None:
        own = _grouped_totals(dates, accounts.filter(owner_id=rollup_owner), rollup=True)
        others = _grouped_totals(dates, accounts.exclude(owner_id=rollup_owner), rollup=False)
        grouped = {day: _added(own[day], others[day]) for day in dates}
    else:
        grouped = _grouped_totals(dates, accounts, rollup=current)
    costs = {
        cost.month: cost
        for cost in CostMonth.objects.filter(month__in={day.replace(day=1) for day in dates})
    }
    return {day: _totals(grouped[day], costs.get(day.replace(day=1))) for day in dates}


def _grouped_totals(
    dates: list[date], accounts: QuerySet[Account], *, rollup: bool
) -> dict[date, dict[str, Any]]:
    """The raw aggregates of `accounts` on each of `dates`, from the rollup rows of their
    groups (`rollup`: the accounts are whole groups) or from their snapshot rows."""
    if rollup:
        in_groups = accounts.annotate(owner_key=Coalesce("owner_id", 0)).filter(
            segment=OuterRef("segment"), region=OuterRef("region"), owner_key=OuterRef("owner_key")
        )
        rows = PortfolioRollup.objects.filter(as_of__in=dates).filter(Exists(in_groups))
        aggregates = rollup_aggregates()
    else:
        rows = AccountSnapshot.objects.filter(as_of__in=dates, account__in=accounts.values("pk"))
        aggregates = snapshot_aggregates()
    expressions = {f"total_{key}": value for key, value in aggregates.items()}
    grouped = {
        row.pop("as_of"): row
        for row in rows.values("as_of").order_by("as_of").annotate(**expressions)
    }
    # Aggregating an empty queryset runs no query and gives each expression's "no rows" value.
    empty = rows.none().aggregate(**expressions)
    return {day: grouped.get(day, empty) for day in dates}


def _added(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Two sets of raw aggregates added key by key; None (a sum over no value) adds nothing."""
    return {
        key: second[key] if value is None else value if second[key] is None else value + second[key]
        for key, value in first.items()
    }


def _rollup_current(dates: list[date]) -> bool:
    return SnapshotRun.objects.filter(as_of__in=dates, rollup_built=True).count() == len(dates)


def _totals(aggregated: Mapping[str, Any], costs: CostMonth | None) -> dict[str, Any]:
    totals = {key.removeprefix("total_"): value for key, value in aggregated.items()}
    totals["monthly_starting_mrr"] = [totals.pop(f"month_starting_{k}") for k in range(12)]
    totals["monthly_lost_mrr"] = [totals.pop(f"month_lost_{k}") for k in range(12)]
    totals["sales_marketing_spend"] = costs.sales_marketing_spend if costs else None
    totals["retention_spend"] = costs.retention_spend if costs else None
    return totals


# -- Drill-down: the rows behind a portfolio figure, read a page at a time ---------------------


def snapshot_rows(
    *, as_of: date, accounts: QuerySet[Account], condition: Q | None = None, order=()
) -> QuerySet[AccountSnapshot]:
    """The snapshot rows of `accounts` on `as_of` matching `condition`, with account and owner."""
    return (
        AccountSnapshot.objects.filter(
            condition or Q(), as_of=as_of, account__in=accounts.values("pk")
        )
        .select_related("account__owner", "health")
        .order_by(*order, "account__name", "pk")
    )


def _period_bounds(as_of: date) -> tuple[datetime, datetime]:
    """The period's timestamps [P0, D + 1) at workspace-local midnights, as the snapshot SQL
    reads them, so a drill-down lists exactly the rows its figure counted."""
    return local_midnight(as_of.replace(day=1)), local_midnight(as_of + timedelta(days=1))


def period_survey_responses(
    *, as_of: date, accounts: QuerySet[Account], kind: str
) -> QuerySet[SurveyResponse]:
    """Responses of one kind given in the period of `as_of` (the index on responded_at, kind)."""
    start, end = _period_bounds(as_of)
    return (
        SurveyResponse.objects.filter(
            kind=kind,
            responded_at__gte=start,
            responded_at__lt=end,
            account__in=accounts.values("pk"),
        )
        .select_related("account__owner", "contact")
        .order_by("-responded_at", "pk")
    )


def renewal_eligible_contracts(*, as_of: date, accounts: QuerySet[Account]) -> QuerySet[Contract]:
    """Paid contracts ending in the period, each annotated `renewed` (kpi-spec section 3: another
    paid contract of the account starts after its start and within 30 days of its end, even after
    D) and `renewed_by` (the first such contract's external id)."""
    window = timedelta(days=RENEWAL_WINDOW_DAYS)
    renewing = Contract.objects.filter(
        account=OuterRef("account"),
        mrr__gt=0,
        start_date__gt=OuterRef("start_date"),
        start_date__gte=ExpressionWrapper(OuterRef("end_date") - window, output_field=DateField()),
        start_date__lte=ExpressionWrapper(OuterRef("end_date") + window, output_field=DateField()),
    ).order_by("start_date", "pk")
    return (
        Contract.objects.filter(
            mrr__gt=0,
            end_date__gte=as_of.replace(day=1),
            end_date__lte=as_of,
            account__in=accounts.values("pk"),
        )
        .annotate(
            renewed=Exists(renewing),
            renewed_by=Subquery(renewing.values("external_id")[:1]),
        )
        .select_related("account__owner")
        .order_by("end_date", "account__name", "pk")
    )


class TicketSet(TextChoices):
    """Which tickets a support figure counts (kpi-spec section 4)."""

    OPENED = "opened", "opened in the period"
    FIRST_RESPONDED = "first_responded", "first answered in the period"
    RESOLVED = "resolved", "resolved in the period"
    OPEN = "open", "opened by the as-of date and not resolved by then"


def period_tickets(
    *, as_of: date, accounts: QuerySet[Account], which: TicketSet
) -> QuerySet[Ticket]:
    """The tickets behind a support figure, with `response_time` and `resolution_time`."""
    start, end = _period_bounds(as_of)
    condition = {
        TicketSet.OPENED: Q(opened_at__gte=start, opened_at__lt=end),
        TicketSet.FIRST_RESPONDED: Q(first_response_at__gte=start, first_response_at__lt=end),
        TicketSet.RESOLVED: Q(resolved_at__gte=start, resolved_at__lt=end),
        TicketSet.OPEN: Q(opened_at__lt=end)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)),
    }[which]
    return (
        Ticket.objects.filter(condition, account__in=accounts.values("pk"))
        .annotate(
            response_time=F("first_response_at") - F("opened_at"),
            resolution_time=F("resolved_at") - F("opened_at"),
        )
        .select_related("account__owner")
        .order_by("-opened_at", "pk")
    )


def account_snapshot_history(
    *, account: Account, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AccountSnapshot]:
    """One account's snapshots, oldest first (the index on account, as_of)."""
    rows = AccountSnapshot.objects.filter(account=account)
    if date_from is not None:
        rows = rows.filter(as_of__gte=date_from)
    if date_to is not None:
        rows = rows.filter(as_of__lte=date_to)
    return rows.select_related("account", "health__model_version").order_by("as_of")
