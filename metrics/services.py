"""Writes of the metrics app: recomputing the snapshots of one date or a range of dates."""

import logging
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import cache

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import partitions
from accounts.sql import analyze_if_changed
from audit import services as audit
from core.sql import execute_logged
from metrics import sql as metrics_sql
from metrics.models import AccountSnapshot, KpiTarget, PortfolioRollup, SnapshotRun
from metrics.totals import snapshot_aggregates

logger = logging.getLogger("northstar.metrics")


@cache
def _steps(paths: tuple[str, ...]) -> tuple[Callable[[date], None], ...]:
    return tuple(import_string(path) for path in paths)


def after_snapshot_steps() -> tuple[Callable[[date], None], ...]:
    """The nightly chain after a date's rows are stored, in the order settings declare it
    (AFTER_SNAPSHOT_STEPS: scores and alerts, then playbooks); metrics imports none of them."""
    return _steps(tuple(settings.AFTER_SNAPSHOT_STEPS))


@cache
def _tables(labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(apps.get_model(label)._meta.db_table for label in labels)


def after_snapshot_tables() -> tuple[str, ...]:
    """The tables the steps fill with one row per account and date (settings.
    AFTER_SNAPSHOT_TABLES: the scores), so a backfill keeps their planner statistics too."""
    return _tables(tuple(settings.AFTER_SNAPSHOT_TABLES))


# pg_advisory_xact_lock key of the after-snapshot steps ("NSSTEPS" in ASCII).
SHARED_STEPS_LOCK = 0x4E_53_53_54_45_50_53


def snapshot_recompute(*, as_of: date, features_seen: int | None = None) -> SnapshotRun:
    """Replace every account's snapshot row of `as_of` in one transaction: a crash half-way
    leaves the previous rows of that date intact, and running it twice gives the same rows.
    A range passes `features_seen` (the same for every date) so it is read only once."""
    started = time.perf_counter()
    ensure_month_partitions(as_of, as_of)
    with transaction.atomic(), connection.cursor() as cursor:
        if features_seen is None:
            features_seen = metrics_sql.features_seen(cursor)
        accounts = metrics_sql.replace_snapshot(cursor, as_of, features=features_seen)
        counted_now = ()
        if _never_counted(
            cursor, partitions.month_partition(AccountSnapshot._meta.db_table, as_of)
        ):
            # A new month: the steps below read this date's rows through a partition whose
            # statistics say it is empty, and plan nested loops over thousands of rows.
            counted_now = (AccountSnapshot._meta.db_table,)
            _analyze_month(cursor, counted_now, as_of, accounts)
        # The steps write rows that dates share (alerts, renewal outcomes, forecasts, tasks,
        # notifications): two dates updating them in different orders deadlocked (a backfill
        # on two workers at 50,000 accounts). One date's steps at a time, to its commit; the
        # snapshot rows above, most of a date's work, are computed in parallel.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SHARED_STEPS_LOCK])
        for step in after_snapshot_steps():
            step(as_of)
        _replace_rollup(cursor, first=as_of, last=as_of)
        run, _created = SnapshotRun.objects.update_or_create(
            as_of=as_of,
            defaults={
                "accounts": accounts,
                "seconds": time.perf_counter() - started,
                "finished_at": timezone.now(),
                "rollup_built": True,
            },
        )
        # The nightly job (or a recompute) is one entry per date, whatever it wrote.
        label, counts = f"Snapshots of {as_of}", {"accounts": accounts}
        audit.record("snapshot.recompute", obj=run, label=label, details=counts)
    with connection.cursor() as cursor:  # after the commit: ANALYZE's lock is held only briefly
        later = [table for table in snapshot_tables() if table not in counted_now]
        _analyze_month(cursor, later, as_of, accounts)
    logger.debug("snapshot %s: %d accounts in %.2f s", as_of, accounts, run.seconds)
    return run


def _never_counted(cursor, table: str) -> bool:
    cursor.execute("SELECT reltuples <= 0 FROM pg_class WHERE oid = %s::regclass", [table])
    return cursor.fetchone()[0]


def _analyze_month(cursor, tables, as_of: date, rows: int) -> None:
    """ANALYZE the month partition of `as_of` in each table when a date's `rows` changed more
    than a tenth of it. Autovacuum may be off (or lag): without it, the pages and the next
    night read a month's partition by statistics taken when it was empty (the portfolio's
    renewal query took 4.7 s instead of 10 ms at 10,000 accounts, the nightly job 22 s)."""
    for table in tables:
        analyze_if_changed(cursor, partitions.month_partition(table, as_of), rows)


def snapshot_tables() -> tuple[str, ...]:
    """The tables partitioned by month alike (metrics 0014): the snapshots and the steps' score
    tables, so that a month of one is a month of all (metrics/retention.py)."""
    return (AccountSnapshot._meta.db_table, *after_snapshot_tables())


def ensure_month_partitions(first: date, last: date) -> int:
    """Create the monthly partitions of first..last in every snapshot table before writing a
    date (a month without one would fill the default partition). Each is a short transaction
    of its own, ahead of the date's long one, so workers backfilling the same new month wait
    only for its creation. Returns how many were created."""
    return sum(partitions.ensure(first, last, table=table) for table in snapshot_tables())


def dates_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def snapshot_recompute_range(
    *, first: date, last: date, on_date: Callable[[SnapshotRun], None] | None = None
) -> list[SnapshotRun]:
    """Recompute each date of [first, last], each in its own transaction, so an interrupted
    backfill keeps the dates it finished and can simply be run again."""
    runs = []
    with connection.cursor() as cursor:
        features = metrics_sql.features_seen(cursor)
    for day in dates_between(first, last):
        run = snapshot_recompute(as_of=day, features_seen=features)
        runs.append(run)
        if on_date:
            on_date(run)
    _analyze_backfilled(first=first, last=last, rows=sum(run.accounts for run in runs))
    return runs


def _analyze_backfilled(*, first: date, last: date, rows: int) -> None:
    """A backfill writes a date's rows per account into the snapshot table and the hooks'
    tables (and the rollup's groups): their statistics follow when it changed more than a
    tenth of them (autovacuum may be off)."""
    groups = PortfolioRollup.objects.filter(as_of__range=(first, last)).count()
    written = [(AccountSnapshot._meta.db_table, rows), (PortfolioRollup._meta.db_table, groups)]
    written += [(table, rows) for table in after_snapshot_tables()]
    with connection.cursor() as cursor:
        for table, count in written:
            analyze_if_changed(cursor, table, count)


_ROLLUP_GROUP = {
    "segment": F("account__segment"),
    "region": F("account__region"),
    "owner_key": Coalesce(F("account__owner_id"), Value(0)),
}


def _replace_rollup(cursor, *, first: date, last: date) -> int:
    """Replace the PortfolioRollup rows of first..last with sums of the snapshot rows now
    stored: one INSERT ... SELECT grouped by date, segment, region and owner."""
    execute_logged(
        cursor,
        "DELETE FROM metrics_portfoliorollup WHERE as_of BETWEEN %s AND %s",
        [first, last],
        label=f"clear rollup {first}..{last}",
    )
    aggregates = snapshot_aggregates()
    grouped = (
        AccountSnapshot.objects.filter(as_of__range=(first, last))
        .values("as_of", **_ROLLUP_GROUP)
        .order_by()
        .annotate(**{f"total_{key}": value for key, value in aggregates.items()})
    )
    select, params = grouped.query.sql_with_params()
    columns = ", ".join(["as_of", *_ROLLUP_GROUP, *aggregates])
    # The SELECT lists the group's columns, then the aggregates, in the order named here.
    return execute_logged(
        cursor,
        f"INSERT INTO {PortfolioRollup._meta.db_table} ({columns}) {select}",
        params,
        label=f"rollup {first}..{last}",
    )


def rollup_rebuild(*, first: date, last: date) -> int:
    """Rebuild the rollup of the snapshot dates first..last and mark them current."""
    with transaction.atomic(), connection.cursor() as cursor:
        groups = _replace_rollup(cursor, first=first, last=last)
        SnapshotRun.objects.filter(as_of__range=(first, last)).update(rollup_built=True)
    return groups


def rollup_rebuild_stale() -> int:
    """Rebuild the rollup of every snapshot date whose rollup an account change emptied: one
    pass per run of consecutive stale dates. Returns the number of dates rebuilt."""
    stale = list(
        SnapshotRun.objects.filter(rollup_built=False)
        .order_by("as_of")
        .values_list("as_of", flat=True)
    )
    for first, last in runs_of_days(stale):
        rollup_rebuild(first=first, last=last)
    return len(stale)


def runs_of_days(days: list[date]) -> Iterator[tuple[date, date]]:
    if not days:
        return
    first = previous = days[0]
    for day in days[1:]:
        if day != previous + timedelta(days=1):
            yield first, previous
            first = day
        previous = day
    yield first, previous


def yesterday() -> date:
    """The date the nightly job describes: yesterday in the workspace time zone."""
    return timezone.localdate() - timedelta(days=1)


# -- Targets ------------------------------------------------------------------------------------

TARGET_PERMISSION = "metrics.change_kpitarget"


def target_set(*, key: str, segment: str, target) -> None:
    """Set (or, with target None, remove) the target of one portfolio KPI for the whole
    portfolio (segment "") or one segment; the page and the admin write through here."""
    label = f"{key} target ({segment or 'portfolio'})"
    with transaction.atomic():
        old = KpiTarget.objects.filter(key=key, segment=segment).values_list("target", flat=True)
        before = old.first()
        if target is None:
            KpiTarget.objects.filter(key=key, segment=segment).delete()
        else:
            KpiTarget.objects.update_or_create(
                key=key, segment=segment, defaults={"target": target}
            )
        if before != target:
            audit.record("kpitarget.set", model=KpiTarget, object_id=f"{key}:{segment}",
                         label=label, changes={"target": [before, target]})  # fmt: skip
