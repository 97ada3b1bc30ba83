"""A real Celery worker, consuming the real Redis broker, writes the nightly snapshot."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics import tasks
from metrics.models import AccountSnapshot, SnapshotRun
from tests.factories import AccountFactory, ContractFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(transactional_db, django_db_serialized_rollback):
    """`celery worker` in a subprocess, on the test database, the tests' Redis database and
    this run's queue. The database is committed to (the worker has its own connection) and
    restored afterwards, migrations' rows (groups, the default health model) included."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _purge_queue() -> None:
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.mark.celery_worker
def test_nightly_task_run_by_a_real_worker_writes_yesterdays_snapshot(celery_worker_process):
    _purge_queue()
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
    _purge_queue()
    AccountFactory.create_batch(3)
    last = timezone.localdate() - timedelta(days=1)
    first = last - timedelta(days=9)

    group_result = tasks.backfill(first=first, last=last, chunk_days=4)
    chunks = group_result.get(timeout=120)

    assert [chunk["dates"] for chunk in chunks] == [4, 4, 2]
    assert SnapshotRun.objects.filter(as_of__range=(first, last)).count() == 10
    assert AccountSnapshot.objects.filter(as_of__range=(first, last)).count() == 30


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
