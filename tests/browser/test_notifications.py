"""The bell in Chromium: the unread count arrives after the page loads and is announced in the
bell's name; the page lists the notifications and one click marks them all read; the
preferences page saves channels per signal. Screenshots go to SCREENSHOT_DIR when set."""

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Notification, NotificationPreference
from tests.browser.test_accounts_pages import log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_counts_and_one_click_reads_them_all(page: Page, live_server, screenshot_dir):
    maya = UserFactory(username="maya", first_name="Maya", groups=["CSM"])
    acme = AccountFactory(name="Acme", owner=maya)
    for n, (signal, title, detail) in enumerate([
        ("entered_red", "Health moved to red: Acme", "Health score 31.0: entered red."),
        ("detractor", "Detractor: NPS 2 (Acme)", 'NPS 2 from Jo: "Reports are too slow"'),
        ("task_due", "Task due: Plan the QBR (Acme)", ""),
    ]):  # fmt: skip
        Notification.objects.create(user=maya, signal=signal, dedupe_key=f"b:{n}", account=acme,
                                    title=title, detail=detail)  # fmt: skip
    log_in(page, live_server, "maya", "password")

    bell = page.get_by_role("link", name="Notifications, 3 unread")
    expect(bell).to_be_visible()
    expect(bell.locator("[data-bell-count]")).to_have_text("3")
    bell.click()

    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Detractor: NPS 2 (Acme)")).to_be_visible()
    page.screenshot(path=screenshot_dir / "notifications.png", full_page=True)
    page.get_by_role("button", name="Mark all read").click()

    expect(page.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_preferences_route_a_signal_to_slack(page: Page, live_server, screenshot_dir):
    UserFactory(username="maya", first_name="Maya", groups=["CSM"])
    log_in(page, live_server, "maya", "password")
    page.goto(f"{live_server.url}/notifications/preferences/")

    page.get_by_role("group", name="Health moved to red").get_by_label("Slack").check()
    page.get_by_label("Digest hour").fill("7")
    page.screenshot(path=screenshot_dir / "notification-preferences.png", full_page=True)
    page.get_by_role("button", name="Save preferences").click()

    expect(page.get_by_text("Your notification preferences are saved.")).to_be_visible()
    saved = NotificationPreference.objects.get(user__username="maya")
    assert "slack" in saved.channels["entered_red"] and saved.digest_hour == 7
