"""The portfolio charts: pure functions from the dashboard's selector output to Plotly figures.

No database, no request: a test builds a `MonthlySeries` by hand and inspects the traces. Every
trace carries `meta` (the KPI or panel key whose rows a click opens) and, per point, `customdata`
(the month, as YYYY-MM), so the page can turn a click into a drill-down link.
"""

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from core.charts import (
    BAND_COLORS,
    BLUE,
    CYAN,
    FONT,
    GREEN,
    GREY,
    GRID,
    INK,
    LIME,
    MUTED,
    ORANGE,
    RED,
    SKY,
    SLATE,
    TEAL,
    VIOLET,
    YELLOW,
    count_axis,
    money_axis,
    money_hover,
)
from metrics.dashboard import RENEWAL_WINDOWS, MonthlySeries, RenewalWindow
from metrics.models import HealthBand

COLORS = {
    "new": GREEN,
    "reactivation": LIME,
    "expansion": SKY,
    "contraction": YELLOW,
    "churn": RED,
    "net": INK,
    "nrr": BLUE,
    "grr": CYAN,
    "crr": BLUE,
    "logo_churn": RED,
    "nps": VIOLET,
    "csat": TEAL,
    "ces": ORANGE,
    **{HealthBand(band): color for band, color in BAND_COLORS.items()},
}

# MRR movements: the three that add MRR above the axis, the two that remove it below.
MOVEMENT_TRACES = (
    ("new_mrr", "New", "new", 1),
    ("reactivation_mrr", "Reactivation", "reactivation", 1),
    ("expansion_mrr", "Expansion", "expansion", 1),
    ("contraction_mrr", "Contraction", "contraction", -1),
    ("churned_mrr", "Churn", "churn", -1),
)
BAND_TRACES = (
    (HealthBand.GREEN, "Green"),
    (HealthBand.YELLOW, "Yellow"),
    (HealthBand.RED, "Red"),
    (HealthBand.UNKNOWN, "Not scored"),
)


def _number(value: Any) -> float | None:
    """Plotly wants floats; a missing value stays a gap (None), never a 0."""
    return None if value is None else float(value)


def _numbers(values: Sequence[Any], sign: int = 1) -> list[float | None]:
    return [None if value is None else sign * float(value) for value in values]


def _months(series: MonthlySeries) -> list[str]:
    return [month.strftime("%Y-%m") for month in series.months]


def _layout(title: str, *, height: int = 320, **extra) -> dict:
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15, "color": INK}},
        "height": height,
        "margin": {"l": 56, "r": 24, "t": 56, "b": 36},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 12, "color": MUTED},
        "legend": {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 11},
        },
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": {
            "type": "category",
            "tickangle": 0,
            "showgrid": False,
            "linecolor": GRID,
            "tickfont": {"size": 11},
        },
        "yaxis": {"gridcolor": GRID, "zerolinecolor": SLATE, "tickfont": {"size": 11}},
        "bargap": 0.35,
    }
    for key, value in extra.items():
        layout[key] = {**layout.get(key, {}), **value} if isinstance(value, dict) else value
    return layout


def _month_labels(series: MonthlySeries) -> list[str]:
    """Short enough to stay horizontal on a half-width chart: "Jan '26"."""
    return [month.strftime("%b '%y") for month in series.months]


def _figure(title: str, traces: list[dict], **layout) -> go.Figure:
    """One figure validated once: plotly walks and checks the whole figure again on every
    add_trace or update call, which cost more than building the data."""
    return go.Figure({"data": traces, "layout": _layout(title, **layout)})


def _trace(kind: str, series: MonthlySeries, key: str, **properties) -> dict:
    """A trace over the series' months, whose clicks open `key`'s drill-down for the month."""
    return {
        "type": kind,
        "x": _month_labels(series),
        "meta": key,
        "customdata": _months(series),
        **properties,
    }


def mrr_movements_figure(series: MonthlySeries, *, currency: str = "USD") -> go.Figure:
    """Stacked bars of the MRR each movement added (above 0) or removed (below 0) per month,
    with net new MRR as a line."""
    bars = [
        _trace(
            "bar",
            series,
            key,
            y=_numbers(series.of(key), sign),
            name=name,
            marker={"color": COLORS[color]},
            hovertemplate=f"{name}: {money_hover(currency)}<extra></extra>",
        )
        for key, name, color, sign in MOVEMENT_TRACES
    ]
    net = _trace(
        "scatter",
        series,
        "net_new_mrr",
        y=_numbers(series.of("net_new_mrr")),
        name="Net new MRR",
        mode="lines+markers",
        line={"color": COLORS["net"], "width": 2.5},
        marker={"size": 6},
        hovertemplate=f"Net new: {money_hover(currency)}<extra></extra>",
    )
    return _figure(
        "MRR movements by month",
        [*bars, net],
        barmode="relative",
        yaxis=money_axis(
            [v for key, *_ in MOVEMENT_TRACES for v in series.of(key)], currency, rangemode="normal"
        ),
    )


def _rate_line(series: MonthlySeries, key: str, name: str, color: str) -> dict:
    return _trace(
        "scatter",
        series,
        key,
        y=_numbers(series.of(key)),
        name=name,
        mode="lines+markers",
        line={"color": COLORS[color], "width": 2.5},
        marker={"size": 6},
        connectgaps=False,
        hovertemplate=f"{name}: %{{y:.1f}}%<extra></extra>",
    )


def retention_figure(series: MonthlySeries) -> go.Figure:
    """Net and gross revenue retention per month, with the 100 % line for reference."""
    hundred = {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": 100,
        "y1": 100,
        "line": {"dash": "dot", "color": GREY, "width": 1},
    }
    return _figure(
        "Net and gross revenue retention",
        [_rate_line(series, "nrr", "NRR", "nrr"), _rate_line(series, "grr", "GRR", "grr")],
        yaxis={"ticksuffix": "%"},
        shapes=[hundred],
    )


def logo_retention_figure(series: MonthlySeries) -> go.Figure:
    """Customer retention rate (line, left axis) and logo churn rate (bars, right axis): the two
    live on different scales (~95 % against ~3 %), so each gets its own axis."""
    churn = _trace(
        "bar",
        series,
        "logo_churn_rate",
        y=_numbers(series.of("logo_churn_rate")),
        name="Logo churn",
        marker={"color": COLORS["logo_churn"]},
        opacity=0.75,
        yaxis="y2",
        hovertemplate="Logo churn: %{y:.1f}%<extra></extra>",
    )
    retention = _trace(
        "scatter",
        series,
        "crr",
        y=_numbers(series.of("crr")),
        name="CRR",
        mode="lines+markers",
        line={"color": COLORS["crr"], "width": 2.5},
        marker={"size": 6},
        hovertemplate="CRR: %{y:.1f}%<extra></extra>",
    )
    return _figure(
        "Customer retention and logo churn",
        [churn, retention],
        # No fixed precision: CRR lives within a point or two of 100 %, where ".0f" wrote ticks
        # 0.2 apart as "99%, 99%, 100%, 100%"; plotly's own format has the digits its step needs.
        yaxis={"ticksuffix": "%"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "ticksuffix": "%",
            "rangemode": "tozero",
        },
        margin={"r": 56},
    )


def health_bands_figure(series: MonthlySeries) -> go.Figure:
    """Paying accounts per health band at the end of each month, stacked."""
    bars = [
        _trace(
            "bar",
            series,
            "health",
            y=_numbers(series.of(f"band_{band}_accounts")),
            name=name,
            marker={"color": COLORS[band]},
            hovertemplate=f"{name}: %{{y:,.0f}} accounts<extra></extra>",
        )
        for band, name in BAND_TRACES
    ]
    totals = [sum(_number(v) or 0 for v in month) for month in zip(
        *(series.of(f"band_{band}_accounts") for band, _name in BAND_TRACES), strict=True
    )]  # fmt: skip
    return _figure(
        "Paying accounts by health band", bars, barmode="stack", yaxis=count_axis(totals)
    )


# The sentiment chart's three panels, top to bottom: each measure on its own axis, since an NPS
# of 40 (-100..100) and a CSAT of 40 % (0..100) on one axis read as the same thing.
SENTIMENT_PANELS = (
    ("nps", "NPS", "%{y:.0f}", {"range": [-100, 100], "tickvals": [-100, 0, 100]}),
    ("csat", "CSAT", "%{y:.1f}%", {"range": [0, 100], "tickvals": [0, 50, 100], "ticksuffix": "%"}),
    ("ces", "CES", "%{y:.2f}", {"range": [1, 7], "tickvals": [1, 4, 7]}),
)
PANEL_DOMAINS = ([0.7, 1], [0.35, 0.65], [0, 0.3])


def sentiment_figure(series: MonthlySeries) -> go.Figure:
    """NPS (-100..100), CSAT (%) and CES (1..7) per month, one panel and axis each, sharing the
    month axis."""
    lines, axes = [], {}
    for row, ((key, name, template, axis), domain) in enumerate(
        zip(SENTIMENT_PANELS, PANEL_DOMAINS, strict=True), start=1
    ):
        suffix = "" if row == 1 else str(row)
        lines.append(
            _trace(
                "scatter",
                series,
                key,
                y=_numbers(series.of(key)),
                name=name,
                mode="lines+markers",
                yaxis=f"y{suffix}",
                line={"color": COLORS[key], "width": 2.5},
                marker={"size": 6},
                # Surveys are sparse: a month without answers is skipped, not a break in the line.
                connectgaps=True,
                hovertemplate=f"{name}: {template}<extra></extra>",
            )
        )
        axes[f"yaxis{suffix}"] = {
            **axis,
            "domain": domain,
            "gridcolor": GRID,
            "zerolinecolor": SLATE,
            "tickfont": {"size": 11},
            "title": {"text": name, "font": {"size": 11}},
        }
    return _figure(
        "NPS, CSAT and CES", lines, height=360, xaxis={"anchor": f"y{len(lines)}"}, **axes
    )


def renewals_figure(windows: Sequence[RenewalWindow], *, currency: str = "USD") -> go.Figure:
    """MRR up for renewal in each 30-day window of the next 90 days, stacked by health band."""
    labels = [label for _first, _last, label in RENEWAL_WINDOWS]
    bars = []
    for band, name in BAND_TRACES:
        by_window = {w.label: w for w in windows if w.band == band}
        bars.append(
            {
                "type": "bar",
                "x": labels,
                "y": [
                    _number(by_window[label].mrr) if label in by_window else 0 for label in labels
                ],
                "name": name,
                "marker": {"color": COLORS[band]},
                "meta": "renewals",
                "customdata": [
                    by_window[label].accounts if label in by_window else 0 for label in labels
                ],
                "hovertemplate": (
                    f"{name}: {money_hover(currency)} (%{{customdata}} accounts)<extra></extra>"
                ),
            }
        )
    return _figure(
        "MRR by renewal window and health",
        bars,
        barmode="stack",
        height=260,
        yaxis=money_axis([w.mrr for w in windows], currency),
    )


def sparkline_points(
    values: Sequence[Any], *, width: int = 120, height: int = 28, pad: float = 2.0
) -> str:
    """The `points` of an SVG polyline drawing `values` (gaps skipped), scaled to the box; empty
    when fewer than two values are known."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(v for _i, v in known), max(v for _i, v in known)
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        if high == low:  # a flat line sits in the middle
            return height / 2
        return height - pad - (value - low) / (high - low) * (height - 2 * pad)

    return " ".join(f"{pad + i * step:.1f},{y(v):.1f}" for i, v in known)


def dashboard_figures(
    series: MonthlySeries, windows: Sequence[RenewalWindow], *, currency: str = "USD"
) -> dict[str, go.Figure]:
    """Every chart of the portfolio page, by the id of its place on the page."""
    return {
        "movements": mrr_movements_figure(series, currency=currency),
        "retention": retention_figure(series),
        "logos": logo_retention_figure(series),
        "health": health_bands_figure(series),
        "sentiment": sentiment_figure(series),
        "renewals": renewals_figure(windows, currency=currency),
    }
