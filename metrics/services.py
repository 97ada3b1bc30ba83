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

# Other apps plug into the job without metrics importing them (the healthscores app sets both):
# a provider of extra columns computed in the same INSERT (health scores), and hooks called
# after each date is stored, inside its transaction (alerts).
extra_columns_provider: Callable[[], metrics_sql.ExtraColumns] | None = None
after_snapshot_hooks: list[Callable[[date], None]] = []


def _extra_columns() -> metrics_sql.ExtraColumns:
    return extra_columns_provider() if extra_columns_provider else metrics_sql.NO_EXTRA_COLUMNS


def snapshot_recompute(*, as_of: date, features_seen: int | None = None) -> SnapshotRun:
    """Replace every account's snapshot row of `as_of` in one transaction: a crash half-way
    leaves the previous rows of that date intact, and running it twice gives the same rows.
    A range passes `features_seen` (the same for every date) so it is read only once."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if features_seen is None:
            features_seen = metrics_sql.features_seen(cursor)
        accounts = metrics_sql.replace_snapshot(
            cursor, as_of, features=features_seen, extra=_extra_columns()
        )
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
    with connection.cursor() as cursor:
        features = metrics_sql.features_seen(cursor)
    for day in dates_between(first, last):
        run = snapshot_recompute(as_of=day, features_seen=features)
        runs.append(run)
        if on_date:
            on_date(run)
    return runs


def yesterday() -> date:
    """The date the nightly job describes: yesterday in the workspace time zone."""
    return timezone.localdate() - timedelta(days=1)
