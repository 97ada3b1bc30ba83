"""Signals in Slack, through the real slack-sdk client against a local Slack: the nightly
chain's notifications become Block Kit messages (why, MRR, a link, buttons) for those who chose
Slack; a 429 is waited out, an outage never holds up the chain and is retried; the buttons'
requests are verified with Slack's own signature scheme and act through the page's services."""

import json
import time
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client
from slack_sdk.signature import SignatureVerifier

from healthscores.models import Alert, AlertStatus
from metrics.services import snapshot_recompute
from notifications import services
from notifications.models import Notification, NotificationPreference, SlackState
from tests.factories import AccountFactory, ContractFactory, UserFactory
from tests.notifications.slack_fake import FakeSlack

D = date(2024, 3, 31)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # pragma: allowlist secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_slack(settings):
    fake = FakeSlack()
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_API_URL = fake.url + "/api/"
    settings.SLACK_CHANNEL = "#cs-alerts"
    settings.SLACK_SIGNING_SECRET = SECRET
    yield fake
    fake.close()


@pytest.fixture
def red_account(alice):
    account = AccountFactory(name="Acme", owner=alice)
    ContractFactory(account=account, mrr=Decimal("2500.00"))
    NotificationPreference.objects.create(
        user=alice, channels={"entered_red": ["app", "slack"], "alert": ["app"]}
    )
    return account


def raise_alert(account, reason="entered_red", details="Health score 31.0: entered red."):
    return Alert.objects.create(
        account=account, owner=account.owner, reason=reason, as_of=D, details=details
    )


def test_the_nightly_chain_sends_a_block_kit_message_to_those_who_chose_slack(
    fake_slack, red_account, alice, bob
):
    raise_alert(red_account)
    raise_alert(AccountFactory(owner=bob), reason="entered_red")  # bob did not choose Slack

    snapshot_recompute(as_of=D)
    counts = services.slack_deliver()

    assert counts == {"sent": 1, "failed": 0, "waiting": 0}
    (call,) = fake_slack.calls("chat.postMessage")
    assert call["auth"] == "Bearer xoxb-test-token"
    assert call["body"]["channel"] == "#cs-alerts"
    blocks = call["body"]["blocks"]  # slack-sdk posts JSON when blocks are given
    section = blocks[0]["text"]["text"]
    assert "Health moved to red: Acme" in section and "entered red" in section
    assert f"/accounts/{red_account.pk}/" in section
    assert "MRR $2,500" in blocks[1]["elements"][0]["text"]
    assert [b["action_id"] for b in blocks[2]["elements"]] == ["northstar_ack", "northstar_snooze"]
    assert Notification.objects.get(user=alice).slack_state == SlackState.SENT
    assert Notification.objects.get(user=bob).slack_state == SlackState.NOT_ROUTED


def test_a_user_with_a_slack_member_id_gets_a_direct_message(fake_slack, red_account, alice):
    NotificationPreference.objects.filter(user=alice).update(slack_user_id="U0CSM")
    raise_alert(red_account)
    services.notify_after_snapshot(D)

    services.slack_deliver()

    assert fake_slack.calls("chat.postMessage")[0]["body"]["channel"] == "U0CSM"


def test_the_night_run_twice_notifies_once(fake_slack, red_account, alice):
    raise_alert(red_account)
    assert services.notify_after_snapshot(D) == 1
    assert services.notify_after_snapshot(D) == 0
    services.slack_deliver()
    services.slack_deliver()
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_a_429_is_waited_out_by_the_client(fake_slack, red_account):
    raise_alert(red_account)
    services.notify_after_snapshot(D)
    fake_slack.rate_limit_next = 1

    started = time.monotonic()
    assert services.slack_deliver()["sent"] == 1

    assert len(fake_slack.calls("chat.postMessage")) == 2
    assert time.monotonic() - started >= 1  # it honoured Retry-After: 1


def test_an_outage_never_holds_up_the_nightly_chain_and_is_retried(
    settings, fake_slack, red_account, alice
):
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"  # nothing listens there
    raise_alert(red_account)

    snapshot_recompute(as_of=D)  # completes: the step only writes rows
    counts = services.slack_deliver()

    notification = Notification.objects.get(user=alice)
    assert counts["failed"] == 1 and notification.slack_state == SlackState.PENDING
    assert notification.slack_attempts == 1 and notification.slack_error
    settings.SLACK_API_URL = fake_slack.url + "/api/"  # Slack is back
    assert services.slack_deliver()["sent"] == 1


def test_after_five_failures_a_message_is_given_up_with_its_error(fake_slack, red_account):
    fake_slack.fail_with = "channel_not_found"
    raise_alert(red_account)
    services.notify_after_snapshot(D)
    for _ in range(services.SLACK_MAX_ATTEMPTS):
        services.slack_deliver()
    notification = Notification.objects.get()
    assert notification.slack_state == SlackState.FAILED
    assert "channel_not_found" in notification.slack_error
    assert services.slack_deliver() == {"sent": 0, "failed": 0, "waiting": 0}


def test_quiet_hours_hold_a_message_back(fake_slack, red_account, alice):
    NotificationPreference.objects.filter(user=alice).update(
        quiet_from="00:00", quiet_until="23:59", time_zone="UTC"
    )
    raise_alert(red_account)
    services.notify_after_snapshot(D)
    assert services.slack_deliver() == {"sent": 0, "failed": 0, "waiting": 1}
    assert fake_slack.calls("chat.postMessage") == []


def test_an_incoming_webhook_works_without_a_bot(settings, fake_slack, red_account):
    settings.SLACK_BOT_TOKEN = ""
    settings.SLACK_WEBHOOK_URL = fake_slack.url + "/services/T000/B000/XXXX"
    raise_alert(red_account)
    services.notify_after_snapshot(D)

    assert services.slack_deliver()["sent"] == 1
    (call,) = [r for r in fake_slack.requests if r["path"].startswith("/services/")]
    assert "Acme" in call["body"]["text"] and call["body"]["blocks"]


# The buttons


def press(notification: Notification, action: str, *, user="U0CSM", timestamp=None, tamper=False):
    payload = {"type": "block_actions", "user": {"id": user},
               "actions": [{"action_id": action, "value": str(notification.pk)}]}  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    if tamper:
        body = body.replace("northstar_", "northstar_x")
    return Client().post(
        "/slack/interactivity/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature},
    )


@pytest.fixture
def sent(fake_slack, red_account):
    alert = raise_alert(red_account)
    services.notify_after_snapshot(D)
    services.slack_deliver()
    return Notification.objects.get(alert=alert)


def test_acknowledge_from_slack_leaves_the_pages_trail(sent, alice, fake_slack):
    response = press(sent, "northstar_ack")

    assert response.status_code == 200 and "Acknowledged by Alice" in response.json()["text"]
    alert = Alert.objects.get(pk=sent.alert_id)
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, alice)
    # The Slack member was matched by the email Slack holds for them (users.info).
    assert fake_slack.calls("users.info")[0]["body"]["user"] == "U0CSM"
    assert Notification.objects.get(pk=sent.pk).read_at is not None  # and the bell agrees


def test_snooze_from_slack_sends_it_again_later(sent):
    response = press(sent, "northstar_snooze")

    assert "Snoozed for 3 days" in response.json()["text"]
    sent.refresh_from_db()
    assert sent.slack_state == SlackState.PENDING and sent.snoozed_until is not None
    assert services.slack_deliver()["sent"] == 0  # not before the snooze ends


@pytest.mark.parametrize(
    "change", [{"tamper": True}, {"timestamp": time.time() - 6 * 60}], ids=["tampered", "stale"]
)
def test_a_tampered_or_stale_request_is_refused(sent, change):
    response = press(sent, "northstar_ack", **change)
    assert response.status_code == 401
    assert Alert.objects.get(pk=sent.alert_id).status == AlertStatus.OPEN


def test_a_slack_user_who_may_not_act_changes_nothing(sent, fake_slack):
    UserFactory(username="bob2", email="bob2@northstar.example", groups=["CSM"])
    fake_slack.users["U0BOB"] = "bob2@northstar.example"

    response = press(sent, "northstar_ack", user="U0BOB")

    assert "may not act" in response.json()["text"]
    assert Alert.objects.get(pk=sent.alert_id).status == AlertStatus.OPEN


def test_an_unknown_slack_user_changes_nothing(sent):
    response = press(sent, "northstar_ack", user="U0NOBODY")
    assert "not linked" in response.json()["text"]
    assert Alert.objects.get(pk=sent.alert_id).status == AlertStatus.OPEN
