"""A customer answers an NPS survey on a phone, in Chromium: the emailed link opens the page, the
scale fits the screen as thumb-sized buttons, and the answer lands on the account.

The screenshot of the filled-in survey is written to SCREENSHOT_DIR when it is set
(`docs/screenshots` for the docs), else to a tmp folder.
"""

import pytest
from playwright.sync_api import expect

from healthscores.models import Alert
from surveys.models import SurveyResponse
from tests.factories import AccountFactory, ContactFactory, UserFactory
from tests.surveys.factories import InvitationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 in CSS pixels


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def test_a_customer_answers_a_survey_on_a_phone(phone, live_server, screenshot_dir, tmp_path):
    errors: list[str] = []
    phone.on("console", lambda m: m.type == "error" and errors.append(m.text))
    phone.on("pageerror", lambda error: errors.append(str(error)))
    owner = UserFactory(first_name="Maya", last_name="Chen")
    account = AccountFactory(name="Acme", owner=owner)
    contact = ContactFactory(account=account, name="Jane", email="jane@acme.example")
    invitation = InvitationFactory(contact=contact)

    phone.goto(f"{live_server.url}/s/{invitation.token}/")

    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "How likely are you to recommend us to a friend or colleague?"
    )
    buttons = phone.locator(".scale-option")
    expect(buttons).to_have_count(11)
    # Nothing wider than the screen, and every score a thumb-sized target (44 px or more).
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for index in range(11):
        box = buttons.nth(index).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (index, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    phone.get_by_text("3", exact=True).tap()
    expect(phone.locator('input[name="score"][value="3"]')).to_be_checked()
    phone.get_by_label("What is the main reason for your score?").fill(
        "The new reports are slow to load on Mondays."
    )
    phone.screenshot(path=screenshot_dir / "survey-phone.png", full_page=True)
    phone.get_by_role("button", name="Send my answer").tap()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you!")
    phone.screenshot(path=tmp_path / "survey-phone-thanks.png")
    response = SurveyResponse.objects.get()
    assert (response.account, response.contact, response.score) == (account, contact, 3)
    assert response.comment == "The new reports are slow to load on Mondays."
    assert Alert.objects.get(account=account).owner == owner  # a detractor: the owner is told
    assert errors == []

    phone.goto(f"{live_server.url}/s/{invitation.token}/")  # the link works once
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "You have already answered this survey"
    )


def test_a_leader_reads_the_results_with_their_charts(
    page, live_server, screenshot_dir, console_errors
):
    """Six months of answers, snapshots on each month's last day: the three charts draw."""
    from datetime import timedelta

    from django.utils import timezone

    from metrics.services import snapshot_recompute
    from surveys.selectors import local_midnight, period_months
    from tests.browser.test_accounts_pages import log_in
    from tests.factories import SurveyResponseFactory

    UserFactory(username="lena", groups=["Leader"])
    today = timezone.localdate()
    accounts = [AccountFactory(segment=s) for s in ("SMB", "Enterprise", "Mid-Market")]
    month_ends = []
    for back, first in enumerate(reversed(period_months(today=today, months=6))):
        last = min(today, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1))
        month_ends.append(last)
        for n, account in enumerate(accounts):
            moment = local_midnight(first) + timedelta(hours=10 + n)
            for kind, score in (("nps", (back * 3 + n * 4) % 11), ("csat", 2 + (n + back) % 4),
                                ("ces", 3 + (n * back) % 5)):  # fmt: skip
                SurveyResponseFactory(
                    account=account, kind=kind, score=score, responded_at=moment,
                    comment=f"{kind.upper()} {score}: the reports page is slow",
                )  # fmt: skip
    for contact in (ContactFactory(account=a) for a in accounts):
        InvitationFactory(contact=contact)
    for day in month_ends:
        snapshot_recompute(as_of=day)

    log_in(page, live_server, "lena", "password")
    page.goto(f"{live_server.url}/surveys/?months=6")

    expect(page.get_by_role("heading", level=1)).to_have_text("Surveys")
    for name in ("nps", "satisfaction", "rate"):
        expect(page.locator(f'[data-chart="{name}"] .main-svg').first).to_be_visible()
    expect(page.locator(".survey-comments li").first).to_contain_text("the reports page is slow")
    page.screenshot(path=screenshot_dir / "surveys-results.png", full_page=True)
    assert console_errors == []
