"""The digest, end to end through a real SMTP server (aiosmtpd) started by the test: what a CSM
and a leader receive at their local morning, ranked by ARR at stake, in HTML and plain text with
a one-click unsubscribe; sent once a day whatever beat does; and sent by a real Celery worker."""

import email
import socket
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import get_connection
from django.test import Client
from django.utils import timezone

from healthscores.models import Alert
from metrics.services import snapshot_recompute
from notifications import services
from notifications.models import Digest, NotificationPreference
from playbooks.models import Task
from tests.celery_workers import purge_queue, start_worker, stop_worker
from tests.factories import AccountFactory, ContractFactory, UserFactory

pytestmark = pytest.mark.django_db


class Inbox:
    """aiosmtpd's handler: every message that arrives, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    inbox.port = settings.EMAIL_PORT
    yield inbox
    controller.stop()


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def book(alice):
    """alice's accounts: a big renewal, a small one, an open detractor alert, an overdue task."""
    big = AccountFactory(name="Big Co", owner=alice)
    small = AccountFactory(name="Small Co", owner=alice)
    ContractFactory(account=big, mrr=Decimal("9000.00"), start_date=date(2024, 1, 1),
                    end_date=today() + timedelta(days=20))  # fmt: skip
    ContractFactory(account=small, mrr=Decimal("100.00"), start_date=date(2024, 1, 1),
                    end_date=today() + timedelta(days=10))  # fmt: skip
    Alert.objects.create(account=small, owner=alice, reason="detractor", as_of=today(),
                         details='NPS 2 from Jo: "Too slow"', arr=Decimal("1200"))  # fmt: skip
    Task.objects.create(account=big, assignee=alice, title="Plan the QBR",
                        due_on=today() - timedelta(days=2), source="person")  # fmt: skip
    snapshot_recompute(as_of=today() - timedelta(days=1))
    return {"big": big, "small": small}


def body(message, kind: str) -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


def test_a_csm_gets_her_morning_digest_ranked_by_arr(smtp, book, alice):
    assert services.digests_send([alice.pk]) == 1

    (message,) = smtp.messages
    assert message["To"] == "alice@northstar.example"
    assert message["Subject"].startswith("Northstar digest for")
    text, html = body(message, "plain"), body(message, "html")
    for part in (text, html):
        assert "Unanswered detractors" in part and "Too slow" in part
        assert "Renewals in the next 30 days" in part and "Tasks due and overdue" in part
        assert "Overdue since" in part and "Plan the QBR" in part
    renewals = text.split("Renewals in the next 30 days")[1]
    assert renewals.index("Big Co") < renewals.index("Small Co")  # ARR 108,000 before 1,200
    assert f"/accounts/{book['big'].pk}/" in html


def test_a_signal_taken_off_email_leaves_the_digest(smtp, book, alice):
    NotificationPreference.objects.create(
        user=alice, channels={"detractor": ["app"], "task_due": ["email"]}
    )
    services.digests_send([alice.pk])
    text = body(smtp.messages[0], "plain")
    assert "Unanswered detractors" not in text and "Plan the QBR" in text


def test_the_unsubscribe_link_is_one_click_and_signed(smtp, book, alice):
    services.digests_send([alice.pk])
    (message,) = smtp.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    path = link.split("127.0.0.1:8000", 1)[-1]

    assert Client().get(path).status_code == 200  # a link scanner's GET changes nothing
    assert services.preference_for(alice).digest == Digest.DAILY
    assert Client().post(path).status_code == 200  # what mail clients send (RFC 8058)
    assert NotificationPreference.objects.get(user=alice).digest == Digest.OFF
    assert Client().post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 400


def test_a_digest_is_sent_once_a_day(smtp, book, alice):
    assert services.digests_send([alice.pk]) == 1
    assert services.digests_send([alice.pk]) == 0
    assert len(smtp.messages) == 1


def test_a_quiet_day_still_says_so(smtp, bob):
    services.digests_send([bob.pk])
    assert "Nothing needs you today" in body(smtp.messages[0], "plain")


def test_who_is_due_follows_local_mornings_roles_and_choices(alice, bob, leader):
    NotificationPreference.objects.create(user=bob, digest_hour=7, time_zone="America/New_York")
    carol = UserFactory(username="carol", groups=["CSM"])
    NotificationPreference.objects.create(user=carol, digest=Digest.OFF)
    monday_8_utc = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    tuesday_8_utc = monday_8_utc + timedelta(days=1)
    monday_12_utc = monday_8_utc.replace(hour=12)  # 7:00 in New York

    assert set(services.digest_due_user_ids(monday_8_utc)) >= {alice.pk, leader.pk}
    assert bob.pk not in services.digest_due_user_ids(monday_8_utc)
    assert leader.pk not in services.digest_due_user_ids(tuesday_8_utc)  # leaders: weekly
    assert alice.pk in services.digest_due_user_ids(tuesday_8_utc)  # CSMs: daily
    assert bob.pk in services.digest_due_user_ids(monday_12_utc)
    assert carol.pk not in services.digest_due_user_ids(monday_8_utc)


def test_a_leader_following_every_account_sees_every_owners_renewal(smtp, book, leader):
    NotificationPreference.objects.create(user=leader, scope="all", digest=Digest.WEEKLY)
    services.digests_send([leader.pk])
    assert "Big Co" in body(smtp.messages[0], "plain")


def test_ten_digests_go_over_one_smtp_connection(smtp, alice, bob, leader):
    users = [UserFactory(groups=["CSM"]) for _ in range(10)]
    opened = []
    original = get_connection

    def counting(*args, **kwargs):
        connection = original(*args, **kwargs)
        opened.append(connection)
        return connection

    services.get_connection = counting
    try:
        assert services.digests_send([u.pk for u in users]) == 10
    finally:
        services.get_connection = original
    assert len(smtp.messages) == 10 and len(opened) == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_digests_that_beat_queues(smtp, alice):
    purge_queue()
    hour = timezone.now().astimezone(timezone.get_default_timezone()).hour
    NotificationPreference.objects.create(user=alice, digest_hour=hour)
    worker = start_worker(output=subprocess.PIPE, TEST_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
    try:
        assert services.digests_enqueue() >= 1
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not smtp.messages:
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.5)
    finally:
        stop_worker(worker)
    assert [m["To"] for m in smtp.messages] == ["alice@northstar.example"]
    assert NotificationPreference.objects.get(user=alice).last_digest_on == today()
