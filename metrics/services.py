"""Writes of the metrics app: recomputing the snapshots of one date or a range of dates."""

import logging
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from metrics import sql as metrics_sql
from metrics.models import SnapshotRun

logger = logging.getLogger("northstar.metrics")

# Called after each date is stored, inside its transaction: scoring plugs in here so that a
# date's KPIs and health scores are replaced together. Set by the healthscores app.
after_snapshot_hooks: list[Callable[[date], None]] = []


def snapshot_recompute(*, as_of: date) -> SnapshotRun:
    """Replace every account's snapshot row of `as_of` in one transaction: a crash half-way
    leaves the previous rows of that date intact, and running it twice gives the same rows."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        accounts = metrics_sql.replace_snapshot(cursor, as_of)
        for hook in after_snapshot_hooks:
            hook(as_of)
        run, _created = SnapshotRun.objects.update_or_create(
            as_of=as_of,
            defaults={
                "accounts": accounts,
                "seconds": time.perf_counter() - started,
                "finished_at": timezone.now(),
            },
        )
    logger.debug("snapshot %s: %d accounts in %.2f s", as_of, accounts, run.seconds)
    return run


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
    for day in dates_between(first, last):
        run = snapshot_recompute(as_of=day)
        runs.append(run)
        if on_date:
            on_date(run)
    return runs


def yesterday() -> date:
    """The date the nightly job describes: yesterday in the workspace time zone."""
    return timezone.localdate() - timedelta(days=1)
