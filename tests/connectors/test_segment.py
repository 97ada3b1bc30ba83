"""Segment-compatible ingestion, driven by the real SDKs against a live server.

segment-analytics-python and rudder-sdk-python post batches (gzip, HTTP Basic write key) to
/ingest/segment/v1/batch exactly as they post to their vendors; what lands must go through the
import's validators, once per messageId.
"""

import base64
import gzip
import json
from datetime import date

import pytest
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from accounts.models import Account, Contact, UsageDaily
from connectors.models import InboxItem, InboxStatus, ReceivedMessage, SyncBatch
from tests.factories import AccountFactory

# Committed: a live server answers from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def sdk(kind, url: str, key: str, errors: list):
    host = f"{url}/ingest/segment"
    options = {"host": host, "gzip": True, "on_error": lambda e, batch: errors.append(e)}
    if kind == "segment":
        return SegmentClient(key, max_retries=1, **options)
    return RudderClient(key, max_retries=1, **options)


def send(client, calls) -> None:
    for method, kwargs in calls:
        getattr(client, method)(**kwargs)
    client.shutdown()  # flushes the queue and stops the consumer thread


ACME_CALLS = [
    ("group", {"user_id": "u1", "group_id": "acme", "message_id": "m-group",
               "traits": {"name": "Acme Inc", "industry": "Logistics", "plan": "Enterprise",
                          "employees": 250}}),
    ("identify", {"user_id": "u1", "message_id": "m-identify",
                  "traits": {"email": "ada@acme.example", "firstName": "Ada",
                             "lastName": "Lovelace", "title": "CTO"}}),
    ("track", {"user_id": "u1", "event": "Report Exported", "message_id": "m-track-1"}),
    ("track", {"user_id": "u1", "event": "Report Exported", "message_id": "m-track-2"}),
    ("track", {"user_id": "u1", "event": "Clicked", "properties": {"feature": "dashboards"},
               "message_id": "m-track-3"}),
    ("page", {"user_id": "u1", "name": "Billing", "message_id": "m-page"}),
]  # fmt: skip


def usage_by_feature(account) -> dict[str, int]:
    rows = UsageDaily.objects.filter(account=account).values("feature").annotate(n=Sum("events"))
    return {row["feature"]: row["n"] for row in rows}


@pytest.mark.parametrize("kind", ["segment", "rudderstack"])
def test_a_real_sdk_creates_the_account_the_contact_and_the_usage_once(
    kind, live_server, segment_connector
):
    connector, key = segment_connector
    errors = []

    send(sdk(kind, live_server.url, key, errors), ACME_CALLS)
    send(sdk(kind, live_server.url, key, errors), ACME_CALLS)  # resent: the same messageIds

    assert errors == []
    account = Account.objects.get(external_id="acme")
    assert (account.name, account.industry, account.segment) == ("Acme Inc", "Logistics",
                                                                 "Enterprise")  # fmt: skip
    contact = Contact.objects.get(external_id="u1")
    assert (contact.account, contact.email, contact.name, contact.title) == (
        account, "ada@acme.example", "Ada Lovelace", "CTO",
    )  # fmt: skip
    assert usage_by_feature(account) == {"Report Exported": 2, "dashboards": 1, "Billing": 1}
    assert UsageDaily.objects.get(account=account, feature="Billing").date == timezone.localdate()
    assert ReceivedMessage.objects.filter(connector=connector).count() == len(ACME_CALLS)
    batches = SyncBatch.objects.filter(connector=connector)
    assert sum(b.applied for b in batches) == len(ACME_CALLS)
    assert sum(b.duplicates for b in batches) == len(ACME_CALLS)


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def post(client, path: str, body, key: str | None, *, compress: bool = False, **headers):
    data = json.dumps(body).encode()
    if compress:
        data = gzip.compress(data)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = basic(key)
    return client.post(path, data, content_type="application/json", **headers)


def test_an_unknown_write_key_is_refused_and_nothing_is_written(client, segment_connector):
    response = post(client, "/ingest/segment/v1/track", {"userId": "u", "event": "x"}, "nope")

    assert response.status_code == 401
    assert response.json()["error"] == "Unknown write key: send it as the HTTP Basic user."
    assert SyncBatch.objects.count() == 0


def test_the_write_key_may_come_in_the_body_as_segment_webhooks_send_it(client, segment_connector):
    _, key = segment_connector
    AccountFactory(external_id="acme")
    body = {"writeKey": key, "userId": "u1", "event": "Login", "context": {"groupId": "acme"},
            "timestamp": "2024-03-05T10:00:00Z", "messageId": "m1"}  # fmt: skip

    response = post(client, "/ingest/segment/v1/track", body, None)

    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    assert UsageDaily.objects.get().date == date(2024, 3, 5)


def test_a_single_call_endpoint_and_the_root_take_a_message_each(client, segment_connector):
    _, key = segment_connector

    group = post(client, "/ingest/segment/v1/group", {"groupId": "g1", "traits": {}}, key)
    root = post(client, "/ingest/segment/v1/", {"type": "group", "groupId": "g2"}, key)

    assert (group.status_code, root.status_code) == (200, 200)
    # A group call without a name names the account after its id until one is sent.
    assert set(Account.objects.values_list("external_id", "name")) == {("g1", "g1"), ("g2", "g2")}


def test_a_gzip_body_is_read_and_a_broken_one_refused(client, segment_connector):
    _, key = segment_connector
    body = {"batch": [{"type": "group", "groupId": "g1", "traits": {"name": "G"}}]}

    good = post(client, "/ingest/segment/v1/batch", body, key, compress=True)
    broken = client.post(
        "/ingest/segment/v1/batch", b"\x1f\x8bnot gzip", content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip", HTTP_AUTHORIZATION=basic(key),
    )  # fmt: skip

    assert good.status_code == 200
    assert broken.status_code == 400
    assert broken.json()["error"] == "The body is not valid gzip."


def test_bad_records_go_to_the_inbox_with_the_imports_message_and_the_rest_is_applied(
    client, segment_connector
):
    _, key = segment_connector
    body = {"batch": [
        {"type": "group", "groupId": "good", "traits": {"name": "Good Co"}, "messageId": "1"},
        {"type": "group", "groupId": "bad", "traits": {"name": "Bad", "created_on": "yesterday"},
         "messageId": "2"},
        {"type": "track", "userId": "u9", "event": "Login", "messageId": "3"},
        {"type": "track", "userId": "u9", "event": "Login", "context": {"groupId": "nobody"},
         "messageId": "4"},
        {"type": "jump", "messageId": "5"},
    ]}  # fmt: skip

    answer = post(client, "/ingest/segment/v1/batch", body, key).json()

    assert answer == {"success": True, "received": 5, "duplicates": 0, "applied": 1,
                      "refused": 2, "unmatched": 2}  # fmt: skip
    assert list(Account.objects.values_list("external_id", flat=True)) == ["good"]
    inbox = {(i.status, i.record_kind, i.reason, i.match_id) for i in InboxItem.objects.all()}
    assert inbox == {
        (InboxStatus.REFUSED, "accounts",
         "created_on: 'yesterday' is not a date (YYYY-MM-DD)", ""),
        (InboxStatus.UNMATCHED, "events",
         "userId: user 'u9' has no group yet (send a group call first, or context.groupId)", "u9"),
        (InboxStatus.UNMATCHED, "events", "account_external_id: unknown account 'nobody'",
         "nobody"),
        (InboxStatus.REFUSED, "messages", "type: unknown message type 'jump'", ""),
    }  # fmt: skip
    assert InboxItem.objects.get(match_id="nobody").payload["messageId"] == "4"


def test_an_identify_matches_an_imported_contact_by_email(client, segment_connector):
    _, key = segment_connector
    account = AccountFactory(external_id="acme")
    Contact.objects.create(external_id="crm-7", account=account, email="ada@acme.example")
    body = {"type": "identify", "userId": "u1", "traits": {"email": "ada@acme.example",
            "title": "CTO"}, "context": {"groupId": "acme"}}  # fmt: skip

    post(client, "/ingest/segment/v1/identify", body, key)

    assert list(Contact.objects.values_list("external_id", "title")) == [("crm-7", "CTO")]


@override_settings(SEGMENT_RATE_LIMIT_PER_MINUTE=1)
def test_past_the_rate_limit_a_request_gets_429_with_retry_after(client, segment_connector):
    _, key = segment_connector
    body = {"batch": []}

    first = post(client, "/ingest/segment/v1/batch", body, key)
    second = post(client, "/ingest/segment/v1/batch", body, key)

    assert first.status_code == 200
    assert second.status_code == 429
    assert 1 <= int(second["Retry-After"]) <= 60


def test_the_benchmark_posts_through_gunicorn_and_loses_or_doubles_nothing():
    """`make bench-api`'s Segment step in miniature, on the API benchmark's gunicorn harness."""
    from connectors.benchmark import segment_rate

    figures = segment_rate(seconds=1, warmup=0.2, workers=1, connections=1, batch=50, accounts=3)

    assert figures["messages"] > 0
    assert figures["statuses"].keys() <= {"200"}
    assert figures["resent_messages_skipped_as_duplicates"] == 50 * figures["resent_batches"]
    assert figures["nothing_lost_or_doubled"]
