"""The 360 page's forms in Chromium: a refused form keeps what was typed and says why at the
field, in view; an accepted one is confirmed beside it; both without reloading the page (the
forms are posted with fetch, static/js/account-forms.js); an alert's Acknowledge and Close
update its row in place and announce the outcome."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Note
from healthscores.models import Alert, AlertStatus
from playbooks.models import Task
from tests.browser.test_accounts_pages import log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def account_page(page: Page, live_server):
    """A CSM on the 360 page of her account, with a marker that a reload would lose."""
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", owner=owner)
    log_in(page, live_server, "maya", "password")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.evaluate("window.notReloaded = true")
    return page


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
           return box.top >= 0 && box.bottom <= window.innerHeight; }""",
        selector,
    )


def test_a_task_without_a_due_date_keeps_its_title_and_says_why_at_the_field(account_page):
    page = account_page
    page.get_by_label("Task", exact=True).fill("Send the QBR deck")
    page.get_by_role("button", name="Add task").click()

    expect(page.locator("#task-due-error")).to_have_text("This field is required.")
    expect(page.get_by_label("Task", exact=True)).to_have_value("Send the QBR deck")
    expect(page.get_by_label("Due")).to_be_focused()
    assert in_view(page, "#task-due-error")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label("Due").fill("2099-05-01")
    page.get_by_role("button", name="Add task").click()

    expect(page.locator("#tasks-status")).to_have_text("Task added to your day.")
    assert in_view(page, "#tasks-status")
    expect(page.locator("#timeline")).to_contain_text("Send the QBR deck")
    expect(page.get_by_label("Task", exact=True)).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    assert Task.objects.get().title == "Send the QBR deck"


def test_a_note_and_a_sentiment_are_saved_in_place_and_confirmed_beside_their_forms(
    account_page,
):
    page = account_page
    page.get_by_label("Add a note").fill("QBR booked for Tuesday.")
    page.get_by_role("button", name="Save note").click()

    expect(page.locator("#notes-status")).to_have_text("Note added.")
    expect(page.locator("#timeline")).to_contain_text("QBR booked for Tuesday.")

    page.get_by_role("button", name="Record sentiment").click()  # no band, no reason
    expect(page.locator("#band-error")).to_be_visible()
    page.locator("#sentiment").get_by_text("Yellow").click()
    page.get_by_label("Why", exact=True).fill("Budget review next quarter.")
    page.get_by_role("button", name="Record sentiment").click()

    expect(page.locator("#sentiment-status")).to_contain_text("Your sentiment is recorded")
    expect(page.locator("#sentiment-summary")).to_contain_text("Yellow")
    assert page.evaluate("window.notReloaded") is True
    assert Note.objects.get().body == "QBR booked for Tuesday."


def test_without_script_a_refused_task_still_keeps_its_title_and_shows_the_field_error(
    browser, live_server
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", owner=owner)
    log_in(page, live_server, "maya", "password")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    page.get_by_label("Task", exact=True).fill("Send the QBR deck")
    page.get_by_role("button", name="Add task").click()

    expect(page.locator("#task-due-error")).to_have_text("This field is required.")
    expect(page.get_by_label("Task", exact=True)).to_have_value("Send the QBR deck")
    assert page.url.endswith("/tasks/#tasks")  # the browser scrolls to the card
    assert in_view(page, "#task-due-error") or page.evaluate("window.scrollY") > 0
    context.close()


def alert_on(account) -> Alert:
    return Alert.objects.create(
        account=account, owner=account.owner, reason="entered_red", as_of=date(2025, 3, 31)
    )


def test_an_alert_is_acknowledged_then_closed_in_place_and_each_outcome_announced(
    page: Page, live_server
):
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", owner=owner)
    alert = alert_on(account)
    log_in(page, live_server, "maya", "password")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.evaluate("window.notReloaded = true")
    row = page.locator(f"#alert-{alert.pk}")

    row.get_by_role("button", name="Acknowledge Entered red").click()

    expect(page.locator("#alerts-status")).to_have_text("Alert acknowledged: Entered red.")
    expect(page.locator("#alerts-status")).to_have_attribute("aria-live", "polite")
    expect(row.locator(".tag")).to_have_text("Acknowledged")
    expect(row).to_contain_text("acknowledged by")
    expect(row.get_by_role("button", name="Close Entered red")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED

    page.keyboard.press("Enter")  # the focused Close button

    expect(page.locator("#alerts-status")).to_have_text("Alert closed: Entered red.")
    expect(row.locator(".tag")).to_have_text("Closed")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED


def test_without_script_an_alert_is_still_acknowledged_by_a_plain_post(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", owner=owner)
    alert = alert_on(account)
    log_in(page, live_server, "maya", "password")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    page.get_by_role("button", name="Acknowledge Entered red").click()

    expect(page.locator("#alerts-status")).to_have_text("Alert acknowledged: Entered red.")
    assert page.url.endswith(f"/accounts/{account.pk}/#alerts")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    context.close()
