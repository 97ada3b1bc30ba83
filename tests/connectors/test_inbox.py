"""The inbox: admins see what could not be applied and map an id to an account once; every
later record of that id follows."""

import base64
import json

import pytest
from django.test import Client

from accounts.models import Account, UsageDaily
from connectors.models import InboxItem
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def track(client, key: str, group: str, message_id: str):
    body = {"type": "track", "userId": "u1", "event": "Login", "context": {"groupId": group},
            "messageId": message_id}  # fmt: skip
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return client.post("/ingest/segment/v1/track", json.dumps(body),
                       content_type="application/json", HTTP_AUTHORIZATION=auth).json()  # fmt: skip


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_inbox_lists_each_waiting_record_with_its_reason_and_payload(
    admin_client_, segment_connector, django_assert_num_queries
):
    _, key = segment_connector
    for n in range(3):
        track(Client(), key, f"crm-{n}", f"m{n}")

    # session, user, the freshness line (2) and its connectors, the count and the page of items
    with django_assert_num_queries(7):
        page = admin_client_.get("/connectors/inbox/")

    assert page.status_code == 200
    assert page.content.count(b"account_external_id: unknown account") == 3
    assert b"&#x27;messageId&#x27;: &#x27;m2&#x27;" in page.content


def test_mapping_an_id_once_resolves_its_records_and_later_ones_follow(
    admin_client_, segment_connector
):
    _, key = segment_connector
    acme = AccountFactory(external_id="acme", name="Acme")
    track(Client(), key, "crm-17", "m1")
    item = InboxItem.objects.get()

    answer = admin_client_.post(
        f"/connectors/inbox/{item.pk}/map/", {"account_external_id": "acme"}, follow=True
    )
    later = track(Client(), key, "crm-17", "m2")

    assert b"crm-17 now maps to Acme (acme); 1 waiting record(s) replayed: 1 applied" in (
        answer.content
    )
    assert InboxItem.objects.get().resolved_at is not None
    assert later["applied"] == 1
    assert UsageDaily.objects.get().account == acme
    assert UsageDaily.objects.get().events == 2  # the one replayed and the later one


def test_an_admin_may_create_the_account_an_unmatched_id_stands_for(
    admin_client_, segment_connector
):
    _, key = segment_connector
    track(Client(), key, "crm-99", "m1")
    item = InboxItem.objects.get()

    admin_client_.post(f"/connectors/inbox/{item.pk}/map/", {"new_account_name": "Globex"})

    assert Account.objects.get(external_id="crm-99").name == "Globex"
    assert track(Client(), key, "crm-99", "m2")["applied"] == 1
    assert UsageDaily.objects.get().events == 2


def test_a_mapping_to_an_unknown_account_says_so_and_changes_nothing(
    admin_client_, segment_connector
):
    _, key = segment_connector
    track(Client(), key, "crm-5", "m1")
    item = InboxItem.objects.get()

    answer = admin_client_.post(
        f"/connectors/inbox/{item.pk}/map/", {"account_external_id": "nope"}, follow=True
    )

    assert b"No account has external id &#x27;nope&#x27;." in answer.content
    assert InboxItem.objects.get().resolved_at is None
