"""The connectors in Chromium: an admin reads in the inbox why a Segment event was not applied
and maps its groupId to an account (the waiting event is replayed, the next one follows);
previews a Stripe sync (the dry run); and every page's freshness line names each connector."""

import base64
import json
from datetime import date, timedelta

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Contract, UsageDaily
from connectors.models import Connector, InboxItem, SyncBatch
from connectors.services import connector_create
from tests.connectors.stripe_fakes import FakeStripe, customer, subscription
from tests.factories import AccountFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def track(url: str, key: str, group: str, message_id: str) -> dict:
    auth = base64.b64encode(f"{key}:".encode()).decode()
    body = {"type": "track", "userId": "u1", "event": "Export", "messageId": message_id,
            "context": {"groupId": group}}  # fmt: skip
    return requests.post(f"{url}/ingest/segment/v1/track", data=json.dumps(body), timeout=10,
                         headers={"Authorization": f"Basic {auth}"}).json()  # fmt: skip


def test_an_admin_maps_an_unmatched_group_in_the_inbox(
    page: Page, live_server, console_errors, screenshot_dir
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    acme = AccountFactory(external_id="acme", name="Acme")
    _, key = connector_create(kind="segment", name="Product")
    assert track(live_server.url, key, "crm-17", "m1")["unmatched"] == 1

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/connectors/inbox/")
    expect(page.get_by_text("account_external_id: unknown account 'crm-17'")).to_be_visible()
    page.get_by_text("payload", exact=True).click()
    expect(page.locator("pre")).to_contain_text("'messageId': 'm1'")
    page.screenshot(path=screenshot_dir / "connectors-inbox.png", full_page=True)
    page.get_by_label("Account external id for crm-17").fill("acme")
    page.get_by_role("button", name="Map").click()

    expect(page.get_by_text("crm-17 now maps to Acme (acme); 1 waiting record(s) replayed: "
                            "1 applied; later ones follow.")).to_be_visible()  # fmt: skip
    expect(page.get_by_text("Nothing waiting: every record was applied.")).to_be_visible()
    assert track(live_server.url, key, "crm-17", "m2")["applied"] == 1
    assert UsageDaily.objects.get().account == acme
    assert UsageDaily.objects.get().events == 2  # the replayed event and the later one
    assert console_errors == []


def log_in_as_root(page: Page, url: str) -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()


def test_an_admin_previews_a_stripe_sync_and_nothing_is_written(
    page: Page, live_server, console_errors, screenshot_dir
):
    AccountFactory(external_id="acme", name="Acme")
    subscriptions = [
        subscription("sub_a", customer("cus_a", "acme"), start=date(2024, 1, 10)),
        subscription("sub_e", customer("cus_e"), start=date(2024, 1, 1)),
    ]
    with FakeStripe(subscriptions) as fake:
        secrets = {
            "signing_secret": "whsec_b",  # pragma: allowlist secret
            "api_key": "sk_test_local",  # pragma: allowlist secret
        }
        connector, _ = connector_create(
            kind="stripe", name="Billing", settings={"api_base": fake.url}, secrets_given=secrets
        )
        log_in_as_root(page, live_server.url)
        # (The admin's link and action to this page: tests/connectors/test_dry_run.py; the admin
        # has no favicon, which Chromium reports as a console error.)
        page.goto(f"{live_server.url}/connectors/{connector.pk}/dry-run/")
        page.get_by_role("button", name="Preview the sync").click()

        expect(page.locator(".dry-run-line")).to_have_text(
            "1 accounts would change (1 new), 0 contracts would end, 1 records cannot be matched"
        )
        expect(page.locator(".dry-run-diffs")).to_contain_text("stripe:sub_a:20240110")
        expect(page.locator(".dry-run-refusals")).to_contain_text(
            "Stripe customer 'cus_e' is not matched to an account"
        )
        page.screenshot(path=screenshot_dir / "connectors-dry-run.png", full_page=True)

    assert Contract.objects.count() == 0
    assert (SyncBatch.objects.count(), InboxItem.objects.count()) == (0, 0)
    assert console_errors == []


def test_the_freshness_line_names_each_connector_and_its_last_success(
    page: Page, live_server, console_errors, screenshot_dir
):
    _, key = connector_create(kind="segment", name="Product")
    signing = {"signing_secret": "whsec_b"}  # pragma: allowlist secret
    billing, _ = connector_create(kind="stripe", name="Billing", secrets_given=signing)
    Connector.objects.filter(pk=billing.pk).update(
        last_success_at=timezone.now() - timedelta(hours=2),
        last_error_at=timezone.now(), last_error="AuthenticationError",
    )  # fmt: skip
    AccountFactory(external_id="acme")
    assert track(live_server.url, key, "acme", "m1")["applied"] == 1

    log_in_as_root(page, live_server.url)
    line = page.locator(".freshness .connectors")

    expect(line).to_contain_text("Billing 2 h ago (failing)")
    expect(line).to_contain_text("Product just now")
    page.locator(".freshness").screenshot(path=screenshot_dir / "freshness-connectors.png")
    assert console_errors == []
