"""Bulk actions in Chromium (issue 16): a leader ticks two rows with the keyboard, chooses an
action, sees the count on the confirmation, applies it, and undoes it from its record."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Account
from tests.factories import AccountFactory, UserFactory
from tests.web.test_accounts import AS_OF, SnapshotFactory, snapshot_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(db):
    UserFactory(username="lena", first_name="Lena", groups=["Leader"])
    alice = UserFactory(username="alice", first_name="Alice", groups=["CSM"])
    snapshot_run(AS_OF)
    accounts = {
        name: AccountFactory(name=name, owner=alice, lifecycle_stage="active")
        for name in ("Acme", "Globex", "Initech", "Umbrella")
    }
    for account in accounts.values():
        SnapshotFactory(account=account, mrr=Decimal("1000.00"), health_score=70.0)
    return accounts


def test_a_leader_changes_two_stages_in_bulk_and_undoes_it(
    page: Page, live_server, book, console_errors, screenshot_dir
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/")

    # The keyboard: focus a row's box, tick it with the space bar.
    for name in ("Acme", "Globex"):
        page.get_by_label(f"Select {name}").focus()
        page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.get_by_label("Action").select_option("stage")
    page.screenshot(path=screenshot_dir / "accounts-list-bulk-actions.png")
    page.get_by_role("button", name="Continue…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set lifecycle stage: 2 accounts")
    page.get_by_label("Lifecycle stage").select_option("churned")
    page.get_by_role("button", name="Set lifecycle stage for 2 accounts").click()

    expect(page.get_by_text("Lifecycle stage set to Churned: 2 accounts.")).to_be_visible()
    churned = Account.objects.filter(lifecycle_stage="churned")
    assert set(churned.values_list("name", flat=True)) == {"Acme", "Globex"}
    page.screenshot(path=screenshot_dir / "bulk-action-record.png", full_page=True)
    page.get_by_role("button", name="Undo this bulk action").click()
    expect(page.get_by_text("Everything was restored.")).to_be_visible()
    assert not Account.objects.filter(lifecycle_stage="churned").exists()
    assert console_errors == []


def test_continuing_with_nothing_ticked_says_what_to_do(page: Page, live_server, book):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Continue…").click()
    expect(page.locator("#bulk-count")).to_have_text(
        "tick at least one row, or choose all accounts"
    )
    expect(page).to_have_url(f"{live_server.url}/")
