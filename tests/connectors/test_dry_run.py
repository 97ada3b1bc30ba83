"""The admin's dry run: the same service as `connectors sync --dry-run`, shown as a page: the
summary line, a row per record, what cannot be matched, and nothing written."""

import pytest
from django.test import Client

from accounts.models import Contract
from connectors.models import Connector, InboxItem, SyncBatch
from connectors.services import connector_create
from tests.connectors.stripe_fakes import FakeStripe
from tests.connectors.test_stripe_sync import accounts, add_stripe, command, subscriptions

pytestmark = pytest.mark.django_db
__all__ = ["accounts"]  # a fixture of the Stripe sync's tests, used here too


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_dry_run_page_says_what_a_sync_would_change_and_writes_nothing(admin_client_, accounts):
    with FakeStripe(subscriptions()) as fake:
        connector = add_stripe(fake)
        page = admin_client_.post(f"/connectors/{connector.pk}/dry-run/").content.decode()
        printed = command("sync", "Billing", "--dry-run").splitlines()

    line = "3 accounts would change (3 new), 0 contracts would end, 1 records cannot be matched"
    assert printed[-1] == line
    assert f'<h2 class="dry-run-line">{line}</h2>' in page
    assert (
        "<td><code>stripe:sub_a:20240110</code></td><td>acme 2024-01-10.. mrr 100.00</td>" in page
    )
    assert "Stripe customer &#x27;cus_e&#x27; is not matched to an account" in page
    assert Contract.objects.count() == 0
    assert (SyncBatch.objects.count(), InboxItem.objects.count()) == (0, 0)
    assert Connector.objects.get().state == {}


def test_the_page_before_the_preview_only_offers_the_button(
    admin_client_, accounts, django_assert_num_queries
):
    with FakeStripe(subscriptions()) as fake:
        connector = add_stripe(fake)
        # session, user, the connector, the freshness line (2) and its connectors
        with django_assert_num_queries(6):
            page = admin_client_.get(f"/connectors/{connector.pk}/dry-run/").content.decode()

    assert "Preview the sync" in page
    assert fake.requests == []


def test_a_source_refusing_the_key_is_said_and_nothing_is_written(admin_client_, accounts):
    with FakeStripe(subscriptions(), fail=dict.fromkeys(range(1, 5), 401)) as fake:
        connector = add_stripe(fake)
        page = admin_client_.post(f"/connectors/{connector.pk}/dry-run/").content.decode()

    assert "The preview failed, nothing was written: AuthenticationError" in page
    assert Connector.objects.get().last_error == ""
    assert SyncBatch.objects.count() == 0


def test_the_admin_action_opens_the_dry_run_of_the_chosen_connector(admin_client_, accounts):
    with FakeStripe([]) as fake:
        connector = add_stripe(fake)
    answer = admin_client_.post(
        "/admin/connectors/connector/",
        {"action": "preview_sync", "_selected_action": [connector.pk]},
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/connectors/{connector.pk}/dry-run/"


def test_a_pushed_connector_has_no_dry_run(admin_client_):
    product, _ = connector_create(kind="segment", name="Product")

    assert admin_client_.get(f"/connectors/{product.pk}/dry-run/").status_code == 404
