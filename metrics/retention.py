"""Snapshots and scores by month: partitions made ahead of the dates written, and retention.

The snapshot table and the tables the nightly steps fill per account and date (the health and
churn scores, settings.AFTER_SNAPSHOT_TABLES) are partitioned by month on `as_of` (migrations
metrics 0014, healthscores 0011, churn 0004), alike, so that a month of one is a month of all.

Retention (SNAPSHOT_DAILY_MONTHS, 0 = keep every day): the current month and the N months
before it keep every day; an older month keeps only its last snapshot date, the day the
portfolio's trends, the 12-month series and the trailing periods read a past month on
(metrics.dashboard). Thinning a month replaces its partition in each table with a new one holding
that day's rows and drops the old one whole (northstar_keep_one_day), then removes the dropped
dates' SnapshotRun and PortfolioRollup rows, so no page offers a date whose rows are gone.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import partitions
from accounts.models import add_months
from audit import services as audit
from metrics.models import AccountSnapshot, PortfolioRollup, SnapshotRun
from metrics.services import ensure_month_partitions, snapshot_tables


@dataclass(frozen=True)
class ThinnedMonth:
    month: dt.date
    kept: dt.date
    dates_removed: int
    rows_kept: int


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def first_daily_month(today: dt.date, daily_months: int) -> dt.date:
    """The oldest month that keeps every day: `daily_months` months before this one."""
    return add_months(today.replace(day=1), -daily_months)


def thin_old_months(
    daily_months: int | None = None,
    *,
    today: dt.date | None = None,
    progress: Callable[[ThinnedMonth], None] | None = None,
) -> list[ThinnedMonth]:
    """Keep only the last snapshot date of each month older than the daily window, in every
    snapshot table; months already down to one date are left alone. Returns what was thinned."""
    keep = settings.SNAPSHOT_DAILY_MONTHS if daily_months is None else daily_months
    if keep <= 0:
        return []
    oldest_daily = first_daily_month(today or timezone.localdate(), keep)
    thinned = []
    for month in partitions.months(AccountSnapshot._meta.db_table):
        if month >= oldest_daily:
            break
        done = _thin_month(month)
        if done:
            thinned.append(done)
            if progress:
                progress(done)
    return thinned


def _thin_month(month: dt.date) -> ThinnedMonth | None:
    end = add_months(month, 1) - dt.timedelta(days=1)
    name = partitions.month_partition(AccountSnapshot._meta.db_table, month)
    with transaction.atomic(), connection.cursor() as cursor:
        # Served by snapshot_one_per_day (as_of, account_id): two index probes.
        cursor.execute(f'SELECT min(as_of), max(as_of) FROM "{name}"')  # noqa: S608
        first, kept = cursor.fetchone()
        if first is None or first == kept:
            return None
        # A partition with deferred foreign-key checks pending (rows written earlier in this
        # transaction) cannot be dropped: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        rows = {}
        for table in snapshot_tables():
            cursor.execute("SELECT northstar_keep_one_day(%s, %s, %s)", [table, month, kept])
            rows[table] = cursor.fetchone()[0]
        rows_kept = rows[AccountSnapshot._meta.db_table]
        removed, _ = (
            SnapshotRun.objects.filter(as_of__range=(month, end)).exclude(as_of=kept).delete()
        )
        PortfolioRollup.objects.filter(as_of__range=(month, end)).exclude(as_of=kept).delete()
        audit.record(
            "snapshot.retention",
            label=f"Snapshots of {month:%Y-%m}",
            details={"kept": kept.isoformat(), "dates_removed": removed},
        )
    return ThinnedMonth(month=month, kept=kept, dates_removed=removed, rows_kept=rows_kept)


def months_ahead(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This month's first day and the last month made ahead (USAGE_PARTITION_MONTHS_AHEAD)."""
    this_month = (today or timezone.localdate()).replace(day=1)
    return this_month, add_months(this_month, settings.USAGE_PARTITION_MONTHS_AHEAD)


def maintain(
    *,
    today: dt.date | None = None,
    daily_months: int | None = None,
    progress: Callable[[ThinnedMonth], None] | None = None,
) -> dict:
    """The daily job (and `manage.py snapshot_retention`): the coming months' partitions, then
    retention."""
    today = today or timezone.localdate()
    created = ensure_month_partitions(*months_ahead(today))
    thinned = thin_old_months(daily_months, today=today, progress=progress)
    return {
        "created": created,
        "thinned": [{"month": t.month.isoformat(), "kept": t.kept.isoformat()} for t in thinned],
    }
