"""Webhook actions against a real local HTTP server: signed JSON, retries with backoff, give-up.

The server (http.server in a thread) verifies each call's signature itself, the way a receiver
following docs/webhooks.md would, and answers with the statuses a test scripts. It listens on
127.0.0.1, so these tests allow private receivers (WEBHOOK_ALLOW_PRIVATE, as an on-premises
installation would); tests/playbooks/test_webhook_targets.py holds the refusals.
"""

import hashlib
import hmac
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from playbooks.models import PlaybookRun, StepStatus, Task
from playbooks.services import playbooks_evaluate
from playbooks.tasks import execute_run, retry_countdown
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_receivers_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


@dataclass
class Receiver:
    """What the local server got, and what it answers next (200 once the script is empty)."""

    url: str = ""
    secret: str = ""
    answers: deque = field(default_factory=deque)
    calls: list[dict] = field(default_factory=list)
    hold: threading.Event | None = None  # when set, each call waits for it (the restart test)
    arrived: threading.Event = field(default_factory=threading.Event)


def receiver_server(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = (
                "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
            )
            signature = self.headers.get("X-Northstar-Signature", "")
            receiver.calls.append(
                {
                    "body": json.loads(body),
                    "headers": dict(self.headers),
                    "signature_ok": hmac.compare_digest(expected, signature),
                }
            )
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(timeout=60)
            status = receiver.answers.popleft() if receiver.answers else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/northstar"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = receiver_server(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


def webhook_run(receiver: Receiver, *extra_actions) -> PlaybookRun:
    playbook = make_playbook(
        "renewal_within", days=90,
        actions=[{"kind": "webhook", "url": receiver.url}, *extra_actions],
    )  # fmt: skip
    receiver.secret = playbook.webhook_secret
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", external_id="ACME-1", owner=owner)
    SnapshotFactory(account=account, as_of=AS_OF, days_to_renewal=30)
    playbooks_evaluate(as_of=AS_OF)
    return PlaybookRun.objects.get(playbook=playbook)


def test_a_webhook_posts_signed_json_that_the_receiver_can_verify(today_is, receiver):
    run = webhook_run(receiver)

    result = execute_run.apply(args=[run.pk]).get()

    assert result["status"] == "done"
    (call,) = receiver.calls
    assert call["signature_ok"]
    headers, body = call["headers"], call["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Northstar-Timestamp"] == str(body["timestamp"])
    assert headers["X-Northstar-Delivery"] == f"run-{run.pk}-step-1" == body["delivery"]
    assert body["event"] == "playbook.action"
    assert body["account"]["external_id"] == "ACME-1"
    assert body["account"]["owner_email"] == "maya@northstar.example"
    assert body["run"]["trigger"] == "renewal_within"
    assert body["run"]["trigger_values"]["days_to_renewal"] == 30
    assert body["playbook"]["name"] == run.playbook.name
    step = run.steps.get()
    assert step.status == StepStatus.DONE and step.result == "HTTP 200"  # no timing kept


def test_a_signature_made_with_another_secret_does_not_verify(today_is, receiver):
    run = webhook_run(receiver)
    receiver.secret = "not-the-playbooks-secret"

    execute_run.apply(args=[run.pk])

    assert receiver.calls[0]["signature_ok"] is False


def test_a_failing_receiver_is_retried_and_every_retry_is_signed(today_is, receiver):
    receiver.answers.extend([503, 502])
    run = webhook_run(receiver, {"kind": "create_task", "title": "After the hook"})

    result = execute_run.apply(args=[run.pk]).get()

    assert result == {"run": run.pk, "status": "done", "attempt": 3}
    assert len(receiver.calls) == 3
    assert all(call["signature_ok"] for call in receiver.calls)
    assert len({call["headers"]["X-Northstar-Delivery"] for call in receiver.calls}) == 1
    step = run.steps.get(position=1)
    assert (step.status, step.attempts) == (StepStatus.DONE, 3)
    assert Task.objects.filter(title="After the hook").count() == 1


@override_settings(PLAYBOOK_WEBHOOK_RETRIES=2)
def test_after_the_last_retry_the_step_fails_and_the_run_goes_on(today_is, receiver):
    receiver.answers.extend([500] * 10)
    run = webhook_run(receiver, {"kind": "create_task", "title": "Still done"})

    result = execute_run.apply(args=[run.pk]).get()

    assert result["status"] == "failed"
    assert len(receiver.calls) == 3  # the first call and two retries
    step = run.steps.get(position=1)
    assert step.status == StepStatus.FAILED and step.error == "HTTP 500"
    assert Task.objects.filter(title="Still done").exists()


def test_a_client_error_is_not_retried(today_is, receiver):
    receiver.answers.append(404)
    run = webhook_run(receiver)

    execute_run.apply(args=[run.pk])

    assert len(receiver.calls) == 1
    assert run.steps.get().status == StepStatus.FAILED


def test_an_unreachable_receiver_is_retried(today_is, receiver):
    run = webhook_run(receiver)
    step = run.steps.get()
    step.action.url = "http://127.0.0.1:9/nothing-listens-here"
    step.action.save()

    with override_settings(PLAYBOOK_WEBHOOK_RETRIES=1):
        result = execute_run.apply(args=[run.pk]).get()

    step.refresh_from_db()
    assert result["status"] == "failed"
    assert step.attempts == 2
    assert step.error == "connection failed"


def test_retries_back_off_exponentially():
    with override_settings(PLAYBOOK_WEBHOOK_BACKOFF=30):
        assert [retry_countdown(n) for n in range(5)] == [30, 60, 120, 240, 480]
        assert retry_countdown(20) == 3600


@override_settings(PLAYBOOK_WEBHOOK_TIMEOUT=1, PLAYBOOK_WEBHOOK_RETRIES=0)
def test_a_receiver_too_slow_to_answer_is_recorded_as_a_timeout_and_nothing_more(
    today_is, receiver
):
    receiver.hold = threading.Event()  # the receiver answers only once the test is over
    run = webhook_run(receiver)

    try:
        execute_run.apply(args=[run.pk])
    finally:
        receiver.hold.set()

    step = run.steps.get()
    assert (step.status, step.error, step.result) == (StepStatus.FAILED, "timeout", "")
