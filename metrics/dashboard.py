"""Reads behind the portfolio dashboard: the months it can show, its monthly series, its tiles and
its renewal and risk lists.

Every figure comes from the snapshot tables: the tiles, the comparison month and the twelve
months of every chart are one grouped query over one snapshot date per month (the month's last
computed date), and the ratios are derived by the registry's `compute` functions, so the
dashboard cannot disagree with the `kpis` command. The number of queries does not depend on the
number of accounts or months.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Max,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import Account
from metrics.models import AccountSnapshot, HealthBand, KpiTarget, SnapshotRun
from metrics.periods import PeriodLength, PeriodMonths, period_months, tile_scope, values_of
from metrics.registry import PORTFOLIO_KPIS, Group, Kpi, Unit, portfolio_values
from metrics.selectors import portfolio_totals_by_date
from metrics.sql import period_start_day, same_day_months_before

# The order of the tile groups on the page: money first, then what explains it.
GROUP_ORDER = (
    Group.REVENUE,
    Group.RETENTION,
    Group.CUSTOMERS,
    Group.EFFICIENCY,
    Group.SUPPORT,
    Group.SENTIMENT,
    Group.USAGE,
    Group.RENEWAL,
)
# The handful of numbers a leader reads first, shown large above the charts.
# Retention is the trailing-12-month figure leaders quote (a month's NRR swings with one renewal),
# with the month's own figure beside it.
HEADLINE_KEYS = ("mrr", "net_new_mrr", "nrr_12m", "grr_12m", "logo_churn_rate", "active_customers")
HEADLINE_BESIDE = {"nrr_12m": "nrr", "grr_12m": "grr"}
# Survey scores and the count of answers behind them: a score always shows its n.
ANSWER_COUNTS = {"nps": "nps_responses", "csat": "csat_responses", "ces": "ces_responses"}
AT_RISK_BANDS = (HealthBand.RED, HealthBand.YELLOW)
SERIES_MONTHS = 12
RENEWAL_HORIZON_DAYS = 90
RENEWAL_WINDOWS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"))
# Units whose portfolio-wide target still means something for a slice of the portfolio (a rate
# or a mean); a sum (MRR, customers) needs a target of the segment itself.
INTENSIVE_UNITS = (Unit.PERCENT, Unit.SCORE, Unit.RATIO, Unit.HOURS, Unit.MINUTES, Unit.DAYS)

# -- Dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotMonth:
    """A month with snapshots, shown as of its last computed date (the latest for this month)."""

    month: date
    as_of: date

    @property
    def value(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def is_complete(self) -> bool:
        return (self.as_of + timedelta(days=1)).month != self.as_of.month


def snapshot_months() -> list[SnapshotMonth]:
    """Every month that has a computed snapshot, newest first, with its last computed date."""
    rows = (
        SnapshotRun.objects.annotate(month=TruncMonth("as_of"))
        .values("month")
        .annotate(last=Max("as_of"))
        .order_by("-month")
    )
    return [SnapshotMonth(month=row["month"], as_of=row["last"]) for row in rows]


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def comparison_date(as_of: date, *, months_back: int = 1) -> date | None:
    """The snapshot a figure of `as_of` is compared with: the same day `months_back` months
    earlier (1 for a month, the period's length for a trailing period; that month's last day
    when `as_of` ends its month or that month is shorter), or the last snapshot computed before
    that day within that month; None when that month has none."""
    if (as_of + timedelta(days=1)).day == 1:  # a whole month compares with a whole month
        target = period_start_day(as_of, months_back)
    else:
        target = same_day_months_before(as_of, months_back)
    return (
        SnapshotRun.objects.filter(as_of__gte=month_start(target), as_of__lte=target)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


def series_dates(months: Sequence[SnapshotMonth], as_of: date) -> list[tuple[date, date | None]]:
    """The 12 months ending with `as_of`'s, oldest first: (first day, snapshot date or None).
    The month of `as_of` is read on `as_of` itself, the others on their last computed date."""
    by_month = {month.month: month.as_of for month in months}
    firsts, first = [], month_start(as_of)
    for _ in range(SERIES_MONTHS):
        firsts.append(first)
        first = previous_month(first)
    firsts.reverse()
    return [
        (first, as_of if first == month_start(as_of) else by_month.get(first)) for first in firsts
    ]


# -- Series and tiles -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlySeries:
    """Twelve months of portfolio values, oldest first; `values[i]` is None for a month without
    snapshots. Besides the registry's keys, each month has `band_<band>_accounts` and
    `band_<band>_mrr` (paying customers per health band)."""

    months: tuple[date, ...]
    as_of: tuple[date | None, ...]
    values: tuple[Mapping[str, Any] | None, ...]

    def of(self, key: str) -> list[Any]:
        return [None if values is None else values.get(key) for values in self.values]


def monthly_series(
    *,
    months: Sequence[tuple[date, date | None]],
    accounts: QuerySet[Account],
    extra_dates=(),
    whole_groups: bool = False,
    rollup_owner: int | None = None,
) -> tuple[MonthlySeries, dict[date, dict[str, Any]]]:
    """The series of `months` and the values of every date read (months and `extra_dates`), from
    one grouped query over those dates (see `portfolio_totals_by_date` for `whole_groups` and
    `rollup_owner`)."""
    series, totals = _series_and_totals(
        months=months, accounts=accounts, extra_dates=extra_dates, whole_groups=whole_groups,
        rollup_owner=rollup_owner,
    )  # fmt: skip
    return series, {day: _values(day_totals) for day, day_totals in totals.items()}


def _series_and_totals(
    *, months, accounts, extra_dates, whole_groups, rollup_owner=None
) -> tuple[MonthlySeries, dict[date, dict[str, Any]]]:
    dates = {day for _first, day in months if day} | {day for day in extra_dates if day}
    totals = portfolio_totals_by_date(
        dates=dates, accounts=accounts, whole_groups=whole_groups, rollup_owner=rollup_owner
    )
    values = {day: _values(totals[day]) for _first, day in months if day}
    series = MonthlySeries(
        months=tuple(first for first, _day in months),
        as_of=tuple(day for _first, day in months),
        values=tuple(values.get(day) if day else None for _first, day in months),
    )
    return series, totals


def _values(totals: Mapping[str, Any]) -> dict[str, Any]:
    bands = {key: value for key, value in totals.items() if key.startswith("band_")}
    return {**portfolio_values(totals), **bands}


@dataclass(frozen=True)
class Tile:
    kpi: Kpi
    value: Any
    previous: Any = None
    target: Decimal | None = None
    spark: tuple[Any, ...] = ()
    scope: str = ""  # what the value covers: the period ("Aug-Oct 2026"), a day ("on 31 Oct")

    @property
    def delta(self) -> Any:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def delta_percent(self) -> float | None:
        """The relative change, for sums (money and counts); rates change in points instead."""
        if self.kpi.unit not in (Unit.MONEY, Unit.COUNT) or self.delta is None or not self.previous:
            return None
        return float(self.delta) / abs(float(self.previous)) * 100

    @property
    def tone(self) -> str:
        """good, bad or neutral: whether the change is welcome, by the KPI's direction."""
        delta = self.delta
        if not delta or self.kpi.higher_is_better is None:
            return "neutral"
        return "good" if (delta > 0) == self.kpi.higher_is_better else "bad"

    @property
    def target_met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        if self.kpi.higher_is_better is False:
            return float(self.value) <= float(self.target)
        return float(self.value) >= float(self.target)

    @property
    def attainment(self) -> float | None:
        """How close the value is to its target, 0 to 100 (100 when met), for a progress bar."""
        if self.target_met is None:
            return None
        if self.target_met:
            return 100.0
        value, target = float(self.value), float(self.target)
        if self.kpi.higher_is_better is False:
            share = target / value if value > 0 else 0.0
        else:
            share = value / target if target > 0 and value > 0 else 0.0
        return max(0.0, min(100.0, share * 100))


@dataclass(frozen=True)
class TileGroup:
    group: Group
    tiles: tuple[Tile, ...]


def targets_for(*, segment: str, whole_portfolio: bool) -> dict[str, Decimal]:
    """The target of each KPI for the page: the segment's own when one is filtered and set, else
    the portfolio-wide target, which a slice of the portfolio (a filter, a CSM's own accounts)
    only shows for rates and means (a portfolio MRR target says nothing about one segment)."""
    targets: dict[str, Decimal] = {}
    units = {kpi.key: kpi.unit for kpi in PORTFOLIO_KPIS}
    for target in KpiTarget.objects.filter(segment__in={"", segment}).order_by("segment"):
        if target.key not in units:
            continue
        # A segment's own target comes after the portfolio-wide one (ordering), so it wins.
        if target.segment or whole_portfolio or units[target.key] in INTENSIVE_UNITS:
            targets[target.key] = target.target
    return targets


def build_tiles(
    *,
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    targets: Mapping[str, Decimal],
    series: MonthlySeries,
    period: PeriodMonths | None = None,
) -> dict[str, Tile]:
    return {
        kpi.key: Tile(
            kpi=kpi,
            value=current.get(kpi.key),
            previous=previous.get(kpi.key) if previous else None,
            target=targets.get(kpi.key),
            spark=tuple(series.of(kpi.key)),
            scope=tile_scope(kpi.key, period) if period else "",
        )
        for kpi in PORTFOLIO_KPIS
    }


def group_tiles(tiles: Mapping[str, Tile]) -> list[TileGroup]:
    return [
        TileGroup(group, tuple(tile for tile in tiles.values() if tile.kpi.group == group))
        for group in GROUP_ORDER
        if any(tile.kpi.group == group for tile in tiles.values())
    ]


# -- Renewals and risk ------------------------------------------------------------------------


def upcoming_renewals(
    *, as_of: date, accounts: QuerySet[Account], limit: int = 6
) -> list[AccountSnapshot]:
    """Paying accounts whose earliest active contract ends within 90 days, biggest MRR first (the
    renewals that matter most; the drill-down lists them all by date), each
    with `renews_on` (the as-of date + days to renewal, added in SQL: date + integer)."""
    renews_on = ExpressionWrapper(F("as_of") + F("days_to_renewal"), output_field=DateField())
    return list(
        renewal_snapshots(as_of=as_of, accounts=accounts)
        .annotate(renews_on=renews_on)
        .select_related("account__owner", "health")
        .order_by("-mrr", "days_to_renewal", "account__name")[:limit]
    )


def renewal_snapshots(*, as_of: date, accounts: QuerySet[Account]) -> QuerySet[AccountSnapshot]:
    return AccountSnapshot.objects.filter(
        as_of=as_of,
        account__in=accounts.values("pk"),
        mrr__gt=0,
        days_to_renewal__gte=0,
        days_to_renewal__lte=RENEWAL_HORIZON_DAYS,
    )


@dataclass(frozen=True)
class RenewalWindow:
    label: str
    band: str
    accounts: int
    mrr: Decimal


def renewal_windows(*, as_of: date, accounts: QuerySet[Account]) -> list[RenewalWindow]:
    """MRR and accounts renewing in each 30-day window of the next 90 days, by health band."""
    window = Case(
        *(
            When(days_to_renewal__lte=last, then=Value(label))
            for _first, last, label in RENEWAL_WINDOWS
        )
    )
    rows = (
        renewal_snapshots(as_of=as_of, accounts=accounts)
        .annotate(window=window)
        .values("window", health_band=Coalesce("health__band", Value(HealthBand.UNKNOWN)))
        .annotate(n=Count("pk"), total=Sum("mrr"))
        .order_by("window", "health_band")
    )
    return [
        RenewalWindow(row["window"], row["health_band"], row["n"], row["total"]) for row in rows
    ]


def accounts_at_risk(
    *, as_of: date, accounts: QuerySet[Account], limit: int = 10
) -> list[AccountSnapshot]:
    """The paying accounts in the red or yellow band, biggest MRR first."""
    return list(
        at_risk_snapshots(as_of=as_of, accounts=accounts)
        .select_related("account__owner", "health")
        .order_by("-mrr", "account__name")[:limit]
    )


def at_risk_snapshots(*, as_of: date, accounts: QuerySet[Account]) -> QuerySet[AccountSnapshot]:
    return AccountSnapshot.objects.filter(
        as_of=as_of, account__in=accounts.values("pk"), mrr__gt=0, health__band__in=AT_RISK_BANDS
    )


# -- The page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodTiles:
    """The tiles of one period, the monthly series behind the charts, and the periods shown."""

    tiles: dict[str, Tile]
    series: MonthlySeries
    compared_with: date | None
    period: PeriodMonths
    previous_period: PeriodMonths | None


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    compared_with: date | None
    series: MonthlySeries
    tiles: dict[str, Tile]
    groups: list[TileGroup]
    headline: list[Tile]
    current: Mapping[str, Any]
    renewals: list[AccountSnapshot]
    windows: list[RenewalWindow]
    at_risk: list[AccountSnapshot]
    renewal_totals: dict[str, Any] = field(default_factory=dict)
    period: PeriodMonths | None = None
    previous_period: PeriodMonths | None = None  # None when not every month of it is computed


def portfolio_tiles(
    *,
    as_of: date,
    months: Sequence[SnapshotMonth],
    accounts: QuerySet[Account],
    targets: Mapping[str, Decimal],
    whole_groups: bool = False,
    period: PeriodLength = PeriodLength.MONTH,
    rollup_owner: int | None = None,
) -> PeriodTiles:
    """Every KPI's tile for `accounts` over the `period` ending on `as_of` (its month, or the
    trailing 3 or 12 months), compared with the previous period of the same length, and the
    monthly series behind the charts: one query for the comparison date, one grouped query for
    the totals of every date read (the series' and both periods' months) and one for their
    costs, whatever the period."""
    by_month = {month.month: month.as_of for month in months}
    current = period_months(by_month, end=as_of, length=period)
    compared_with = comparison_date(as_of, months_back=period.months)
    previous = period_months(by_month, end=compared_with, length=period) if compared_with else None
    if previous is not None and previous.missing:
        previous = None  # a sum over some of its months would compare with too little
    series, totals = _series_and_totals(
        months=series_dates(months, as_of),
        accounts=accounts,
        extra_dates=[*current.dates, *(previous.dates if previous else ())],
        whole_groups=whole_groups,
        rollup_owner=rollup_owner,
    )
    tiles = build_tiles(
        current=values_of(totals, current),
        previous=values_of(totals, previous) if previous else None,
        targets=targets,
        series=series,
        period=current,
    )
    return PeriodTiles(tiles, series, previous.end if previous else None, current, previous)


def visible_in_whole_groups(*, user, visible: QuerySet[Account], sees_all: bool) -> bool:
    """Whether the accounts a user may see are whole (segment, region, owner) groups of the
    portfolio rollup once cut by segment, region and owner: all accounts, or exactly the user's
    own, not when another rule (a task on someone else's account) adds single accounts."""
    return sees_all or not visible.exclude(owner=user).exists()


def portfolio_dashboard(
    *,
    as_of: date,
    months: Sequence[SnapshotMonth],
    accounts: QuerySet[Account],
    targets: Mapping[str, Decimal],
    whole_groups: bool = False,
    period: PeriodLength = PeriodLength.MONTH,
    rollup_owner: int | None = None,
) -> Dashboard:
    """Everything the portfolio page shows for `accounts` over the period ending on `as_of`, in
    a fixed number of queries: the tiles' three, and one each for the renewal windows, the
    biggest renewals and the accounts at risk (those three as of `as_of`)."""
    shown = portfolio_tiles(
        as_of=as_of,
        months=months,
        accounts=accounts,
        targets=targets,
        whole_groups=whole_groups,
        period=period,
        rollup_owner=rollup_owner,
    )
    tiles = shown.tiles
    windows = renewal_windows(as_of=as_of, accounts=accounts)
    return Dashboard(
        as_of=as_of,
        compared_with=shown.compared_with,
        series=shown.series,
        tiles=tiles,
        groups=group_tiles(tiles),
        headline=[tiles[key] for key in HEADLINE_KEYS],
        current={key: tile.value for key, tile in tiles.items()},
        renewals=upcoming_renewals(as_of=as_of, accounts=accounts),
        windows=windows,
        at_risk=accounts_at_risk(as_of=as_of, accounts=accounts),
        renewal_totals=_renewal_totals(windows),
        period=shown.period,
        previous_period=shown.previous_period,
    )


def _renewal_totals(windows: Iterable[RenewalWindow]) -> dict[str, Any]:
    windows = list(windows)
    at_risk = [window for window in windows if window.band in AT_RISK_BANDS]
    return {
        "accounts": sum(window.accounts for window in windows),
        "mrr": sum((window.mrr for window in windows), Decimal(0)),
        "at_risk_accounts": sum(window.accounts for window in at_risk),
        "at_risk_mrr": sum((window.mrr for window in at_risk), Decimal(0)),
    }


# -- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    segments: tuple[str, ...]
    regions: tuple[str, ...]
    owners: tuple[tuple[int, str], ...]
    # The company group chosen (accounts.selectors.chosen_group: at most one), and whether any
    # exist: the page's picker suggests them as one types (accounts.selectors.group_suggestions).
    groups: tuple[tuple[int, str], ...] = ()
    offers_groups: bool = False


def filter_options(accounts: QuerySet[Account]) -> FilterOptions:
    """The segments, regions and owners of the accounts a user may see, in one query: the
    distinct combinations are few (segments x regions x owners), however many accounts."""
    rows = (
        accounts.order_by()  # Account orders by name, which would defeat DISTINCT
        .values_list(
            "segment", "region", "owner_id", "owner__first_name", "owner__last_name", "owner__email"
        )
        .distinct()
    )
    segments, regions, owners = set(), set(), {}
    for segment, region, owner_id, first, last, email in rows:
        segments.add(segment)
        regions.add(region)
        if owner_id is not None:
            owners[owner_id] = f"{first} {last}".strip() or email
    return FilterOptions(
        segments=tuple(sorted(s for s in segments if s)),
        regions=tuple(sorted(r for r in regions if r)),
        owners=tuple(sorted(owners.items(), key=lambda item: item[1].lower())),
    )
