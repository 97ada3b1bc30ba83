"""The account 360 page's charts: pure functions from selector output to Plotly figures.

Nothing here touches the database, so each chart is tested with plain values. Each `*_chart`
writes a figure as a dict and its `*_figure` twin turns it into a validated go.Figure; the page
renders the dict with core.charts.chart_html, in core.charts' palette and currency table.
"""

from collections.abc import Iterable, Sequence
from copy import deepcopy
from datetime import date, timedelta
from functools import cache
from html import escape
from textwrap import shorten

from plotly.subplots import make_subplots

from core.charts import (
    BLUE,
    FONT,
    GREEN,
    GRID,
    GROUP_COLORS,
    INK,
    LINE,
    MUTED,
    ORANGE,
    RED,
    TEAL,
    VIOLET,
    YELLOW,
    as_figure,
    count_axis,
    currency_symbol,
    empty_state_note,
    money_axis,
    tint,
)
from surveys.models import score_group

SURVEY_SCALES = {"nps": ("NPS", 0, 10), "csat": ("CSAT", 1, 5), "ces": ("CES", 1, 7)}


# Each chart is a function writing the figure as one dict, turned into a go.Figure by
# `as_figure` for the tests, which inspect it with every property checked by plotly. The page
# renders the dict itself: building a figure with plotly's objects (make_subplots, add_trace,
# update_layout) cost about 25 ms a chart, and even a go.Figure built from the dict checks and
# copies a year of points twice (4 to 8 ms a chart).
X_AXIS = {"showgrid": False, "linecolor": LINE, "ticks": "outside", "tickcolor": LINE}
Y_AXIS = {"gridcolor": GRID, "zeroline": False, "tickfont": {"color": MUTED}}


@cache
def _grid(*, rows: int = 1, secondary_y: bool = False) -> dict[str, dict]:
    """The axes (domains, anchors, shared x) make_subplots lays out for a one-column grid,
    computed once per shape rather than once per chart."""
    if secondary_y:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
    else:
        fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    layout = fig.layout.to_plotly_json()
    return {name: value for name, value in layout.items() if name.startswith(("xaxis", "yaxis"))}


def _axes(grid: dict[str, dict], **axes: dict) -> dict[str, dict]:
    """Every axis of the grid (at least x and y) in the common style, with the given axes' own
    properties."""
    return {
        name: {
            **deepcopy(grid.get(name, {})),
            **(X_AXIS if name.startswith("x") else Y_AXIS),
            **axes.get(name, {}),
        }
        for name in dict.fromkeys(["xaxis", "yaxis", *grid, *axes])
    }


def _chart(data: list[dict], layout: dict, *, height: int = 300, legend: bool = True) -> dict:
    """The chart with the common layout under its own."""
    common = {
        "height": height,
        "margin": {"l": 48, "r": 16, "t": 36 if legend else 16, "b": 36},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": FONT, "size": 12, "color": INK},
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT}},
        "showlegend": legend,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 12},
        },
    }
    return {"data": data, "layout": {**common, **layout}}


def _empty(message: str, grid: dict[str, dict] | None = None) -> dict:
    grid = grid or {}
    hidden = {name: {"visible": False} for name in ["xaxis", "yaxis", *grid]}
    layout = {"annotations": [empty_state_note(message)], **_axes(grid, **hidden)}
    return _chart([], layout, height=220, legend=False)


def _secondary_axis(title: str, **extra) -> dict:
    # plotly.js syncs an overlaying axis's ticks to the first one by default, which gives
    # ticks such as 329.342; its own automatic ticks read better, without a second grid.
    return {
        "title": {"text": title},
        "rangemode": "tozero",
        "showgrid": False,
        "tickmode": "auto",
        "nticks": 5,
        **{key: value for key, value in extra.items() if value is not None},
    }


def _vertical_marker(day: date, label: str, color: str = MUTED) -> tuple[dict, dict]:
    """A dotted line and its label at `day`: add_vline's annotation cannot place text on a
    date axis; a shape and a note can."""
    line = {
        "type": "line",
        "x0": day,
        "x1": day,
        "y0": 0,
        "y1": 1,
        "xref": "x",
        "yref": "paper",
        "line": {"color": color, "width": 1, "dash": "dot"},
    }
    note = {
        "x": day,
        "y": 1,
        "xref": "x",
        "yref": "paper",
        "text": label,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "top",
        "font": {"size": 11, "color": color},
        "bgcolor": "rgba(255,255,255,0.8)",
    }
    return line, note


def health_chart(
    points: Sequence, *, green: float, yellow: float, version_labels: dict[int, str]
) -> dict:
    """The health score per day over the band thresholds (shaded), with a dotted marker where
    the health model version changes, so a jump from new weights is not read as a change in
    the customer."""
    if not any(p.health_score is not None for p in points):
        return _empty("No health score yet")
    bands = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": low,
            "y1": high,
            "fillcolor": color,
            "opacity": 0.07,
            "line": {"width": 0},
            "layer": "below",
        }
        for low, high, color in ((0, yellow, RED), (yellow, green, YELLOW), (green, 100, GREEN))
    ]
    markers = [
        _vertical_marker(day, version_labels.get(version, f"model {version}"), VIOLET)
        for day, version in version_changes(points)
    ]
    score = {
        "type": "scatter",
        "x": [p.as_of for p in points],
        "y": [p.health_score for p in points],
        "name": "Health score",
        "mode": "lines",
        "line": {"color": INK, "width": 2},
        "hovertemplate": "%{y:.0f}<extra>Health</extra>",
    }
    layout = {
        "shapes": bands + [line for line, _note in markers],
        **_axes({}, yaxis={"range": [0, 100], "tickvals": [0, yellow, green, 100]}),
    }
    if markers:
        layout["annotations"] = [note for _line, note in markers]
    return _chart([score], layout, legend=False)


def version_changes(points: Sequence) -> list[tuple[date, int]]:
    """(first day, version) wherever the model version differs from the previous scored day."""
    changes, previous = [], None
    for point in points:
        version = point.health_model_version
        if version is None:
            continue
        if previous is not None and version != previous:
            changes.append((point.as_of, version))
        previous = version
    return changes


def mrr_chart(points: Sequence, events: Iterable, currency: str = "") -> dict:
    """MRR per day as a step line, with contract starts (up) and ends (down) as markers; money
    ticks carry the currency's symbol when it has one."""
    if not points:
        return _empty("No MRR history yet")
    symbol = currency_symbol(currency) if currency else ""
    mrr_on = {p.as_of: float(p.mrr) for p in points}
    data = [
        {
            "type": "scatter",
            "x": list(mrr_on),
            "y": list(mrr_on.values()),
            "name": "MRR",
            "mode": "lines",
            "line": {"color": BLUE, "width": 2, "shape": "hv"},
            "fill": "tozeroy",
            "fillcolor": tint(BLUE, 0.08),
            "hovertemplate": f"{symbol}%{{y:,.0f}}<extra>MRR</extra>",
        }
    ]
    for kind, marker, color, name in (
        ("start", "triangle-up", GREEN, "Contract start"),
        ("end", "triangle-down", RED, "Contract end"),
    ):
        chosen = [e for e in events if e.kind == kind and e.day in mrr_on]
        if chosen:
            data.append(
                {
                    "type": "scatter",
                    "x": [e.day for e in chosen],
                    "y": [mrr_on[e.day] for e in chosen],
                    "name": name,
                    "mode": "markers",
                    "marker": {
                        "symbol": marker,
                        "size": 11,
                        "color": color,
                        "line": {"width": 1, "color": "white"},
                    },
                    "text": [escape(e.label) for e in chosen],
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
    values = mrr_on.values()
    axis = money_axis(values, currency) if currency else count_axis(values)
    layout = _axes({}, yaxis=axis)
    if not any(mrr_on.values()):  # a flat line at 0, saying why
        layout["annotations"] = [empty_state_note("No revenue in this period", y=0.6)]
    return _chart(data, layout)


def weekly(points: Sequence) -> list:
    """Every 7th point counting back from the newest, oldest first: one sample per week."""
    return list(points[::-1][::7])[::-1]


def usage_chart(points: Sequence) -> dict:
    """Active users (30 days) against seats, and events per week (the trailing 30 days' events
    x 7 / 30) as bars on a second axis."""
    grid = _grid(secondary_y=True)
    if not points:
        return _empty("No usage yet", grid)
    days = [p.as_of for p in points]
    samples = weekly(points)
    data = [
        {
            "type": "bar",
            "x": [p.as_of for p in samples],
            "y": [p.events_30d * 7 / 30 for p in samples],
            "name": "Events / week",
            "marker": {"color": tint(TEAL, 0.35)},
            "hovertemplate": "%{y:,.0f}<extra>Events / week</extra>",
            "xaxis": "x",
            "yaxis": "y2",
        },
        {
            "type": "scatter",
            "x": days,
            "y": [p.active_users_30d for p in points],
            "name": "Active users",
            "mode": "lines",
            "line": {"color": BLUE, "width": 2},
            "hovertemplate": "%{y}<extra>Active users</extra>",
        },
        {
            "type": "scatter",
            "x": days,
            "y": [p.seats for p in points],
            "name": "Seats",
            "mode": "lines",
            "line": {"color": MUTED, "width": 1.5, "dash": "dash", "shape": "hv"},
            "hovertemplate": "%{y}<extra>Seats</extra>",
        },
    ]
    events = [p.events_30d for p in samples]
    users = [v for p in points for v in (p.active_users_30d, p.seats)]
    axes = _axes(
        grid,
        yaxis=count_axis(users, title={"text": "Users"}),
        yaxis2=_secondary_axis("Events / week", **count_axis(events)),
    )
    layout = {"bargap": 0.35, **axes}
    if not any(events) and not any(users):
        layout["annotations"] = [empty_state_note("No usage in this period", y=0.6)]
    return _chart(data, layout)


def adoption_chart(points: Sequence) -> dict:
    """Seat utilisation and feature adoption in percent, and the number of features used."""
    grid = _grid(secondary_y=True)
    if not points:
        return _empty("No usage yet", grid)
    days = [p.as_of for p in points]
    data = [
        {
            "type": "scatter",
            "x": days,
            "y": [getattr(p, attribute) for p in points],
            "name": name,
            "mode": "lines",
            "line": {"color": color, "width": 2},
            "hovertemplate": f"%{{y:.0f}}%<extra>{name}</extra>",
        }
        for attribute, name, color in (
            ("seat_utilization", "Seat utilisation", BLUE),
            ("feature_adoption", "Feature adoption", ORANGE),
        )
    ]
    data.append(
        {
            "type": "scatter",
            "x": days,
            "y": [p.features_used_30d for p in points],
            "name": "Features used",
            "mode": "lines",
            "line": {"color": TEAL, "width": 1.5, "dash": "dot", "shape": "hv"},
            "hovertemplate": "%{y}<extra>Features used</extra>",
            "xaxis": "x",
            "yaxis": "y2",
        }
    )
    axes = _axes(
        grid,
        yaxis={"title": {"text": "%"}, "rangemode": "tozero"},
        yaxis2=_secondary_axis("Features", **count_axis(p.features_used_30d for p in points)),
    )
    return _chart(data, axes)


def tickets_chart(months: Sequence) -> dict:
    """Tickets opened per month (bars) and the mean first response in hours (line)."""
    grid = _grid(secondary_y=True)
    if not any(m.opened or m.avg_first_response_hours is not None for m in months):
        return _empty("No tickets in the last 12 months", grid)
    labels = [m.month for m in months]
    data = [
        {
            "type": "bar",
            "x": labels,
            "y": [m.opened for m in months],
            "name": "Tickets opened",
            "marker": {"color": tint(BLUE, 0.55)},
            "hovertemplate": "%{y}<extra>Opened</extra>",
        },
        {
            "type": "scatter",
            "x": labels,
            "y": [m.avg_first_response_hours for m in months],
            "name": "First response (h)",
            "mode": "lines+markers",
            "connectgaps": False,
            "line": {"color": ORANGE, "width": 2},
            "marker": {"size": 6},
            "hovertemplate": "%{y:.1f} h<extra>First response</extra>",
            "xaxis": "x",
            "yaxis": "y2",
        },
    ]
    axes = _axes(
        grid,
        xaxis={"tickformat": "%b %y", "dtick": "M2"},
        yaxis=count_axis((m.opened for m in months), title={"text": "Tickets"}),
        yaxis2=_secondary_axis("Hours"),
    )
    return _chart(data, {"bargap": 0.3, **axes})


def survey_color(kind: str, score: int) -> str:
    """An answer's colour by its score group (surveys.models.score_group): detractor red,
    passive yellow, promoter green, the same groups as the alerts and playbooks."""
    return GROUP_COLORS[score_group(kind, score)]


def surveys_chart(responses: Sequence, window: tuple[date, date] | None = None) -> dict:
    """Each survey answer over time, one row per kind on its own scale (NPS 0-10, CSAT 1-5,
    CES 1-7), coloured detractor / passive / promoter; over `window` when given, so its time
    axis lines up with the other charts of the page."""
    kinds = [kind for kind in SURVEY_SCALES if any(r.kind == kind for r in responses)]
    if not kinds:
        return _empty("No survey answers in the last 12 months")
    grid = _grid(rows=len(kinds))
    data, axes = [], {}
    for row, kind in enumerate(kinds, start=1):
        label, low, high = SURVEY_SCALES[kind]
        answers = sorted((r for r in responses if r.kind == kind), key=lambda r: r.responded_at)
        suffix = "" if row == 1 else str(row)
        data.append(
            {
                "type": "scatter",
                "x": [r.responded_at for r in answers],
                "y": [r.score for r in answers],
                "name": label,
                "mode": "markers",
                "marker": {
                    "size": 9,
                    "color": [survey_color(kind, r.score) for r in answers],
                    "line": {"width": 1, "color": "white"},
                    "opacity": 0.9,
                },
                "text": [_survey_hover(r) for r in answers],
                "hovertemplate": f"{label} %{{y}}<br>%{{text}}<extra></extra>",
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
            }
        )
        axes[f"yaxis{suffix}"] = {
            "title": {"text": label},
            "range": [low - 0.7, high + 0.7],
            "tickvals": [low, high],
        }
    if window:
        span = {"range": [window[0], window[1] + timedelta(days=1)]}
        axes |= {name: span for name in grid if name.startswith("x")}
    layout = {"hovermode": "closest", **_axes(grid, **axes)}
    return _chart(data, layout, height=110 + 90 * len(kinds), legend=False)


def _survey_hover(response) -> str:
    """Who answered and the start of their comment; their words are escaped, since Plotly reads
    a few HTML tags in hover text."""
    who = escape(str(response.contact)) if getattr(response, "contact", None) else "anonymous"
    comment = shorten(response.comment, 80, placeholder="…") if response.comment else ""
    return f"{who}<br><i>{escape(comment)}</i>" if comment else who


health_figure = as_figure(health_chart)
mrr_figure = as_figure(mrr_chart)
usage_figure = as_figure(usage_chart)
adoption_figure = as_figure(adoption_chart)
tickets_figure = as_figure(tickets_chart)
surveys_figure = as_figure(surveys_chart)
