"""A rescore job (healthscores.RescoreJob): queued in parts by the admin and the lab through
one service, its progress counted by the workers chunk by chunk, a failure recorded on it."""

import subprocess
import time
from datetime import date, timedelta

import pytest

from healthscores.models import RescoreJob, SnapshotHealth
from healthscores.services import rescore_enqueue, rescore_job_run
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.healthscores.conftest import AccountSnapshotFactory, SnapshotRunFactory

D = date(2024, 3, 31)


def job(first: date, last: date) -> RescoreJob:
    return RescoreJob.objects.create(first=first, last=last, total_dates=(last - first).days + 1)


def test_a_part_counts_its_dates_and_the_last_part_finishes_the_job(db, default_model):
    AccountSnapshotFactory(as_of=D)
    rescore = job(D - timedelta(days=69), D)  # 70 dates: parts of 35, chunks of 30 + 5

    rescore_job_run(job_id=rescore.pk, first=D - timedelta(days=69), last=D - timedelta(days=35))
    rescore.refresh_from_db()
    assert (rescore.done_dates, rescore.status, rescore.finished_at) == (35, "running", None)

    rows = rescore_job_run(job_id=rescore.pk, first=D - timedelta(days=34), last=D)
    rescore.refresh_from_db()
    assert rows == 1  # the one stored snapshot row, scored
    assert (rescore.done_dates, rescore.status) == (70, "done")
    assert rescore.finished_at is not None


def test_a_failing_part_is_recorded_on_the_job_and_raised(db, default_model):
    rescore = job(D, D)
    default_model.versions.update(definition={"green": 70, "yellow": 40, "components": [
        {"metric": "no_such_metric", "weight": 1, "bad": 0, "good": 1}]})  # fmt: skip

    with pytest.raises(ValueError, match="unknown metric"):
        rescore_job_run(job_id=rescore.pk, first=D, last=D)

    rescore.refresh_from_db()
    assert rescore.status == "failed"
    assert "2024-03-31..2024-03-31: unknown metric 'no_such_metric'" in rescore.error


def test_a_job_not_queued_because_the_broker_is_down_is_marked_failed(db, broker_down):
    SnapshotRunFactory(as_of=D)

    with pytest.raises(Exception, match="Connection refused"):
        rescore_enqueue(days=365)

    assert RescoreJob.objects.get().status == "failed"


# A real worker: the admin's and the lab's rescore goes through the broker to it.


@pytest.fixture
def queued_rescores():
    """Overrides the suite's recording fixture: these tests queue for real."""
    return None


@pytest.fixture
def celery_worker_process(transactional_db):
    purge_queue()
    process = start_worker(output=subprocess.PIPE)
    yield process
    stop_worker(process)


@pytest.mark.celery_worker
def test_a_real_worker_rescores_a_queued_year_and_reports_its_progress(
    celery_worker_process, default_model
):
    for days in (0, 100, 364):
        AccountSnapshotFactory(as_of=D - timedelta(days=days), open_tickets=5)
    SnapshotRunFactory(as_of=D)

    rescore = rescore_enqueue(model=default_model)

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rescore.refresh_from_db()
        if rescore.status in ("done", "failed"):
            break
        time.sleep(0.5)
    assert (rescore.status, rescore.done_dates, rescore.total_dates) == ("done", 365, 365)
    assert (rescore.first, rescore.last) == (D - timedelta(days=364), D)
    version = default_model.versions.get()
    rows = SnapshotHealth.objects.order_by("as_of")
    assert [row.model_version_id for row in rows] == [version.pk] * 3
    # open tickets 5 -> (5 - 10) / (0 - 10) x 100 = 50, the one component with a value here
    # besides champion_left_90d 0 -> 100: (10 x 50 + 10 x 100) / 20 = 75.
    assert [row.score for row in rows] == [pytest.approx(75.0)] * 3
