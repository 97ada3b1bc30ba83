"""Monthly partitions of the usage rows (migration 0008, docs/performance.md).

Partitions are named `<table>_pYYYYMM`, plus `<table>_default` that catches any row whose month
has no partition yet, so no insert ever fails. `ensure` creates months ahead of time (and moves
rows from the default partition into their new month); `drop_expired` drops whole partitions of
months older than the retention, never a DELETE over the big table.
"""

import datetime as dt
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import add_months

USAGE_TABLE = "accounts_usagedaily"
_MONTH = re.compile(r"_p(\d{4})(\d{2})$")


def ensure(
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    table: str = USAGE_TABLE,
    cursor=None,
) -> int:
    """Create the partitions of every month from `first` (default: this month) to `last`
    (default: USAGE_PARTITION_MONTHS_AHEAD months ahead); returns how many were created."""
    today = timezone.localdate()
    first = first or today
    last = last or add_months(today.replace(day=1), settings.USAGE_PARTITION_MONTHS_AHEAD)
    if cursor is None:
        with transaction.atomic(), connection.cursor() as own:
            return ensure(first, last, table=table, cursor=own)
    cursor.execute("SELECT northstar_ensure_month_partitions(%s, %s, %s)", [table, first, last])
    return cursor.fetchone()[0]


def month_partition(table: str, day: dt.date) -> str:
    """The name of the partition of `table` holding `day` (made by `ensure`)."""
    return f"{table}_p{day:%Y%m}"


def months(table: str = USAGE_TABLE) -> list[dt.date]:
    """The first day of every month that has a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = [_MONTH.search(name) for name in names]
    return sorted(dt.date(int(m[1]), int(m[2]), 1) for m in found if m)


def drop_expired(
    retention_months: int | None = None, *, table: str = USAGE_TABLE, today: dt.date | None = None
) -> list[str]:
    """Drop the partitions of months before the first kept month (retention_months back from
    this month; 0 keeps everything) and delete the default partition's rows that old."""
    keep = settings.USAGE_RETENTION_MONTHS if retention_months is None else retention_months
    if keep <= 0:
        return []
    oldest_kept = add_months((today or timezone.localdate()).replace(day=1), -keep)
    dropped = []
    with transaction.atomic(), connection.cursor() as cursor:
        for month in months(table):
            if month < oldest_kept:
                name = month_partition(table, month)
                cursor.execute(f'DROP TABLE "{name}"')
                dropped.append(name)
        cursor.execute(f'DELETE FROM "{table}_default" WHERE date < %s', [oldest_kept])  # noqa: S608
    return dropped


def maintain() -> dict:
    """The daily job: partitions ahead of time, then retention."""
    created = ensure()
    return {"created": created, "dropped": drop_expired()}
