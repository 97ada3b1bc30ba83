"""Trailing periods: a portfolio figure over the 3 or 12 calendar months ending with a month.

A period of n months ends on a snapshot date E (the chosen month's last computed day) and covers
the n months ending with E's month, each read on its last computed date (E for the last one), as
the monthly series reads them. From those months' totals (metrics.totals, `PERIOD_SUMMED`):

- flows (new, reactivation, expansion, contraction and churned MRR, tickets, answers, contracts
  signed, spends) are summed over the months;
- the starting MRR is the first month's (MRR on the day before the period);
- stocks (MRR, customers, open tickets, the usage windows, bands) are the last date's;
- NRR, GRR and the customers at start, churned and won are those of the fixed cohort paying at
  the period's start (kpi-spec section 3's nrr_12m and grr_12m, and their 3-month twin on D3),
  so logo churn is the share of that cohort no longer paying on E.

Every figure is derived by the registry (`period_values`), as the month's are.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import models

from metrics.registry import period_values, portfolio_values
from metrics.totals import PERIOD_FIRST, PERIOD_SUMMED


class PeriodLength(models.TextChoices):
    MONTH = "month", "Month"
    TRAILING_3 = "3m", "Trailing 3 months"
    TRAILING_12 = "12m", "Trailing 12 months"

    @property
    def months(self) -> int:
        return {"month": 1, "3m": 3, "12m": 12}[self.value]


@dataclass(frozen=True)
class PeriodMonths:
    """The months of one period, oldest first: (first day, snapshot date or None)."""

    length: PeriodLength
    months: tuple[tuple[date, date | None], ...]

    @property
    def start(self) -> date:
        return self.months[0][0]

    @property
    def end(self) -> date | None:
        return self.months[-1][1]

    @property
    def dates(self) -> list[date]:
        return [day for _first, day in self.months if day]

    @property
    def label(self) -> str:
        return period_label(self)

    @property
    def missing(self) -> list[date]:
        """The first days of the months without a snapshot."""
        return [first for first, day in self.months if day is None]


def period_months(
    by_month: Mapping[date, date], *, end: date, length: PeriodLength
) -> PeriodMonths:
    """The months of the period of `length` ending on `end`; `by_month` maps each month with
    snapshots (its first day) to its last computed date."""
    firsts, first = [], end.replace(day=1)
    for _ in range(length.months):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    firsts.reverse()
    last = end.replace(day=1)
    return PeriodMonths(
        length=length,
        months=tuple((first, end if first == last else by_month.get(first)) for first in firsts),
    )


def combined_totals(monthly: Sequence[Mapping[str, Any]], *, length: PeriodLength) -> dict:
    """The totals of a period from its months' totals, oldest first (see the module's rules)."""
    combined = dict(monthly[-1])
    for key in PERIOD_SUMMED:
        combined[key] = _sum(totals[key] for totals in monthly)
    for key in PERIOD_FIRST:
        combined[key] = monthly[0][key]
    if length is not PeriodLength.MONTH:
        cohort = length.value
        combined["customers_start"] = combined[f"cohort_{cohort}_customers"]
        combined["churned_customers"] = combined[f"cohort_{cohort}_churned"]
        combined["new_customers"] = combined[f"cohort_{cohort}_joined"]
    return combined


def values_of(
    totals_by_date: Mapping[date, Mapping[str, Any]], period: PeriodMonths
) -> dict[str, Any] | None:
    """Every portfolio KPI over `period`, or None when none of its months has a snapshot."""
    monthly = [totals_by_date[day] for day in period.dates]
    if not monthly:
        return None
    if period.length is PeriodLength.MONTH:
        return portfolio_values(monthly[0])
    return period_values(combined_totals(monthly, length=period.length), cohort=period.length)


def _sum(values):
    """A sum of the months' values; None when every month's is None (an unknown spend)."""
    present = [value for value in values if value is not None]
    return sum(present[1:], start=present[0]) if present else None


def _month_label(first: date, *, year: bool = True) -> str:
    return first.strftime("%b %Y" if year else "%b")


def _day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def period_label(period: PeriodMonths) -> str:
    """The months a period covers, as a page names them: "October 2026", "October 2026 to
    2 Oct", "Aug-Oct 2026", "Nov 2025-Oct 2026" (with an en dash; the last month to its date
    when it is not complete)."""
    end = period.end
    to_date = f" to {end.day} {end:%b}" if end and not _is_month_end(end) else ""
    if period.length is PeriodLength.MONTH:
        return f"{period.start:%B %Y}{to_date}"
    last = period.months[-1][0]
    first = _month_label(period.start, year=period.start.year != last.year)
    return f"{first}\N{EN DASH}{_month_label(last)}{to_date}"


# What each portfolio figure covers in a period: a flow of the period, or a stock on a day.
_ON_END = {"mrr", "arr", "active_customers", "arpa", "open_tickets"}
_LAST_DAYS = {"mau": 30, "wau": 7, "dau": 30, "stickiness": 30, "avg_session_minutes": 30}
_TWELVE_MONTHS = {"nrr_12m", "grr_12m", "clv"}


def tile_scope(key: str, period: PeriodMonths) -> str:
    """What a tile's value covers, said on the tile: the period's months for a flow or a rate
    over the period, the last day for a stock, the window of a usage figure."""
    end = period.end
    if end is None:
        return period_label(period)
    if key in _ON_END:
        return f"on {_day_label(end)}"
    if key == "starting_mrr":
        return f"on {_day_label(period.start - timedelta(days=1))}"
    if key in _LAST_DAYS:
        return f"{_LAST_DAYS[key]} days to {_day_label(end)}"
    if key in _TWELVE_MONTHS:
        return f"12 months to {_day_label(end)}"
    return period_label(period)


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


_COHORT = {
    "nrr", "grr", "logo_churn_rate", "crr", "customers_start", "churned_customers",
    "new_customers",
}  # fmt: skip


def period_rule(key: str) -> str:
    """How a figure is taken over a trailing period, in plain words (its tile's disclosure)."""
    if key in _ON_END or key in _LAST_DAYS:
        return "its value on the period's last day, as for a month."
    if key in _TWELVE_MONTHS:
        return "always the 12 months to the period's last day."
    if key == "starting_mrr":
        return "what customers paid each month on the day before the period began."
    if key in _COHORT:
        return (
            "the customers paying on the day before the period began, followed to its last "
            "day; customers won since count as new, not in the rate."
        )
    return "added up over the period's months (a rate or an average: from those sums)."
