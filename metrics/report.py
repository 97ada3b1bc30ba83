"""The machine-readable KPI document of kpi-spec section 9, built from stored snapshots.

Money is printed as a number with 2 decimals; other fractional numbers are rounded to 2 decimals
(rates are rounded "only when displayed or printed", and this is printing); a missing value is
null.
"""

import json
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Account
from metrics import selectors
from metrics.periods import PeriodMonths
from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Kpi, Unit

CENT = Decimal("0.01")
_MONEY_TOKEN = "\x00money:"  # noqa: S105 (a marker, not a secret)


def kpis_document(
    *,
    as_of: date,
    accounts: QuerySet[Account],
    page: slice | None = None,
    period: PeriodMonths | None = None,
) -> dict[str, Any]:
    """The section 9 document of `accounts` on `as_of`; `page` lists only a slice of the
    accounts (the read API pages through them; the portfolio still covers them all). With a
    trailing `period` ending on `as_of` (selectors.portfolio_period), the portfolio's figures
    cover it and `period_start` is its first day; the accounts are still those of `as_of`."""
    if period is None:
        portfolio = selectors.portfolio_kpis(as_of=as_of, accounts=accounts)
        start = as_of.replace(day=1)
    else:
        portfolio = selectors.portfolio_period_kpis(period=period, accounts=accounts)
        start = period.start
    rows = selectors.account_snapshots(as_of=as_of, accounts=accounts)
    if page is not None:
        rows = rows[page]
    return {
        "as_of": as_of.isoformat(),
        "period_start": start.isoformat(),
        "period_end": as_of.isoformat(),
        "currency": settings.CURRENCY,
        "portfolio": {kpi.key: printable(kpi, portfolio[kpi.key]) for kpi in PORTFOLIO_KPIS},
        "accounts": [account_entry(row) for row in rows],
    }


def group_entry(*, as_of: date, group: Account, accounts: QuerySet[Account]) -> dict[str, Any]:
    """What `kpis --group` adds: the group, its members, and its MRR-weighted health."""
    health = selectors.group_health(as_of=as_of, accounts=accounts)
    return {
        "external_id": group.external_id,
        "members": accounts.count(),
        "paying_members": health.paying_members,
        "health_score": _rounded(health.score),
        "worst_band": health.worst_band,
    }


def account_entry(row) -> dict[str, Any]:
    """One account's snapshot as section 9 lists it."""
    entry = {"external_id": row.account.external_id}
    for kpi in ACCOUNT_KPIS:
        entry[kpi.key] = printable(kpi, getattr(row, kpi.key))
    entry["health_components"] = [
        {
            key: _rounded(component.get(key))
            for key in ("metric", "value", "score", "weight", "contribution")
        }
        for component in row.health_components
    ]
    return entry


def printable(kpi: Kpi, value: Any) -> Any:
    """A value as section 9 prints it (money tokens become 2-decimal numbers in `to_json`)."""
    if value is None:
        return None
    if kpi.unit == Unit.MONEY:
        return f"{_MONEY_TOKEN}{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"
    return _rounded(value)


def _rounded(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    rounded = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def to_json(document: dict[str, Any], *, indent: int | None = 2) -> str:
    text = json.dumps(document, indent=indent)
    # Money as bare numbers with exactly two decimals (json.dumps would write 1200.0).
    return re.sub(r'"\\u0000money:(-?[0-9]+\.[0-9]{2})"', r"\1", text)
