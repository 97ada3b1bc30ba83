"""The portfolio dashboard in a real browser, on demo data.

A leader's look at the month: log in, open the portfolio, read every chart (each must have
rendered, with no console error), filter by segment, open the rows behind a tile and behind a
bar. The full-page screenshot goes to SCREENSHOT_DIR when it is set (`docs/screenshots` for the
README), else to a tmp folder.
"""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.dashboard import month_start, previous_month
from metrics.services import snapshot_recompute

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; serialized rollback restores the migrations' rows
    # (roles, the default health model) that the flush after each test removes.
    pytest.mark.django_db(transaction=True),
]

DEMO_PASSWORD = "northstar-demo"
CHARTS = ("movements", "retention", "logos", "health", "sentiment", "renewals")


def dashboard_dates(yesterday: date) -> list[date]:
    """What the dashboard reads: yesterday, the same day a month earlier, and the last day of
    each of the eleven months before (computing these 13 dates, not a whole year, keeps the test
    fast)."""
    dates, first = {yesterday}, month_start(yesterday)
    previous = previous_month(first)
    dates.add(previous.replace(day=min(yesterday.day, (first - timedelta(days=1)).day)))
    for _ in range(11):
        dates.add(first - timedelta(days=1))
        first = previous_month(first)
    return sorted(dates)


@pytest.fixture
def demo_portfolio(db):
    call_command("seed_demo", accounts=80, seed=7, verbosity=0, i_know_this_is_not_production=True)
    for day in dashboard_dates(timezone.localdate() - timedelta(days=1)):
        snapshot_recompute(as_of=day)


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def expect_every_chart_rendered(page: Page) -> None:
    expect(page.locator(".js-plotly-plot")).to_have_count(len(CHARTS))
    for name in CHARTS:
        chart = page.locator(f'[data-chart="{name}"].js-plotly-plot')
        expect(chart.locator(".main-svg").first).to_be_attached()


def test_a_leader_reads_the_portfolio_filters_it_and_drills_into_a_figure(
    page: Page, live_server, demo_portfolio, console_errors, screenshot_dir
):
    log_in(page, live_server, "leader")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Portfolio").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")
    expect(page.locator(".pf-scope")).to_have_text("All accounts")
    expect_every_chart_rendered(page)
    expect(page.locator('.pf-headline [data-kpi="mrr"] .pf-tile-value')).to_contain_text("$")
    page.screenshot(path=screenshot_dir / "portfolio.png", full_page=True)

    page.get_by_label("Segment").select_option("Enterprise")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"segment=Enterprise"))
    expect(page.locator(".pf-scope")).to_contain_text("Filtered: Enterprise")
    expect_every_chart_rendered(page)

    page.locator('.pf-headline [data-kpi="mrr"]').click()
    expect(page).to_have_url(re.compile(r"/portfolio/drill/mrr/\?.*segment=Enterprise"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"^MRR \$[0-9,]+"))
    expect(page.locator(".pf-table-drill tbody tr").first).to_be_visible()
    for segment in page.locator(".pf-table-drill tbody tr td:nth-child(2)").all_inner_texts():
        assert segment == "Enterprise"

    page.go_back()
    expect_every_chart_rendered(page)
    # With unified hover, a click anywhere over a month picks its bars: here the last month's.
    plot_area = page.locator('[data-chart="movements"] .nsewdrag').first
    box = plot_area.bounding_box()
    plot_area.click(position={"x": box["width"] - 20, "y": box["height"] / 2})
    expect(page).to_have_url(re.compile(r"/portfolio/drill/\w+/\?.*month=\d{4}-\d{2}"))

    assert console_errors == []


def test_a_csm_sees_the_portfolio_of_her_own_accounts(
    page: Page, live_server, demo_portfolio, console_errors
):
    log_in(page, live_server, "csm1")
    page.goto(f"{live_server.url}/portfolio/")

    expect(page.locator(".pf-scope")).to_have_text("Your accounts")
    expect(page.get_by_label("Owner")).to_have_count(0)
    expect_every_chart_rendered(page)
    assert console_errors == []
