"""`make bench` and `make bench-scale`: the work they time is the real work, and their figures
come from what ran."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import UsageDaily
from metrics import benchmark
from metrics.models import AccountSnapshot, SnapshotRun
from metrics.services import snapshot_recompute, yesterday
from tests.celery_workers import purge_queue
from tests.factories import AccountFactory, UsageDailyFactory
from web.management.commands.bench_scale import usage_rate_over_the_load


def test_the_bench_computes_only_the_missing_dates_of_its_history_once(db):
    AccountFactory.create_batch(3)
    last = yesterday()
    snapshot_recompute(as_of=last - timedelta(days=1))  # one date already there

    assert benchmark.history_seconds(days=4) is not None

    dates = set(SnapshotRun.objects.values_list("as_of", flat=True))
    assert dates == {last - timedelta(days=back) for back in range(4)}
    assert benchmark.history_seconds(days=4) is None  # nothing missing: nothing recomputed


@pytest.mark.celery_worker
def test_the_backfill_bench_runs_every_date_on_real_workers_of_each_size(transactional_db):
    purge_queue()
    AccountFactory.create_batch(2)

    figures = benchmark.backfill_over_workers(days=4, processes=(1, 2))

    assert figures["chunk_days"] == 1
    assert figures["1_processes"]["dates"] == figures["2_processes"]["dates"] == 4
    assert figures["2_processes"]["seconds"] > 0
    first = yesterday() - timedelta(days=3)
    assert AccountSnapshot.objects.filter(as_of__gte=first).count() == 8


def test_the_daily_load_bench_imports_into_the_full_table_and_takes_its_rows_away(
    transactional_db,
):
    kept = UsageDailyFactory(date=timezone.localdate() - timedelta(days=3))
    AccountFactory()

    figures = benchmark.incremental_import_rate(rows=5)

    assert figures["usage_rows"] == 5 and figures["rows_per_s"] > 0
    assert list(UsageDaily.objects.values_list("pk", flat=True)) == [kept.pk]


def _progress(rows_and_seconds):
    return "\n".join(
        f"  usage.csv: {rows:,} rows ({rows / seconds:,.0f} rows/s)"
        for rows, seconds in rows_and_seconds
    )


def test_the_load_rate_of_the_first_and_last_tenth_shows_a_slowdown():
    steady = [(n * 100_000, n * 0.5) for n in range(1, 41)]  # 200,000 rows/s throughout
    slowing = [(n * 100_000, n * 0.5 + (n > 36) * (n - 36) * 0.5) for n in range(1, 41)]

    even = usage_rate_over_the_load(_progress(steady))
    slower = usage_rate_over_the_load(_progress(slowing))

    assert even["first_tenth_rows_per_s"] == even["last_tenth_rows_per_s"] == 200_000
    assert even["usage_rows"] == 4_000_000 and even["seconds"] == 20.0
    assert slower["last_tenth_rows_per_s"] == pytest.approx(100_000, rel=0.01)
    assert usage_rate_over_the_load(_progress(steady[:5])) is None  # too short to tell
