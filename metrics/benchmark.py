"""`make bench`: how fast the import and the nightly job are on a 10,000-account data set.

Figures are wall-clock seconds on this machine, printed as JSON; docs/performance.md records them
with the machine they came from. The floor is a bare `SELECT ... GROUP BY account_id` pass over
each source table: no set-based job can read its inputs faster than that.
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import partitions
from accounts.models import Account, Contract, Ticket, UsageDaily
from metrics.models import SnapshotRun
from metrics.services import (
    dates_between,
    runs_of_days,
    snapshot_recompute,
    snapshot_recompute_range,
    yesterday,
)
from surveys.models import SurveyResponse

FLOOR_QUERIES = {
    "contracts": "SELECT account_id, count(*), sum(mrr) FROM accounts_contract GROUP BY 1",
    "usage": "SELECT account_id, count(*), sum(events) FROM accounts_usagedaily GROUP BY 1",
    "tickets": "SELECT account_id, count(*), max(opened_at) FROM accounts_ticket GROUP BY 1",
    "surveys": ("SELECT account_id, count(*), avg(score) FROM surveys_surveyresponse GROUP BY 1"),
    "contacts": "SELECT account_id, count(*) FROM accounts_contact GROUP BY 1",
}


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": _scalar("SHOW server_version"),
    }


def vacuum_analyze() -> float:
    """VACUUM ANALYZE the database before timing pages, in seconds. This machine's server runs
    without autovacuum, so the seed's updates (company groups, a recompute) leave the account
    table four times its size in dead rows and its statistics stale, which a production server's
    autovacuum would have cleaned; the pages are timed as they would run there."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE, SKIP_LOCKED)")
    return round(time.perf_counter() - started, 1)


def data_size() -> dict:
    return {
        "accounts": Account.objects.count(),
        "contracts": Contract.objects.count(),
        "usage_rows": UsageDaily.objects.count(),
        "tickets": Ticket.objects.count(),
        "survey_responses": SurveyResponse.objects.count(),
    }


def floor_seconds(repeats: int = 3) -> dict:
    """Seconds of one GROUP BY account pass over each source table: the median of `repeats`
    runs after a warm-up run."""
    timings = {}
    with connection.cursor() as cursor:
        for name, query in FLOOR_QUERIES.items():
            cursor.execute(query)
            cursor.fetchall()
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                cursor.execute(query)
                cursor.fetchall()
                runs.append(time.perf_counter() - started)
            timings[name] = round(statistics.median(runs), 3)
    timings["total"] = round(sum(timings.values()), 3)
    return timings


def recompute_seconds(as_of: date, repeats: int = 5) -> float:
    """Median seconds to recompute (and score) one as-of date for all accounts, as the nightly
    job does it: one transaction, every statement included."""
    return round(
        statistics.median(snapshot_recompute(as_of=as_of).seconds for _ in range(repeats)), 3
    )


class _Rollback(Exception):
    pass


def recompute_flat_seconds(as_of: date, repeats: int = 5) -> float | None:
    """recompute_seconds on the same data without its company groups (every parent cleared in a
    transaction that is rolled back afterwards): what the hierarchy costs the nightly job.
    None when the data set has no groups."""
    if not Account.objects.filter(parent__isnull=False).exists():
        return None
    seconds = None
    try:
        with transaction.atomic():
            Account.objects.filter(parent__isnull=False).update(parent=None)
            seconds = recompute_seconds(as_of, repeats)
            raise _Rollback
    except _Rollback:
        pass
    return seconds


HISTORY_DAYS = 60


def history_seconds(days: int = HISTORY_DAYS) -> float | None:
    """Compute the snapshots of the `days` dates ending yesterday that are missing, committed,
    before anything is timed: the pages read snapshots (on a data set without them they time an
    empty book) and the churn figure scores accounts with 60 days of history. None when none
    was missing."""
    last = yesterday()
    first = last - timedelta(days=days - 1)
    have = set(
        SnapshotRun.objects.filter(as_of__range=(first, last)).values_list("as_of", flat=True)
    )
    missing = [day for day in dates_between(first, last) if day not in have]
    if not missing:
        return None
    started = time.perf_counter()
    for start, end in runs_of_days(missing):
        snapshot_recompute_range(first=start, last=end)
    return round(time.perf_counter() - started, 1)


def backfill_seconds(days: int) -> dict:
    """Seconds of the real backfill path (`snapshot_recompute_range`, as the command and the
    Celery chunks run it) over the `days` dates ending yesterday."""
    last = yesterday()
    started = time.perf_counter()
    snapshot_recompute_range(first=last - timedelta(days=days - 1), last=last)
    seconds = time.perf_counter() - started
    return {
        "days": days,
        "seconds": round(seconds, 1),
        "seconds_per_day": round(seconds / days, 3),
        "projected_365_days_minutes": round(seconds / days * 365 / 60, 1),
    }


def backfill_over_workers(*, days: int = 16, processes: tuple[int, ...] = (1, 2, 4)) -> dict:
    """Seconds of the Celery backfill (`metrics.tasks.backfill`: date chunks on a queue) over the
    `days` dates ending yesterday, run by a worker of 1, 2 and 4 processes in turn (a real
    `celery worker --concurrency N` on a queue of its own), projected to 365 days. Each run
    recomputes the same dates, so the runs do the same work."""
    from config.celery import app
    from metrics.tasks import backfill

    last = yesterday()
    first = last - timedelta(days=days - 1)
    chunk_days = max(1, days // (2 * max(processes)))  # enough chunks for every process
    figures = {"days": days, "chunk_days": chunk_days}
    for count in processes:
        queue = f"bench-backfill-{os.getpid()}-{count}"
        worker = _start_worker(queue, count)
        try:
            _wait_for_worker(app, f"{queue}@bench")
            started = time.perf_counter()
            chunks = backfill(first=first, last=last, chunk_days=chunk_days, queue=queue)
            done = chunks.get(timeout=3600, propagate=True)
            seconds = time.perf_counter() - started
        finally:
            _stop_worker(worker)
        figures[f"{count}_processes"] = {
            "seconds": round(seconds, 1),
            "dates": sum(chunk["dates"] for chunk in done),
            "projected_365_days_minutes": round(seconds / days * 365 / 60, 1),
        }
    return figures


def _start_worker(queue: str, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "-Q", queue, "-n", f"{queue}@bench",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR,
        env=_this_database_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_worker(app, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name], timeout=1):
            return
    raise RuntimeError(f"the Celery worker {name} did not answer within {timeout:.0f} s")


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()  # a warm shutdown: the current chunk finishes
    try:
        worker.wait(timeout=120)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def incremental_import_rate(rows: int = 1_000_000) -> dict:
    """A daily load into the full usage table: `rows` usage rows of today for the accounts
    already there (as many per account as it takes), imported by the real command into this
    database, as a connector's daily file would be. Today's rows are deleted afterwards."""
    today = timezone.localdate()
    external_ids = list(Account.objects.order_by("pk").values_list("external_id", flat=True))
    per_account = -(-rows // len(external_ids))
    with tempfile.TemporaryDirectory() as folder:
        with (Path(folder) / "usage.csv").open("w") as handle:
            handle.write("account_external_id,user_id,date,feature,events,minutes,sessions\n")
            written = 0
            for external_id in external_ids:
                take = min(per_account, rows - written)
                handle.writelines(
                    f"{external_id},bench-u{i // 4},{today},bench-f{i % 4},{i % 23},{i % 60},1\n"
                    for i in range(take)
                )
                written += take
        env = _this_database_env()
        table_rows = _scalar(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'accounts_usagedaily'"
        )
        rate = _timed_import(folder, env)
    UsageDaily.objects.filter(date=today, feature__startswith="bench-f").delete()
    return {"usage_rows": written, "table_rows_before": table_rows, "rows_per_s": rate}


def import_rate(rows: int = 1_000_000) -> dict:
    """Import a generated `rows`-row usage.csv into a fresh database, twice (first load, then
    the idempotent re-import), in subprocesses running the real command."""
    database = f"{settings.DATABASES['default']['NAME']}_import"
    url = _database_url(database)
    env = {**os.environ, "DATABASE_URL": url}
    _recreate_database(database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=settings.BASE_DIR
    )
    with tempfile.TemporaryDirectory() as folder:
        _write_usage_files(Path(folder), rows)
        first = _timed_import(folder, env)
        second = _timed_import(folder, env)
    _drop_database(database)
    return {"usage_rows": rows, "first_load_rows_per_s": first, "reimport_rows_per_s": second}


def _timed_import(folder: str, env: dict) -> int:
    output = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", "import_data", folder, "-v0"],
        env=env, check=True, capture_output=True, text=True, cwd=settings.BASE_DIR,
    ).stdout  # fmt: skip
    return int(re.search(r"\(([0-9,]+) rows/s\)", output).group(1).replace(",", ""))


def _write_usage_files(folder: Path, rows: int) -> None:
    accounts = 1000
    per_account = rows // accounts
    start = date(2024, 1, 1)
    days = [(start + timedelta(days=d)).isoformat() for d in range(per_account // 20 + 1)]
    with (folder / "accounts.csv").open("w") as handle:
        handle.write("external_id,name\n")
        handle.writelines(f"B{a},Bench account {a}\n" for a in range(accounts))
    with (folder / "usage.csv").open("w") as handle:
        handle.write("account_external_id,user_id,date,feature,events,minutes,sessions\n")
        for a in range(accounts):
            handle.writelines(
                f"B{a},u{i % 10},{days[i // 20]},f{(i // 10) % 2},{(i * 7) % 23},{i % 60},{i % 4}\n"
                for i in range(per_account)
            )


def _this_database_env() -> dict:
    """The environment of a subprocess (a worker, the import command) on this database."""
    return {**os.environ, "DATABASE_URL": _database_url(settings.DATABASES["default"]["NAME"])}


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def _recreate_database(name: str) -> None:
    _drop_database(name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _scalar(query: str):
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


def relation_bytes(table: str) -> int:
    """pg_total_relation_size of a table and, when partitioned, of all its partitions (a
    partitioned parent holds no rows of its own: its size is 0)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(%s)",
            [table],
        )
        return int(cursor.fetchone()[0])


# A range no seeded or computed date reaches, so its partitions hold only the measured copies.
STORAGE_LAST_DAY = date(2012, 12, 31)


def storage_over_years(*, sample_accounts: int = 500, years: int = 3, daily_months: int = 12):
    """Bytes per account and day of the snapshot and score tables over `years` years, with and
    without retention (SNAPSHOT_DAILY_MONTHS = `daily_months`): the latest snapshot date's rows
    of `sample_accounts` accounts (and their scores) copied to every day of the years up to
    STORAGE_LAST_DAY, pg_total_relation_size of those months' partitions, then the months past
    the daily window thinned by the retention itself and measured again. Rolled back.

    Per account and day, the figure does not depend on the number of accounts (a row's size
    does not); the sample keeps the copy to a minute instead of 100 GB at 100,000 accounts."""
    from metrics import retention
    from metrics.models import AccountSnapshot

    source = SnapshotRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if source is None:
        return None
    first = date(STORAGE_LAST_DAY.year - years + 1, 1, 1)
    days = (STORAGE_LAST_DAY - first).days + 1
    tables = retention.snapshot_tables()
    months = retention.months_between(first, STORAGE_LAST_DAY)
    started = time.perf_counter()
    with transaction.atomic():
        retention.ensure_month_partitions(first, STORAGE_LAST_DAY)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # thinning drops partitions
            cursor.execute(
                "SELECT account_id FROM metrics_accountsnapshot WHERE as_of = %s "
                "ORDER BY account_id LIMIT %s",
                [source, sample_accounts],
            )
            sample = [row[0] for row in cursor.fetchall()]
            params = {"source": source, "first": first, "last": STORAGE_LAST_DAY, "ids": sample}
            for table in tables:
                cursor.execute(_copy_to_every_day(table), params)
        snapshot_rows = AccountSnapshot.objects.filter(
            as_of__range=(first, STORAGE_LAST_DAY)
        ).count()
        daily = _partition_bytes(tables, months)
        retention.thin_old_months(daily_months, today=STORAGE_LAST_DAY + timedelta(days=1))
        kept_rows = AccountSnapshot.objects.filter(as_of__range=(first, STORAGE_LAST_DAY)).count()
        thinned = _partition_bytes(tables, months)
        transaction.set_rollback(True)
    account_days = len(sample) * days
    return {
        "sample_accounts": len(sample),
        "days": days,
        "daily_months": daily_months,
        "rows_per_account": {
            "every_day": round(snapshot_rows / len(sample)),
            "with_retention": round(kept_rows / len(sample)),
        },
        "bytes_per_row_every_day": round(sum(daily.values()) / snapshot_rows),
        "bytes_per_account_day": {
            "every_day": round(sum(daily.values()) / account_days),
            "with_retention": round(sum(thinned.values()) / account_days),
        },
        "bytes_with_retention": thinned,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _copy_to_every_day(table: str) -> str:
    """INSERT copying the source date's rows of the sampled accounts to each day first..last.
    Columns from the catalog of the models (so new columns are copied too); a score row takes
    the id of the copied snapshot row of its account and day."""
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    columns = [f.column for f in model._meta.concrete_fields if f.column not in ("id", "as_of")]
    if "snapshot_id" in columns:
        others = [c for c in columns if c != "snapshot_id"]
        return (
            f"INSERT INTO {table} (snapshot_id, as_of, {', '.join(others)}) "  # noqa: S608
            f"SELECT n.id, n.as_of, {', '.join(f'o.{c}' for c in others)} FROM {table} o "
            "JOIN metrics_accountsnapshot n ON n.account_id = o.account_id "
            "AND n.as_of BETWEEN %(first)s AND %(last)s "
            "WHERE o.as_of = %(source)s AND o.account_id = ANY(%(ids)s)"
        )
    return (
        f"INSERT INTO {table} (as_of, {', '.join(columns)}) "  # noqa: S608
        f"SELECT d::date, {', '.join(f'o.{c}' for c in columns)} FROM {table} o "
        "CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') d "
        "WHERE o.as_of = %(source)s AND o.account_id = ANY(%(ids)s)"
    )


def _partition_bytes(tables, months) -> dict[str, int]:
    with connection.cursor() as cursor:
        sizes = {}
        for table in tables:
            names = [partitions.month_partition(table, month) for month in months]
            cursor.execute(
                "SELECT coalesce(sum(pg_total_relation_size(n::regclass)), 0) "
                "FROM unnest(%s::text[]) n",
                [names],
            )
            sizes[table] = int(cursor.fetchone()[0])
    return sizes
