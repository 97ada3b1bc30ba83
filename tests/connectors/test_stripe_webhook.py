"""Stripe webhooks: signed with Stripe's own helper, posted to a live server; each change of a
subscription closes its contract row and opens the next, so the movements follow kpi-spec."""

from datetime import date
from decimal import Decimal

import pytest
import requests

from accounts.models import Contract
from connectors.models import ExternalIdentity, InboxItem, SyncBatch
from tests.connectors.conftest import SIGNING_SECRET
from tests.connectors.stripe_fakes import customer, event, signed, subscription
from tests.factories import AccountFactory

# Committed: a live server answers from another thread.
pytestmark = pytest.mark.django_db(transaction=True)


def deliver(url: str, connector, evt: dict, secret: str = SIGNING_SECRET):
    body, header = signed(evt, secret)
    return requests.post(
        f"{url}/ingest/stripe/{connector.pk}/", data=body, timeout=10,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )  # fmt: skip


def rows():
    return list(
        Contract.objects.order_by("start_date").values_list("start_date", "end_date", "mrr")
    )


def test_each_subscription_change_closes_the_row_and_opens_the_next(live_server, stripe_connector):
    AccountFactory(external_id="acme")
    cus = customer("cus_1", account="acme")
    started = subscription("sub_1", "cus_1", start=date(2024, 1, 10))
    grown = subscription("sub_1", "cus_1", start=date(2024, 1, 10), quantity=2)
    ended = subscription("sub_1", "cus_1", start=date(2024, 1, 10), quantity=2,
                         status="canceled", ended=date(2024, 3, 15))  # fmt: skip

    answers = [
        deliver(live_server.url, stripe_connector, evt)
        for evt in (
            event("evt_1", "customer.created", cus, date(2024, 1, 10)),
            event("evt_2", "customer.subscription.created", started, date(2024, 1, 10)),
            event("evt_3", "customer.subscription.updated", grown, date(2024, 2, 20)),
            event("evt_4", "customer.subscription.deleted", ended, date(2024, 3, 15)),
        )
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert rows() == [
        (date(2024, 1, 10), date(2024, 2, 19), Decimal("100.00")),
        (date(2024, 2, 20), date(2024, 3, 14), Decimal("200.00")),
    ]
    assert ExternalIdentity.objects.get(external_id="cus_1").object_id == (
        Contract.objects.first().account_id
    )


def test_a_resent_event_is_applied_once(live_server, stripe_connector):
    AccountFactory(external_id="acme")
    evt = event(
        "evt_1", "customer.subscription.created",
        subscription("sub_1", customer("cus_1", "acme"), start=date(2024, 1, 10)),
        date(2024, 1, 10),
    )  # fmt: skip

    first = deliver(live_server.url, stripe_connector, evt)
    again = deliver(live_server.url, stripe_connector, evt)

    assert (first.json()["applied"], again.json()["duplicates"]) == (1, 1)
    assert len(rows()) == 1


def test_a_wrong_signature_is_refused_and_writes_nothing(live_server, stripe_connector):
    evt = event("evt_1", "customer.created", customer("cus_1", "acme"), date(2024, 1, 10))

    answer = deliver(live_server.url, stripe_connector, evt, secret="whsec_someone_else")
    unsigned = requests.post(f"{live_server.url}/ingest/stripe/{stripe_connector.pk}/",
                             data=b"{}", timeout=10)  # fmt: skip

    assert (answer.status_code, unsigned.status_code) == (400, 400)
    assert "No signatures found matching the expected signature" in answer.json()["error"]
    assert SyncBatch.objects.count() == 0


def test_an_unmatched_customer_and_a_foreign_currency_land_in_the_inbox(
    live_server, stripe_connector
):
    AccountFactory(external_id="acme")
    unknown = subscription("sub_1", "cus_nobody", start=date(2024, 1, 10))
    euros = subscription("sub_2", customer("cus_2", "acme"), start=date(2024, 1, 10),
                         currency="eur")  # fmt: skip

    deliver(
        live_server.url,
        stripe_connector,
        event("evt_1", "customer.subscription.created", unknown, date(2024, 1, 10)),
    )
    deliver(live_server.url, stripe_connector,
            event("evt_2", "customer.subscription.created", euros, date(2024, 1, 10)))  # fmt: skip

    assert Contract.objects.count() == 0
    reasons = dict(InboxItem.objects.values_list("external_id", "reason"))
    assert reasons == {
        "sub_1": "customer: Stripe customer 'cus_nobody' is not matched to an account (set its "
        "metadata northstar_account, or map it in the inbox)",
        "sub_2": "mrr: price price_month_10000 is in EUR, not USD (CURRENCY)",
    }
