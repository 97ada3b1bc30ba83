"""Celery entry points of the metrics app: thin wrappers around metrics.services.

Tasks take ISO dates, never model instances. They are idempotent (a date's rows are replaced in
one transaction) and acknowledged late (settings: CELERY_TASK_ACKS_LATE), so a worker killed
mid-task loses nothing: the broker redelivers the task and the rerun replaces the same rows.
"""

from datetime import date, timedelta

from celery import group, shared_task

from metrics import retention as snapshot_retention
from metrics.services import (
    dates_between,
    ensure_month_partitions,
    rollup_rebuild_stale,
    snapshot_recompute,
    snapshot_recompute_range,
    yesterday,
)

BACKFILL_CHUNK_DAYS = 30


@shared_task(name="metrics.recompute_snapshot")
def recompute_snapshot(as_of: str) -> dict:
    run = snapshot_recompute(as_of=date.fromisoformat(as_of))
    return {"as_of": as_of, "accounts": run.accounts, "seconds": round(run.seconds, 3)}


@shared_task(name="metrics.nightly", ignore_result=False)  # read by tests and operators
def nightly() -> dict:
    """The nightly job: yesterday's snapshot (and, through the hooks, its health scores), then
    the portfolio rollup of any date an account change made stale."""
    result = recompute_snapshot(yesterday().isoformat())
    result["rollup_dates_rebuilt"] = rollup_rebuild_stale()
    return result


@shared_task(name="metrics.recompute_range", ignore_result=False)  # backfill() collects them
def recompute_range(first: str, last: str) -> dict:
    runs = snapshot_recompute_range(first=date.fromisoformat(first), last=date.fromisoformat(last))
    return {"first": first, "last": last, "dates": len(runs)}


@shared_task(name="metrics.retention")
def retention() -> dict:
    """The coming months' snapshot partitions, and SNAPSHOT_DAILY_MONTHS (metrics/retention.py)."""
    return snapshot_retention.maintain()


def backfill(
    *, first: date, last: date, chunk_days: int = BACKFILL_CHUNK_DAYS, queue: str | None = None
):
    """Fan a date range out as chunks that several workers run in parallel (never by account).
    The range's month partitions are made first, so no two chunks wait on creating one. `queue`
    sends the chunks to workers of their own (`celery worker -Q`), away from the nightly job."""
    ensure_month_partitions(first, last)
    days = list(dates_between(first, last))
    chunks = [days[i : i + chunk_days] for i in range(0, len(days), chunk_days)]
    tasks = group(recompute_range.s(c[0].isoformat(), c[-1].isoformat()) for c in chunks)
    return tasks.apply_async(queue=queue) if queue else tasks.apply_async()


def last_365_days() -> tuple[date, date]:
    end = yesterday()
    return end - timedelta(days=364), end
