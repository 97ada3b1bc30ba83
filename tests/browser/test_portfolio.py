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
from metrics.periods import PeriodLength, period_label, period_months
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
    each of the twelve months before (the page opens on the last complete month, and its charts
    show the twelve months ending there; these 14 dates, not a whole year, keep the test fast)."""
    dates, first = {yesterday}, month_start(yesterday)
    previous = previous_month(first)
    dates.add(previous.replace(day=min(yesterday.day, (first - timedelta(days=1)).day)))
    for _ in range(13):
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
    # It opens on the last complete month, not a month to date of a day or two.
    last_month = previous_month(month_start(timezone.localdate() - timedelta(days=1)))
    expect(page.locator(".pf-sub")).to_contain_text(f"{last_month:%B %Y} full month")
    expect(page.locator('select[name="month"]')).to_have_value(f"{last_month:%Y-%m}")
    expect_every_chart_rendered(page)
    expect(page.locator('.pf-headline [data-kpi="mrr"] .pf-tile-value')).to_contain_text("$")
    nrr = page.locator('.pf-headline [data-kpi="nrr_12m"]')
    expect(nrr).to_contain_text("Net revenue retention, trailing 12 months")
    expect(nrr).to_contain_text("Net revenue retention this month:")
    page.screenshot(path=screenshot_dir / "portfolio.png", full_page=True)

    page.get_by_label("Segment").select_option("Enterprise")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"segment=Enterprise"))
    expect(page.locator(".pf-scope")).to_contain_text("Filtered: Enterprise")
    expect_every_chart_rendered(page)

    page.locator('.pf-headline [data-kpi="mrr"] .pf-tile-link').click()
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


def test_a_leader_chooses_the_trailing_3_and_then_12_months(
    page: Page, live_server, demo_portfolio, console_errors, screenshot_dir
):
    log_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/portfolio/")
    last_day = month_start(timezone.localdate() - timedelta(days=1)) - timedelta(days=1)
    three = period_label(period_months({}, end=last_day, length=PeriodLength.TRAILING_3))
    twelve = period_label(period_months({}, end=last_day, length=PeriodLength.TRAILING_12))

    page.get_by_label("Period").select_option(label="Trailing 3 months")
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"period=3m"))
    expect(page.locator(".pf-sub")).to_contain_text(f"Trailing 3 months: {three}")
    expect(page.locator(".pf-sub")).to_contain_text("changes vs the 3 months before")
    net_new = page.locator('.pf-headline [data-kpi="net_new_mrr"]')
    expect(net_new.locator('[data-figure="scope"]')).to_have_text(three)
    expect(net_new.locator(".pf-delta")).not_to_have_text("No comparison")
    mrr = page.locator('.pf-headline [data-kpi="mrr"] [data-figure="scope"]')
    expect(mrr).to_have_text(f"on {last_day.day} {last_day:%b %Y}")
    nrr = page.locator('.pf-headline [data-kpi="nrr_12m"]')
    expect(nrr.locator('[data-figure="monthly"]')).to_contain_text(
        f"Net revenue retention, {three}:"
    )
    expect(page.locator("#trends")).to_contain_text(f"the tiles above cover {three}")
    expect_every_chart_rendered(page)
    page.screenshot(path=screenshot_dir / "portfolio-trailing-3-months.png", full_page=True)
    # The link to the rows behind a figure and the export keep the period.
    expect(net_new.locator(".pf-tile-link")).to_have_attribute("href", re.compile(r"period=3m"))

    page.get_by_label("Period").select_option(label="Trailing 12 months")
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"period=12m"))
    expect(page.locator(".pf-sub")).to_contain_text(f"Trailing 12 months: {twelve}")
    # The demo computes thirteen month ends: the twelve months before are not all there.
    expect(page.locator(".pf-sub")).to_contain_text("no comparison")
    expect(net_new.locator('[data-figure="scope"]')).to_have_text(twelve)
    # Over 12 months the period's NRR is the trailing-12-month figure: nothing beside it.
    expect(nrr.locator('[data-figure="monthly"]')).to_have_count(0)
    nrr.get_by_text("What is this?").click()
    expect(nrr.locator('[data-figure="period-rule"]')).to_contain_text("Over trailing 12 months")
    expect_every_chart_rendered(page)
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


def test_a_keyboard_user_opens_a_figures_plain_definition(page: Page, live_server, demo_portfolio):
    log_in(page, live_server, "csm1")
    page.goto(f"{live_server.url}/portfolio/")

    tile = page.locator('.pf-headline [data-kpi="grr_12m"]')
    definition = tile.locator(".pf-def:not(.pf-set-target) p").first
    expect(definition).to_be_hidden()
    tile.get_by_text("What is this?").focus()
    page.keyboard.press("Enter")
    expect(definition).to_be_visible()
    expect(definition).to_contain_text("the share we kept, not counting upsells")
    # A CSM reads targets but does not set them.
    expect(page.get_by_text("Set target")).to_have_count(0)


def test_a_leader_sets_a_target_on_a_tile_and_sees_it_drawn(
    page: Page, live_server, demo_portfolio, console_errors
):
    log_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/portfolio/")

    tile = page.locator('.pf-headline [data-kpi="nrr_12m"]')
    tile.get_by_text("Set target").click()
    tile.get_by_label("Target for all accounts (%)").fill("110")
    tile.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text(
        "Net revenue retention, trailing 12 months: target 110 for all accounts."
    )
    tile = page.locator('.pf-headline [data-kpi="nrr_12m"]')
    expect(tile.locator(".pf-target-text")).to_contain_text("Target 110.0%")
    assert console_errors == []


def test_the_nrr_drill_down_sorts_by_a_column_from_the_keyboard(
    page: Page, live_server, demo_portfolio, screenshot_dir
):
    log_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/portfolio/drill/nrr/")

    changes = page.locator(".pf-table-drill tbody tr td:nth-child(8)").all_inner_texts()
    sizes = [
        abs(float(re.sub(r"[^0-9.\-]", "", text.replace("\u2212", "-")) or 0)) for text in changes
    ]
    assert sizes == sorted(sizes, reverse=True)  # the accounts that moved, biggest change first
    page.screenshot(path=screenshot_dir / "portfolio-drill.png", full_page=True)

    page.get_by_role("link", name=re.compile(r"^MRR\W+sort descending", re.IGNORECASE)).focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"sort=-mrr"))
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("MRR")
