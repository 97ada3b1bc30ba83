"""The account 360 page's charts: pure functions from selector output to Plotly figures.

Nothing here touches the database, so each chart is tested with plain values. Pages render a
figure with `chart_html`; plotly.min.js is served once per page from our own static files.
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from html import escape
from textwrap import shorten

import plotly.graph_objects as go
from plotly.subplots import make_subplots

CONFIG = {"displaylogo": False, "responsive": True}

INK, MUTED, GRID = "#1f2937", "#6b7280", "#eef0f4"
BLUE, TEAL, ORANGE, VIOLET = "#3b5bdb", "#0ca678", "#e8590c", "#7048e8"
GREEN, YELLOW, RED = "#2f9e44", "#f59f00", "#e03131"
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

SURVEY_SCALES = {"nps": ("NPS", 0, 10), "csat": ("CSAT", 1, 5), "ces": ("CES", 1, 7)}


def chart_html(fig: go.Figure, *, div_id: str) -> str:
    """The figure as a <div> and its script, without plotly.js (the page loads it once)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id)


def _layout(fig: go.Figure, *, height: int = 300, legend: bool = True) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 48, "r": 16, "t": 36 if legend else 16, "b": 36},
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": FONT, "size": 12, "color": INK},
        hovermode="x unified",
        hoverlabel={"font": {"family": FONT}},
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 12}},
    )
    fig.update_xaxes(showgrid=False, linecolor="#d1d5db", ticks="outside", tickcolor="#d1d5db")
    fig.update_yaxes(gridcolor=GRID, zeroline=False, tickfont={"color": MUTED})
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"color": MUTED, "size": 13},
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=220, legend=False)


def _secondary_axis(fig: go.Figure, title: str, **extra) -> None:
    # plotly.js syncs an overlaying axis's ticks to the first one by default, which gives
    # ticks such as 329.342; its own automatic ticks read better, without a second grid.
    fig.update_yaxes(
        title_text=title,
        rangemode="tozero",
        showgrid=False,
        tickmode="auto",
        nticks=5,
        secondary_y=True,
        **{key: value for key, value in extra.items() if value is not None},
    )


def _vertical_marker(fig: go.Figure, day: date, label: str, color: str = MUTED) -> None:
    # add_vline's annotation cannot place text on a date axis; a shape and a note can.
    fig.add_shape(
        type="line",
        x0=day,
        x1=day,
        y0=0,
        y1=1,
        xref="x",
        yref="paper",
        line={"color": color, "width": 1, "dash": "dot"},
    )
    fig.add_annotation(
        x=day,
        y=1,
        xref="x",
        yref="paper",
        text=label,
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": color},
        bgcolor="rgba(255,255,255,0.8)",
    )


def health_figure(
    points: Sequence, *, green: float, yellow: float, version_labels: dict[int, str]
) -> go.Figure:
    """The health score per day over the band thresholds (shaded), with a dotted marker where
    the health model version changes, so a jump from new weights is not read as a change in
    the customer."""
    fig = go.Figure()
    if not any(p.health_score is not None for p in points):
        return _empty(fig, "No health score yet")
    # One layout update for the three bands: add_hrect validates each shape several times over.
    fig.update_layout(
        shapes=[
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
    )
    fig.add_trace(
        go.Scatter(
            x=[p.as_of for p in points],
            y=[p.health_score for p in points],
            name="Health score",
            mode="lines",
            line={"color": INK, "width": 2},
            hovertemplate="%{y:.0f}<extra>Health</extra>",
        )
    )
    for day, version in version_changes(points):
        _vertical_marker(fig, day, version_labels.get(version, f"model {version}"), VIOLET)
    fig.update_yaxes(range=[0, 100], tickvals=[0, yellow, green, 100])
    return _layout(fig, legend=False)


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


def mrr_figure(points: Sequence, events: Iterable, currency: str = "") -> go.Figure:
    """MRR per day as a step line, with contract starts (up) and ends (down) as markers; money
    ticks carry the currency's symbol when it has one."""
    fig = go.Figure()
    if not points:
        return _empty(fig, "No MRR history yet")
    mrr_on = {p.as_of: float(p.mrr) for p in points}
    fig.add_trace(
        go.Scatter(
            x=list(mrr_on),
            y=list(mrr_on.values()),
            name="MRR",
            mode="lines",
            line={"color": BLUE, "width": 2, "shape": "hv"},
            fill="tozeroy",
            fillcolor="rgba(59,91,219,0.08)",
            hovertemplate=f"{CURRENCY_SYMBOLS.get(currency, '')}%{{y:,.0f}}<extra>MRR</extra>",
        )
    )
    for kind, symbol, color, name in (
        ("start", "triangle-up", GREEN, "Contract start"),
        ("end", "triangle-down", RED, "Contract end"),
    ):
        chosen = [e for e in events if e.kind == kind and e.day in mrr_on]
        if chosen:
            fig.add_trace(
                go.Scatter(
                    x=[e.day for e in chosen],
                    y=[mrr_on[e.day] for e in chosen],
                    name=name,
                    mode="markers",
                    marker={
                        "symbol": symbol,
                        "size": 11,
                        "color": color,
                        "line": {"width": 1, "color": "white"},
                    },
                    text=[escape(e.label) for e in chosen],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    fig.update_yaxes(
        rangemode="tozero", tickformat="~s", tickprefix=CURRENCY_SYMBOLS.get(currency, "")
    )
    return _layout(fig)


def weekly(points: Sequence) -> list:
    """Every 7th point counting back from the newest, oldest first: one sample per week."""
    return list(points[::-1][::7])[::-1]


def usage_figure(points: Sequence) -> go.Figure:
    """Active users (30 days) against seats, and events per week (the trailing 30 days' events
    x 7 / 30) as bars on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if not points:
        return _empty(fig, "No usage yet")
    days = [p.as_of for p in points]
    samples = weekly(points)
    fig.add_trace(
        go.Bar(
            x=[p.as_of for p in samples],
            y=[p.events_30d * 7 / 30 for p in samples],
            name="Events / week",
            marker={"color": "rgba(12,166,120,0.35)"},
            hovertemplate="%{y:,.0f}<extra>Events / week</extra>",
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[p.active_users_30d for p in points],
            name="Active users",
            mode="lines",
            line={"color": BLUE, "width": 2},
            hovertemplate="%{y}<extra>Active users</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[p.seats for p in points],
            name="Seats",
            mode="lines",
            line={"color": MUTED, "width": 1.5, "dash": "dash", "shape": "hv"},
            hovertemplate="%{y}<extra>Seats</extra>",
        )
    )
    fig.update_yaxes(title_text="Users", rangemode="tozero", secondary_y=False)
    _secondary_axis(fig, "Events / week", tickformat="~s")
    fig.update_layout(bargap=0.35)
    return _layout(fig)


def adoption_figure(points: Sequence) -> go.Figure:
    """Seat utilisation and feature adoption in percent, and the number of features used."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if not points:
        return _empty(fig, "No usage yet")
    days = [p.as_of for p in points]
    max_features = max(p.features_used_30d for p in points)
    for attribute, name, color in (
        ("seat_utilization", "Seat utilisation", BLUE),
        ("feature_adoption", "Feature adoption", ORANGE),
    ):
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[getattr(p, attribute) for p in points],
                name=name,
                mode="lines",
                line={"color": color, "width": 2},
                hovertemplate=f"%{{y:.0f}}%<extra>{name}</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=[p.features_used_30d for p in points],
            name="Features used",
            mode="lines",
            line={"color": TEAL, "width": 1.5, "dash": "dot", "shape": "hv"},
            hovertemplate="%{y}<extra>Features used</extra>",
        ),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="%", rangemode="tozero", secondary_y=False)
    _secondary_axis(fig, "Features", dtick=1 if max_features <= 8 else None)
    return _layout(fig)


def tickets_figure(months: Sequence) -> go.Figure:
    """Tickets opened per month (bars) and the mean first response in hours (line)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if not any(m.opened or m.avg_first_response_hours is not None for m in months):
        return _empty(fig, "No tickets in the last 12 months")
    labels = [m.month for m in months]
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[m.opened for m in months],
            name="Tickets opened",
            marker={"color": "rgba(59,91,219,0.55)"},
            hovertemplate="%{y}<extra>Opened</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[m.avg_first_response_hours for m in months],
            name="First response (h)",
            mode="lines+markers",
            connectgaps=False,
            line={"color": ORANGE, "width": 2},
            marker={"size": 6},
            hovertemplate="%{y:.1f} h<extra>First response</extra>",
        ),
        secondary_y=True,
    )
    fig.update_xaxes(tickformat="%b %y", dtick="M2")
    fig.update_yaxes(title_text="Tickets", rangemode="tozero", secondary_y=False)
    _secondary_axis(fig, "Hours")
    fig.update_layout(bargap=0.3)
    return _layout(fig)


def survey_tone(kind: str, score: int) -> str:
    """bad, neutral or good: detractor / passive / promoter for NPS, by thirds of the scale
    otherwise (CSAT 4-5 is satisfied, kpi-spec section 5)."""
    if kind == "nps":
        return "bad" if score <= 6 else ("neutral" if score <= 8 else "good")
    if kind == "csat":
        return "bad" if score <= 3 else "good"
    return "bad" if score <= 3 else ("neutral" if score <= 5 else "good")


TONE_COLORS = {"bad": RED, "neutral": YELLOW, "good": GREEN}


def surveys_figure(responses: Sequence, window: tuple[date, date] | None = None) -> go.Figure:
    """Each survey answer over time, one row per kind on its own scale (NPS 0-10, CSAT 1-5,
    CES 1-7), coloured detractor / passive / promoter; over `window` when given, so its time
    axis lines up with the other charts of the page."""
    kinds = [kind for kind in SURVEY_SCALES if any(r.kind == kind for r in responses)]
    if not kinds:
        return _empty(go.Figure(), "No survey answers in the last 12 months")
    fig = make_subplots(
        rows=len(kinds),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=None,
    )
    for row, kind in enumerate(kinds, start=1):
        label, low, high = SURVEY_SCALES[kind]
        answers = sorted((r for r in responses if r.kind == kind), key=lambda r: r.responded_at)
        fig.add_trace(
            go.Scatter(
                x=[r.responded_at for r in answers],
                y=[r.score for r in answers],
                name=label,
                mode="markers",
                marker={
                    "size": 9,
                    "color": [TONE_COLORS[survey_tone(kind, r.score)] for r in answers],
                    "line": {"width": 1, "color": "white"},
                    "opacity": 0.9,
                },
                text=[_survey_hover(r) for r in answers],
                hovertemplate=f"{label} %{{y}}<br>%{{text}}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(
            title_text=label, range=[low - 0.7, high + 0.7], tickvals=[low, high], row=row, col=1
        )
    _layout(fig, height=110 + 90 * len(kinds), legend=False)
    fig.update_layout(hovermode="closest")
    if window:
        fig.update_xaxes(range=[window[0], window[1] + timedelta(days=1)])
    return fig


def _survey_hover(response) -> str:
    """Who answered and the start of their comment; their words are escaped, since Plotly reads
    a few HTML tags in hover text."""
    who = escape(str(response.contact)) if getattr(response, "contact", None) else "anonymous"
    comment = shorten(response.comment, 80, placeholder="…") if response.comment else ""
    return f"{who}<br><i>{escape(comment)}</i>" if comment else who
