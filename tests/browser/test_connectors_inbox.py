"""The connectors' inbox in Chromium: an admin reads why a Segment event was not applied, maps
its groupId to an account, and the next event of that id lands on it."""

import base64
import json

import pytest
import requests
from playwright.sync_api import Page, expect

from accounts.models import UsageDaily
from connectors.services import connector_create
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

    expect(page.get_by_text("crm-17 now maps to Acme (acme)")).to_be_visible()
    expect(page.get_by_text("Nothing waiting: every record was applied.")).to_be_visible()
    assert track(live_server.url, key, "crm-17", "m2")["applied"] == 1
    assert UsageDaily.objects.get().account == acme
    assert console_errors == []
