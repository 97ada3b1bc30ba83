"""A real Celery worker, consuming the real Redis broker, writes the nightly snapshot."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from metrics import tasks
from metrics.models import AccountSnapshot, SnapshotRun
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.factories import AccountFactory, ContractFactory


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real worker; the database is committed to and restored afterwards, migrations' rows
    (groups, the default health model) included."""
    process = start_worker(output=subprocess.PIPE)
    yield process
    stop_worker(process)


@pytest.mark.celery_worker
def test_nightly_task_run_by_a_real_worker_writes_yesterdays_snapshot(celery_worker_process):
    purge_queue()
    account = AccountFactory()
    ContractFactory(
        account=account,
        start_date=timezone.localdate() - timedelta(days=40),
        end_date=None,
        mrr=250,
    )
    yesterday = timezone.localdate() - timedelta(days=1)

    result = tasks.nightly.delay()
    outcome = result.get(timeout=90)

    assert outcome["as_of"] == yesterday.isoformat()
    assert outcome["accounts"] == 1
    snapshot = AccountSnapshot.objects.get(as_of=yesterday, account=account)
    assert snapshot.mrr == 250
    assert SnapshotRun.objects.filter(as_of=yesterday).exists()


@pytest.mark.celery_worker
def test_backfill_fans_out_by_date_chunk_and_covers_every_date(celery_worker_process):
    purge_queue()
    AccountFactory.create_batch(3)
    last = timezone.localdate() - timedelta(days=1)
    first = last - timedelta(days=9)

    group_result = tasks.backfill(first=first, last=last, chunk_days=4)
    chunks = group_result.get(timeout=120)

    assert [chunk["dates"] for chunk in chunks] == [4, 4, 2]
    assert SnapshotRun.objects.filter(as_of__range=(first, last)).count() == 10
    assert AccountSnapshot.objects.filter(as_of__range=(first, last)).count() == 30


@pytest.mark.celery_worker
def test_the_command_sends_a_range_to_the_workers_and_waits_for_every_chunk(
    celery_worker_process,
):
    purge_queue()
    AccountFactory.create_batch(2)
    last = timezone.localdate() - timedelta(days=1)
    out = io.StringIO()

    call_command(
        "recompute_snapshots", "--last-days", "5", "--on-workers", "--chunk-days", "2",
        "-v0", stdout=out,
    )  # fmt: skip

    assert "5 dates in 3 chunks on the workers" in out.getvalue()
    first = last - timedelta(days=4)
    assert SnapshotRun.objects.filter(as_of__range=(first, last)).count() == 5
    assert AccountSnapshot.objects.filter(as_of__range=(first, last)).count() == 10


def test_the_command_refuses_chunks_of_no_days(db):
    with pytest.raises(CommandError, match="--chunk-days takes a positive number of days"):
        call_command("recompute_snapshots", "--last-days", "5", "--on-workers", "--chunk-days", "0")


def test_beat_runs_the_nightly_job_at_nightly_at():
    from config.celery import app

    entry = app.conf.beat_schedule["nightly-snapshots"]
    hour, minute = settings.NIGHTLY_AT.split(":")
    assert entry["task"] == "metrics.nightly"
    assert entry["schedule"].hour == {int(hour)} and entry["schedule"].minute == {int(minute)}


def test_tasks_are_acknowledged_late_so_a_killed_worker_loses_nothing():
    from config.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
