"""The product's charts as a person meets them in Chromium, on demo data: no Plotly toolbar
(its buttons were tab stops and interactive controls nested in an image), nothing inside a
chart a keyboard stops on, and no axis that writes the same tick twice."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accounts_pages import (  # noqa: F401 - demo_data is a fixture
    DEMO_PASSWORD,
    biggest_account_at_risk,
    demo_data,
    log_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Each axis's tick labels, per chart: a tick group per axis (x, y, y2...) in every subplot.
AXIS_TICKS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot) =>
  [...plot.querySelectorAll('.xaxislayer-above, .yaxislayer-above')].map((axis) => ({
    chart: plot.id || plot.dataset.chart || plot.closest('[id]')?.id || '?',
    ticks: [...axis.querySelectorAll('g.xtick text, g.ytick text')].map((t) => t.textContent),
  })))"""


def drawn_charts_read_well(page: Page) -> None:
    plots = page.locator(".js-plotly-plot")
    expect(plots.first).to_be_visible()
    assert page.locator(".modebar-btn").count() == 0  # an empty container stays
    inside = ("a[href]", "button", "[tabindex]:not([tabindex='-1'])")
    focusable = page.locator(", ".join(f".js-plotly-plot {what}" for what in inside))
    assert focusable.count() == 0
    repeated = [
        (axis["chart"], axis["ticks"])
        for axis in page.evaluate(AXIS_TICKS)
        if len(axis["ticks"]) != len(set(axis["ticks"]))
    ]
    assert repeated == []


def test_the_charts_a_csm_and_a_leader_read_have_no_toolbar_tab_stops_or_repeated_ticks(
    page: Page,
    live_server,
    demo_data,  # noqa: F811
    django_user_model,
):
    account = biggest_account_at_risk(django_user_model.objects.get(username="csm1"))
    log_in(page, live_server, "leader", DEMO_PASSWORD)

    for path in (f"/accounts/{account.pk}/", "/portfolio/", "/surveys/", "/health/lab/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        drawn_charts_read_well(page)
