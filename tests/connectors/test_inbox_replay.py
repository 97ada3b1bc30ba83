"""The inbox's replay: once an admin maps an id to an account (or creates it), the records that
waited for that id are applied through their source's own path, once; later ones follow."""

import base64
import json
from datetime import date

import pytest
from django.db.models import Sum
from django.test import Client

from accounts.models import Account, Contact, Contract, Ticket, UsageDaily
from connectors.hubspot_services import hubspot_sync
from connectors.models import InboxItem, SyncBatch
from connectors.replay import inbox_item_map
from connectors.stripe_services import stripe_event_apply
from connectors.zendesk_services import zendesk_sync
from tests.connectors.stripe_fakes import event, subscription
from tests.connectors.test_hubspot import add_hubspot, crm
from tests.connectors.test_zendesk import add_zendesk, zendesk
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
__all__ = ["zendesk"]  # the Zendesk tests' local server, a fixture here too


def send(key: str, *messages: dict) -> dict:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    body = json.dumps({"batch": list(messages)})
    return Client().post("/ingest/segment/v1/batch", body, content_type="application/json",
                         HTTP_AUTHORIZATION=auth).json()  # fmt: skip


def track(group: str, message_id: str, day: str = "2024-03-04") -> dict:
    return {"type": "track", "userId": "u1", "event": "Export", "messageId": message_id,
            "timestamp": f"{day}T10:00:00Z", "context": {"groupId": group}}  # fmt: skip


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def usage_of(account) -> int:
    return UsageDaily.objects.filter(account=account).aggregate(n=Sum("events"))["n"] or 0


def test_mapping_a_group_replays_the_events_that_waited_for_it_once(
    admin_client_, segment_connector
):
    _, key = segment_connector
    acme = AccountFactory(external_id="acme", name="Acme")
    send(key, track("crm-17", "m1"), track("crm-17", "m2"), track("crm-17", "m3", "2024-03-05"))
    send(key, track("crm-17", "m2"))  # a resent message: a duplicate, not a fourth record
    first = InboxItem.objects.order_by("pk").first()

    answer = admin_client_.post(
        f"/connectors/inbox/{first.pk}/map/", {"account_external_id": "acme"}, follow=True
    )

    assert (b"crm-17 now maps to Acme (acme); 3 waiting record(s) replayed: 3 applied; "
            b"later ones follow.") in answer.content  # fmt: skip
    assert usage_of(acme) == 3
    assert sorted(UsageDaily.objects.values_list("date", flat=True)) == [
        date(2024, 3, 4), date(2024, 3, 5),
    ]  # fmt: skip
    assert not InboxItem.objects.filter(resolved_at__isnull=True).exists()
    assert SyncBatch.objects.filter(source="replay").get().applied == 3
    assert send(key, track("crm-17", "m4"))["applied"] == 1
    assert send(key, track("crm-17", "m1"))["duplicates"] == 1
    assert usage_of(acme) == 4


def test_creating_the_account_of_an_unmatched_group_replays_its_events(
    admin_client_, segment_connector
):
    _, key = segment_connector
    send(key, track("crm-99", "m1"), track("crm-99", "m2"))
    item = InboxItem.objects.first()

    admin_client_.post(f"/connectors/inbox/{item.pk}/map/", {"new_account_name": "Globex"})

    assert usage_of(Account.objects.get(external_id="crm-99", name="Globex")) == 2


def test_mapping_a_user_without_a_group_replays_its_identify(segment_connector):
    _, key = segment_connector
    acme = AccountFactory(external_id="acme")
    send(key, {"type": "identify", "userId": "u9", "messageId": "i1",
               "traits": {"email": "ada@acme.example", "name": "Ada"}})  # fmt: skip
    item = InboxItem.objects.get()
    assert item.match_kind == "user"

    replay = inbox_item_map(item=item, account=acme)

    assert (replay.received, replay.applied) == (1, 1)
    assert Contact.objects.get(email="ada@acme.example").account == acme


def test_mapping_a_stripe_customer_replays_its_subscription_as_of_the_day_it_came(
    stripe_connector,
):
    acme = AccountFactory(external_id="acme")
    started = subscription("sub_9", "cus_9", start=date(2024, 1, 10))
    stripe_event_apply(
        connector=stripe_connector,
        event=event("evt_9", "customer.subscription.created", started, date(2024, 1, 10)),
    )
    item = InboxItem.objects.get()

    inbox_item_map(item=item, account=acme)

    contract = Contract.objects.get()
    assert (contract.account, contract.start_date, contract.end_date, contract.mrr) == (
        acme, date(2024, 1, 10), None, 100,
    )  # fmt: skip


def test_mapping_a_hubspot_company_replays_its_contacts(alice):
    beta = AccountFactory(external_id="globex")
    with crm() as fake:
        hubspot_sync(connector=add_hubspot(fake))
    item = InboxItem.objects.get(match_id="999")

    inbox_item_map(item=item, account=beta)

    assert Contact.objects.get(email="nobody@nowhere.example").account == beta


def test_mapping_a_zendesk_organization_replays_its_tickets(zendesk):
    AccountFactory(external_id="acme")
    who = AccountFactory(external_id="who")
    zendesk_sync(connector=add_zendesk(), page_size=2)
    item = InboxItem.objects.get(match_id="777")

    replay = inbox_item_map(item=item, account=who)

    assert replay.applied == 1
    assert Ticket.objects.get(external_id="zendesk-4").account == who


def test_an_item_without_its_record_is_resolved_and_nothing_is_replayed(stripe_connector):
    acme = AccountFactory(external_id="acme")
    item = InboxItem.objects.create(
        connector=stripe_connector, status="unmatched", record_kind="contracts",
        reason="customer: ?", match_kind="account", match_id="cus_1", payload={},
    )  # fmt: skip

    replay = inbox_item_map(item=item, account=acme)

    assert (replay.received, replay.applied) == (0, 0)
    assert InboxItem.objects.get().resolved_at is not None
    assert Contract.objects.count() == 0
