"""The header's search in Chromium: type, pick a suggestion with the keyboard, land on it."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Note
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def csm(db):
    user = UserFactory(username="casey", groups=["CSM"])
    user.set_password("pw-casey-123")
    user.save()
    acme = AccountFactory(name="Acme Robotics", owner=user)
    AccountFactory(name="Acme Logistics", owner=user)
    AccountFactory(name="Acme Hidden", owner=UserFactory(username="other", groups=["CSM"]))
    ContactFactory(account=acme, name="Dana Whitfield", email="dana@acme.example")
    Note.objects.create(account=acme, author=user, body="Budget frozen until Q3.")
    return acme


def test_a_csm_finds_an_account_with_the_keyboard(
    page: Page, live_server, csm, console_errors, screenshot_dir
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill("pw-casey-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.wait_for_load_state("load")

    page.locator("body").click(position={"x": 5, "y": 300})  # focus on the page, not a field
    page.keyboard.press("/")  # focuses the search box from anywhere
    box = page.get_by_role("combobox", name="Search accounts, contacts and notes")
    expect(box).to_be_focused()
    box.type("acme rob")
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("Acme Robotics")
    expect(page.get_by_role("listbox")).not_to_contain_text("Acme Hidden")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=screenshot_dir / "search.png")

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/accounts/{csm.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Robotics")
    assert console_errors == []


def test_without_a_pick_enter_opens_the_results_page(page: Page, live_server, csm):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill("pw-casey-123")
    page.get_by_role("button", name="Log in").click()

    box = page.get_by_role("combobox", name="Search accounts, contacts and notes")
    box.fill("budget")
    box.press("Enter")

    expect(page.get_by_role("heading", name="Notes")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Acme Robotics")
    expect(page.get_by_role("main")).not_to_contain_text("Acme Hidden")
