"""Playbook actions run in real Celery workers, and a worker killed mid-run does nothing twice.

The restart test kills a worker (SIGKILL: no warm shutdown, no acknowledgement) while a webhook
call is in flight, starts a second worker, and lets the broker redeliver the unacknowledged task
(acks_late): the task done before the kill is not made again, the webhook and the actions after
it are done once. Its workers use a Redis key prefix of their own and a 3-second visibility
timeout, so the redelivery is quick and never touches another suite's tasks.
"""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from playbooks.models import PlaybookRun, RunStatus, StepStatus, Task
from playbooks.services import playbooks_evaluate
from playbooks.tasks import execute_run
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import SnapshotFactory, make_playbook
from tests.playbooks.test_webhooks import Receiver, receiver_server

VISIBILITY_TIMEOUT = 3

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def wait_for(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def renewal_playbook(actions, owner) -> tuple:
    yesterday = timezone.localdate() - timedelta(days=1)
    playbook = make_playbook("renewal_within", days=90, actions=actions)
    account = AccountFactory(owner=owner)
    SnapshotFactory(account=account, as_of=yesterday, days_to_renewal=40)
    return playbook, yesterday


def test_the_nightly_evaluation_queues_runs_that_a_real_worker_does(celery_worker_process):
    maya = UserFactory(username="maya", groups=["CSM"])
    playbook, yesterday = renewal_playbook([{"kind": "create_task", "title": "Renewal"}], maya)

    playbooks_evaluate(as_of=yesterday)  # commits: the runs are queued on commit

    wait_for(lambda: PlaybookRun.objects.filter(playbook=playbook, status="done").exists())
    assert Task.objects.get(title="Renewal").assignee == maya


@pytest.fixture
def celery_worker_process():
    purge_queue()
    process = start_worker()
    yield process
    stop_worker(process)


@pytest.fixture
def held_receiver():
    receiver = Receiver(hold=threading.Event())
    server = receiver_server(receiver)
    yield receiver
    if receiver.hold is not None:
        receiver.hold.set()
    server.shutdown()
    server.server_close()


def test_a_run_redelivered_after_a_worker_is_killed_skips_the_actions_already_done(
    held_receiver, monkeypatch
):
    prefix = f"restart-{os.getpid()}-{time.monotonic_ns()}:"
    # The receiver listens on 127.0.0.1: the worker allows private receivers.
    env = {"TEST_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
           "TEST_CELERY_KEYPREFIX": prefix, "WEBHOOK_ALLOW_PRIVATE": "true"}  # fmt: skip
    maya = UserFactory(username="maya", groups=["CSM"])
    playbook, yesterday = renewal_playbook(
        [{"kind": "create_task", "title": "Before the hook"},
         {"kind": "webhook", "url": "http://placeholder.invalid/"},
         {"kind": "create_task", "title": "After the hook"}],
        maya,
    )  # fmt: skip
    held_receiver.secret = playbook.webhook_secret
    playbook.actions.filter(kind="webhook").update(url=held_receiver.url)
    from playbooks import services

    # Queued below instead, under the test's own key prefix.
    monkeypatch.setattr(services, "runs_enqueue", lambda run_ids: len(run_ids))
    (run_id,) = playbooks_evaluate(as_of=yesterday)
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as broker:
        execute_run.apply_async(args=[run_id], connection=broker)

    first = start_worker(**env)
    try:
        assert held_receiver.arrived.wait(timeout=90), "the first worker never called"
        # The first task is done and recorded; the worker is inside the webhook call.
        assert Task.objects.filter(title="Before the hook").count() == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        stop_worker(first)
    gate, held_receiver.hold = held_receiver.hold, None  # it answers at once from now on
    gate.set()  # and lets the orphaned first call go
    step = PlaybookRun.objects.get(pk=run_id).steps.get(position=2)
    assert step.status == StepStatus.PENDING and step.attempts == 0

    time.sleep(VISIBILITY_TIMEOUT + 1)  # the delivery is now older than the visibility timeout
    second = start_worker(**env)
    try:
        wait_for(lambda: PlaybookRun.objects.get(pk=run_id).status == RunStatus.DONE)
    finally:
        stop_worker(second)

    assert Task.objects.filter(title="Before the hook").count() == 1
    assert Task.objects.filter(title="After the hook").count() == 1
    # The webhook was in flight when the worker died: it is sent again, with the same
    # delivery id, for the receiver to recognise.
    deliveries = [call["headers"]["X-Northstar-Delivery"] for call in held_receiver.calls]
    assert deliveries == [f"run-{run_id}-step-2"] * 2
    steps = PlaybookRun.objects.get(pk=run_id).steps.order_by("position")
    assert [(s.status, s.attempts) for s in steps] == [("done", 1), ("done", 1), ("done", 1)]
