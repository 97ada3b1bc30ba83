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


def test_a_leader_tags_everything_a_filter_matches_then_filters_by_the_tag_and_undoes_it(
    page: Page, live_server, book, console_errors, screenshot_dir
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/?q=e")  # Acme, Globex, Initech, Umbrella all hold an "e"
    page.get_by_label("Action").select_option("tag_add")
    page.get_by_label("All 4 accounts matching the filters").check()
    page.get_by_role("button", name="Continue…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a tag: 4 accounts")
    page.get_by_label("Tag", exact=True).fill("Renewal Push")
    page.get_by_role("button", name="Add a tag for 4 accounts").click()
    expect(page.get_by_text("Tag “renewal push” added: 4 accounts.")).to_be_visible()
    assert Account.objects.filter(tags__contains=["renewal push"]).count() == 4

    # The tag is a filter of the list, and a chip on each row.
    page.goto(f"{live_server.url}/")
    page.get_by_label("Tags").fill("renewal push")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".tag-chip", has_text="renewal push")).to_have_count(4)
    page.screenshot(path=screenshot_dir / "accounts-list-tags.png")

    page.goto(f"{live_server.url}/accounts/bulk/")
    page.get_by_role("link", name="Tag “renewal push” added").click()
    page.get_by_role("button", name="Undo this bulk action").click()
    expect(page.get_by_text("Everything was restored.")).to_be_visible()
    assert not Account.objects.filter(tags__contains=["renewal push"]).exists()
    assert console_errors == []


def test_an_owner_adds_and_removes_a_tag_on_the_360_page(
    page: Page, live_server, book, console_errors, screenshot_dir
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/accounts/{book['Acme'].pk}/")
    page.get_by_label("Add tags").fill("Beta, exec sponsor")
    page.get_by_role("button", name="Add", exact=True).click()
    chips = page.locator("#tags .tag-chip a")
    expect(chips).to_have_text(["beta", "exec sponsor"])
    page.locator("#tags").screenshot(path=screenshot_dir / "account-360-tags.png")
    page.get_by_role("button", name="Remove tag beta").click()
    expect(chips).to_have_text(["exec sponsor"])
    assert Account.objects.get(pk=book["Acme"].pk).tags == ["exec sponsor"]
    assert console_errors == []
