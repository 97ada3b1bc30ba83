"""The churn probability in Chromium: the reliability diagram drawn on the health lab page, and
the probability with its factors and definition beside the health score on the 360 page.
SCREENSHOT_DIR=docs/screenshots keeps churn-reliability.png and churn-360.png."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from churn.services import churn_model_train
from tests.browser.axe import axe_violations
from tests.browser.test_accounts_pages import log_in
from tests.churn.conftest import LAST, book, write_book  # noqa: F401 (book is a fixture)
from tests.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe.min.js arrives as an inline script, which the pages' CSP refuses.
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def falling(book):  # noqa: F811 (the fixture imported above)
    account = AccountFactory(name="Falling Co")
    write_book([account.pk], {account.pk: LAST + timedelta(days=10)})
    churn_model_train(horizon=30)
    churn_model_train(horizon=90)
    return account


def test_the_lab_draws_the_reliability_diagram_and_the_360_page_shows_the_probability(
    page: Page, live_server, leader, falling, screenshot_dir, console_errors
):
    log_in(page, live_server, leader.username, "password")
    page.goto(f"{live_server.url}/health/lab/")
    panel = page.locator("#churn-models")
    expect(panel.locator(".js-plotly-plot")).to_be_visible()
    # Two models, each a line of ten deciles, and the diagonal.
    assert panel.locator(".js-plotly-plot .scatterlayer .trace").count() == 3
    expect(panel.locator("#churn-model-figures tbody tr")).to_have_count(2)
    panel.get_by_text("How to read these").click()
    expect(panel.get_by_text("Points on the dotted diagonal")).to_be_visible()
    panel.screenshot(path=str(screenshot_dir / "churn-reliability.png"))
    found = axe_violations(page)

    page.goto(f"{live_server.url}/accounts/{falling.pk}/")
    summary = page.locator("#churn-summary")
    expect(summary.get_by_text("within 30 days")).to_be_visible()
    expect(summary.get_by_text("within 90 days")).to_be_visible()
    expect(summary.locator(".churn-factors").first).to_contain_text("Seat utilization")
    summary.get_by_text("What is this?").click()
    expect(summary.get_by_text("Platt calibration", exact=False)).to_be_visible()
    page.locator(".account-head, section").first.screenshot(
        path=str(screenshot_dir / "churn-360.png")
    )
    found += axe_violations(page)
    assert not found, "\n".join(found)
    assert console_errors == []
