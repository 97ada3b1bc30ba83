"""The portfolio charts (metrics/charts.py): pure functions, tested without a database."""

import itertools
from datetime import date
from decimal import Decimal

import pytest

from metrics import charts
from metrics.dashboard import MonthlySeries, RenewalWindow
from metrics.drill import drill_for

MONTHS = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1))


def month(**values) -> dict:
    """One month of portfolio values: every key the charts read, 0 unless given."""
    keys = (
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "net_new_mrr",
        "nrr",
        "grr",
        "logo_churn_rate",
        "crr",
        "nps",
        "csat",
        "ces",
        *(f"band_{band}_accounts" for band in ("green", "yellow", "red", "unknown")),
    )
    return {key: values.get(key, 0) for key in keys}


@pytest.fixture
def series() -> MonthlySeries:
    """January and March have snapshots; February has none."""
    january = month(
        new_mrr=Decimal(500),
        expansion_mrr=Decimal(200),
        contraction_mrr=Decimal(100),
        churned_mrr=Decimal(300),
        net_new_mrr=Decimal(300),
        nrr=Decimal("98.5"),
        grr=Decimal("95.0"),
        nps=30.0,
        ces=5.5,
        band_green_accounts=7,
        band_red_accounts=2,
    )
    march = month(reactivation_mrr=Decimal(50), net_new_mrr=Decimal(50), nrr=None, nps=None)
    return MonthlySeries(
        months=MONTHS,
        as_of=(date(2024, 1, 31), None, date(2024, 3, 15)),
        values=(january, None, march),
    )


def trace(figure, name: str):
    return next(t for t in figure.data if t.name == name)


def test_mrr_movements_stack_gains_above_zero_and_losses_below(series):
    figure = charts.mrr_movements_figure(series)

    assert figure.layout.barmode == "relative"
    assert [t.name for t in figure.data] == [
        "New",
        "Reactivation",
        "Expansion",
        "Contraction",
        "Churn",
        "Net new MRR",
    ]
    assert trace(figure, "New").y[0] == 500
    assert trace(figure, "Expansion").y[0] == 200
    assert trace(figure, "Contraction").y[0] == -100
    assert trace(figure, "Churn").y[0] == -300
    assert trace(figure, "Net new MRR").type == "scatter"
    assert trace(figure, "Net new MRR").y[0] == 300


def test_mrr_movements_have_a_title_and_month_labels(series):
    figure = charts.mrr_movements_figure(series)

    assert figure.layout.title.text == "MRR movements by month"
    assert list(trace(figure, "New").x) == ["Jan '24", "Feb '24", "Mar '24"]
    assert list(trace(figure, "New").customdata) == ["2024-01", "2024-02", "2024-03"]


def test_a_month_without_snapshots_is_a_gap_not_a_zero(series):
    figure = charts.mrr_movements_figure(series)

    assert trace(figure, "New").y[1] is None
    assert trace(figure, "Churn").y[1] is None
    assert trace(figure, "Net new MRR").y[1] is None


def test_money_axes_put_the_sign_before_the_dollar(series):
    assert charts.mrr_movements_figure(series).layout.yaxis.tickformat == "$~s"
    euro = charts.mrr_movements_figure(series, currency="EUR")
    assert euro.layout.yaxis.tickprefix == "€"


def test_retention_draws_nrr_and_grr_with_a_100_percent_line(series):
    figure = charts.retention_figure(series)

    assert figure.layout.title.text == "Net and gross revenue retention"
    assert list(trace(figure, "NRR").y) == [98.5, None, None]
    assert list(trace(figure, "GRR").y) == [95.0, None, 0.0]
    assert [shape.y0 for shape in figure.layout.shapes] == [100]


def test_logo_churn_has_its_own_axis_beside_customer_retention(series):
    figure = charts.logo_retention_figure(series)

    assert figure.layout.title.text == "Customer retention and logo churn"
    assert trace(figure, "Logo churn").type == "bar"
    assert trace(figure, "Logo churn").yaxis == "y2"
    assert trace(figure, "CRR").type == "scatter"
    # A fixed ".0f" wrote ticks 0.2 apart near 100 % as "99%, 99%, 100%, 100%".
    assert figure.layout.yaxis.tickformat is None
    assert figure.layout.yaxis2.tickformat is None


def test_health_bands_stack_paying_accounts_per_band(series):
    figure = charts.health_bands_figure(series)

    assert figure.layout.barmode == "stack"
    assert [t.name for t in figure.data] == ["Green", "Yellow", "Red", "Not scored"]
    assert trace(figure, "Green").y[0] == 7
    assert trace(figure, "Red").y[0] == 2
    assert figure.layout.yaxis.dtick == 1  # a handful of accounts: never "0.5 accounts"


def test_sentiment_gives_nps_csat_and_ces_a_panel_and_an_axis_each(series):
    figure = charts.sentiment_figure(series)

    assert figure.layout.title.text == "NPS, CSAT and CES"
    assert [trace(figure, name).yaxis for name in ("NPS", "CSAT", "CES")] == ["y", "y2", "y3"]
    assert list(figure.layout.yaxis.range) == [-100, 100]
    assert list(figure.layout.yaxis2.range) == [0, 100]
    assert list(figure.layout.yaxis3.range) == [1, 7]
    domains = [figure.layout[axis].domain for axis in ("yaxis", "yaxis2", "yaxis3")]
    assert all(lower[1] < upper[0] for upper, lower in itertools.pairwise(domains))
    assert list(trace(figure, "NPS").y) == [30.0, None, None]


def test_renewals_stack_mrr_by_window_and_band_with_empty_windows_at_zero():
    windows = [
        RenewalWindow("0-30 days", "green", 2, Decimal(1000)),
        RenewalWindow("0-30 days", "red", 1, Decimal(400)),
        RenewalWindow("61-90 days", "yellow", 1, Decimal(250)),
    ]

    figure = charts.renewals_figure(windows)

    assert figure.layout.title.text == "MRR by renewal window and health"
    assert list(trace(figure, "Green").x) == ["0-30 days", "31-60 days", "61-90 days"]
    assert list(trace(figure, "Green").y) == [1000, 0, 0]
    assert list(trace(figure, "Red").customdata) == [1, 0, 0]
    assert list(trace(figure, "Yellow").y) == [0, 0, 250]


def test_every_chart_click_opens_an_existing_drill_down(series):
    figures = charts.dashboard_figures(series, [RenewalWindow("0-30 days", "green", 1, 10)])

    assert set(figures) == {"movements", "retention", "logos", "health", "sentiment", "renewals"}
    for figure in figures.values():
        for data in figure.data:
            assert drill_for(data.meta) is not None, data.meta


def test_a_sparkline_scales_its_values_into_the_box_and_skips_gaps():
    points = charts.sparkline_points([0, None, 10], width=100, height=20, pad=0)

    assert points == "0.0,20.0 100.0,0.0"


def test_a_sparkline_needs_two_known_values():
    assert charts.sparkline_points([None, 5, None]) == ""
    assert charts.sparkline_points([]) == ""


def test_a_flat_sparkline_is_drawn_across_the_middle():
    assert charts.sparkline_points([3, 3], width=10, height=10, pad=0) == "0.0,5.0 10.0,5.0"
