"""The chart house style (core/charts.py) on the figure dicts: money and count axes never write
SI prefixes below 1 ("$200m" for nothing), an all-zero series is a flat axis at 0 with a line
saying why, and one currency table writes amounts the same on tiles and axes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.charts import (
    CURRENCY_SYMBOLS,
    chart_html,
    count_axis,
    currency_symbol,
    figure_json,
    money_axis,
)
from metrics import charts as portfolio_charts
from metrics.dashboard import RenewalWindow
from web import charts
from web.selectors import HistoryPoint

START = date(2025, 1, 1)


def zero_history(days: int = 30) -> list[HistoryPoint]:
    """An account without revenue or usage: every figure 0 for `days` days."""
    return [
        HistoryPoint(
            as_of=START + timedelta(days=offset),
            health_score=None,
            health_band="unknown",
            health_model_version=None,
            mrr=Decimal("0.00"),
            seats=0,
            active_users_30d=0,
            events_30d=0,
            seat_utilization=None,
            feature_adoption=None,
            features_used_30d=0,
        )
        for offset in range(days)
    ]


def no_milli(axis: dict) -> None:
    """Ticks closer than 1 apart are plain decimals; SI ("k", "M") only from 1 up."""
    stops = {tuple(stop["dtickrange"]): stop["value"] for stop in axis["tickformatstops"]}
    assert "s" not in stops[(None, 1)]
    assert stops[(1, None)].endswith("~s")


def flat_at_zero(axis: dict) -> None:
    assert axis["range"] == [0, 1]
    assert axis["tickmode"] == "array"
    assert axis["tickvals"] == [0]


@pytest.mark.parametrize("currency", ["USD", "EUR", "CHF", "SEK"])
def test_money_axes_use_no_si_prefix_below_one(currency):
    no_milli(money_axis([0.2, 0.4, 0.8], currency))


def test_count_axes_use_no_si_prefix_below_one():
    no_milli(count_axis([0.5, 1.5]))


def test_an_all_zero_series_is_a_flat_axis_at_zero():
    flat_at_zero(money_axis([0, 0, None], "USD"))
    flat_at_zero(count_axis([0, Decimal("0.00")]))
    assert "range" not in count_axis([0, 3])


def test_an_account_without_revenue_shows_a_flat_mrr_axis_at_zero_and_says_why():
    chart = charts.mrr_chart(zero_history(), [], currency="USD")

    axis = chart["layout"]["yaxis"]
    flat_at_zero(axis)
    no_milli(axis)
    assert axis["tickformat"] == "$~s"  # "$0", and "-$10k" with the sign first
    assert [note["text"] for note in chart["layout"]["annotations"]] == [
        "No revenue in this period"
    ]


def test_an_account_without_usage_shows_flat_axes_at_zero_and_says_why():
    chart = charts.usage_chart(zero_history())

    flat_at_zero(chart["layout"]["yaxis"])
    flat_at_zero(chart["layout"]["yaxis2"])
    no_milli(chart["layout"]["yaxis2"])  # no "500m" events a week
    assert chart["layout"]["annotations"][0]["text"] == "No usage in this period"


def test_an_account_with_revenue_gets_an_automatic_axis_and_no_empty_state_line():
    points = zero_history()
    points[-1] = HistoryPoint(**{**points[-1].__dict__, "mrr": Decimal("1200.00")})

    chart = charts.mrr_chart(points, [], currency="EUR")

    assert "range" not in chart["layout"]["yaxis"]
    assert chart["layout"]["yaxis"]["tickprefix"] == "€"
    assert "annotations" not in chart["layout"]


def test_no_renewals_draw_a_flat_money_axis_on_the_portfolio():
    windows = [RenewalWindow("0-30 days", "green", 0, Decimal("0"))]

    figure = portfolio_charts.renewals_figure(windows, currency="USD")

    assert list(figure.layout.yaxis.tickvals) == [0]
    assert tuple(figure.layout.yaxis.range) == (0, 1)


def test_one_currency_table_knows_inr_and_chf_and_writes_other_codes_first():
    assert CURRENCY_SYMBOLS["INR"] == "₹" and CURRENCY_SYMBOLS["CHF"] == "CHF "
    assert currency_symbol("CHF") == "CHF "
    assert currency_symbol("SEK") == "SEK "


def test_tiles_write_money_as_the_axes_do(settings):
    from web.templatetags.northstar import money

    settings.CURRENCY = "CHF"
    assert money(1234) == "CHF 1,234"
    assert money_axis([1234], "CHF")["tickprefix"] == "CHF "
    settings.CURRENCY = "INR"
    assert money(-5) == "\u2212₹5"


def test_a_figure_reaches_the_page_one_way_with_the_default_template():
    chart = charts.mrr_chart(zero_history(3), [], currency="USD")

    data = figure_json(chart)
    html = chart_html(chart, div_id="chart-mrr")

    assert "template" in data["layout"]
    assert html.startswith("<div") and 'id="chart-mrr"' in html
