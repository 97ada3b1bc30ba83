"""The one chart house style: the palette, the currency table, money and count axes, and the one
way a figure reaches a page.

Charts are pure functions from selector output to a figure written as a dict (see
web/charts.py); `figure_json` turns one (or a go.Figure) into the JSON plotly.js draws, with the
default template and the one chart configuration, and `chart_html` writes it into the page as
data beside an empty <div>. static/js/charts.js draws every such chart once plotly.js has loaded
(both deferred, templates/includes/plotly.html): no inline script, so the Content-Security-Policy
needs no nonce for charts.
"""

from collections.abc import Callable, Iterable
from functools import cache, wraps
from typing import Any
from uuid import uuid4

import plotly.graph_objects as go
import plotly.io as pio
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The palette: ink, muted text and grid lines, then the hues every chart picks from.
INK, MUTED, GRID = "#1f2937", "#6b7280", "#eef0f4"
BLUE, TEAL, ORANGE, VIOLET = "#3b5bdb", "#0ca678", "#e8590c", "#7048e8"
GREEN, YELLOW, RED, GREY = "#2f9e44", "#f59f00", "#e03131", "#adb5bd"
LIME, SKY, CYAN, SLATE = "#94d82d", "#1c7ed6", "#15aabf", "#ced4da"
LINE, STEEL, DARK_GREY = "#d1d5db", "#94a3b8", "#868e96"  # axis lines, a baseline, a reference
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
# A health band's colour, wherever a band is drawn.
BAND_COLORS = {"green": GREEN, "yellow": YELLOW, "red": RED, "unknown": SLATE}
# A survey answer's colour by its score group (surveys.score_group).
GROUP_COLORS = {"detractor": RED, "passive": YELLOW, "promoter": GREEN}

# No mode bar (Plotly's toolbar): product pages are read, not edited, and its 8 to 10 buttons per
# chart were tab stops a keyboard user had to pass (56 before a 360 page's first action) and
# interactive controls nested in a chart that is an image to assistive technology.
CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}


def tint(color: str, alpha: float) -> str:
    """A palette colour seen through: "#3b5bdb", 0.25 -> "rgba(59,91,219,0.25)"."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# The currency table: the symbol written before an amount, on tiles, tables and chart axes
# alike; any other ISO code is written before the amount too ("SEK 1,234").
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CHF": "CHF ",
}


def currency_symbol(currency: str) -> str:
    """What goes before an amount in `currency`: its symbol, else its code and a space."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


# Axes: thousands and millions read "12k" and "1.2M", but SI prefixes below 1 ("500m" for half
# an event) read as millions, so ticks closer than 1 apart are plain decimals.
_NO_MILLI = [
    {"dtickrange": [None, 1], "value": ",.2~f"},
    {"dtickrange": [1, None], "value": "~s"},
]


# Below this top value a count axis is ticked at every whole number (at most 10 ticks).
INTEGER_TICKS_BELOW = 10


def _all_zero(values: Iterable[Any]) -> bool:
    return not any(value for value in values if value is not None)


def count_axis(values: Iterable[Any], *, integer: bool = True, **extra) -> dict:
    """An axis of counts from 0, ticked at whole numbers (plotly ticks a series up to 4 at
    0.5 steps: "0.5 users"); a series of zeros gets a flat axis at 0 (plotly would spread it
    over -1..1, or 0..1 with ticks of 0.2)."""
    values = [value for value in values if value is not None]
    axis = {"rangemode": "tozero", "tickformat": "~s", "tickformatstops": _NO_MILLI}
    if integer and values and max(values) < INTEGER_TICKS_BELOW:
        axis |= {"tickmode": "linear", "tick0": 0, "dtick": 1}  # above it plotly steps by 2 or more
    axis |= extra
    if _all_zero(values):
        axis |= {"range": [0, 1], "tickmode": "array", "tickvals": [0], "autorange": False}
    return axis


def money_axis(values: Iterable[Any], currency: str, **extra) -> dict:
    """A money axis in the workspace currency: the symbol before the amount, the sign before
    the symbol ("-$10k": d3's own "$" does that; a prefix would give "$-10k")."""
    symbol = currency_symbol(currency)
    if symbol == "$":
        stops = [{**stop, "value": "$" + stop["value"]} for stop in _NO_MILLI]
        return count_axis(values, integer=False, tickformat="$~s", tickformatstops=stops, **extra)
    return count_axis(values, integer=False, tickprefix=symbol, **extra)


def money_hover(currency: str, field: str = "y") -> str:
    """A hover template's amount, written as the axes write it."""
    symbol = currency_symbol(currency)
    return f"%{{{field}:$,.0f}}" if symbol == "$" else f"{symbol}%{{{field}:,.0f}}"


def empty_state_note(text: str, *, y: float = 0.5) -> dict:
    """The line a chart shows over an empty or all-zero series, saying why it is flat."""
    return {
        "text": text,
        "showarrow": False,
        "font": {"color": MUTED, "size": 13},
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": y,
    }


# Rendering: one way from a figure to a page.


@cache
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def figure_json(chart: dict | go.Figure) -> dict:
    """The figure as the JSON plotly.js draws, with the one chart configuration: a go.Figure's
    own, and a chart given as a dict with the default template, as a go.Figure would have
    (building one costs 4 to 8 ms a chart: it checks and copies every point)."""
    if isinstance(chart, go.Figure):
        return {**chart.to_plotly_json(), "config": CONFIG}
    if pio.templates.default:
        layout = {"template": _template(pio.templates.default), **chart["layout"]}
        chart = {**chart, "layout": layout}
    return {**chart, "config": CONFIG}


# JSON inside <script> must not close the element: plotly's encoder escapes "<" and ">", and
# this escapes "&" too, as Django's json_script does.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def chart_html(chart: dict | go.Figure, *, div_id: str | None = None) -> SafeString:
    """The chart as an empty <div> and its figure as JSON data (not a script that runs), for
    static/js/charts.js to draw; the page includes templates/includes/plotly.html once."""
    div_id = div_id or f"chart-{uuid4().hex[:12]}"
    data = pio.to_json(figure_json(chart), validate=False).translate(_JSON_ESCAPES)
    return mark_safe(  # noqa: S308 - the id is escaped, the JSON cannot close its element
        f'<div id="{escape(div_id)}" class="plotly-chart"></div>'
        f'<script type="application/json" data-chart-for="{escape(div_id)}">{data}</script>'
    )


def as_figure(chart: Callable[..., dict]) -> Callable[..., go.Figure]:
    """The chart function as one returning a go.Figure, every property checked by plotly: what
    the tests inspect."""

    @wraps(chart)
    def figure(*args, **kwargs) -> go.Figure:
        return go.Figure(chart(*args, **kwargs))

    return figure
