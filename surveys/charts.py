"""The results page's charts: pure functions from selector output to Plotly figures.

Each `*_chart` writes the figure as a plain dict (the house way, see core/charts.py), which the
page hands to plotly.js through core.charts.figure_json; `as_figure` turns one into a validated
go.Figure for tests.
"""

from collections.abc import Sequence

from core.charts import (
    BLUE,
    FONT,
    GRID,
    GROUP_COLORS,
    INK,
    MUTED,
    ORANGE,
    SLATE,
    TEAL,
    VIOLET,
    as_figure,
    count_axis,
    empty_state_note,
    tint,
)
from surveys.models import SCORE_GROUPS, ScoreGroup, SurveyKind
from surveys.selectors import RateMonth, SentimentMonth


def _labels(months: Sequence) -> list[str]:
    return [m.month.strftime("%b %Y") for m in months]


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def _layout(**extra) -> dict:
    layout = {
        "height": 320,
        "margin": {"l": 52, "r": 52, "t": 40, "b": 40},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": FONT, "size": 12, "color": INK},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"showgrid": False, "type": "category"},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "tickfont": {"color": MUTED}},
    }
    return {**layout, **extra}


def _empty(message: str) -> dict:
    hidden = {"visible": False}
    layout = _layout(height=220, annotations=[empty_state_note(message)], xaxis=hidden,
                     yaxis=hidden, showlegend=False)  # fmt: skip
    return {"data": [], "layout": layout}


def nps_chart(months: Sequence[SentimentMonth]) -> dict:
    """Promoters, passives and detractors as shares of each month's NPS answers (stacked to
    100 %) above, and the NPS (-100..100) as a line below on its own axis: on one axis a share
    of 40 % and an NPS of 40 read as the same thing."""
    if not any(m.nps_responses for m in months):
        return _empty("No NPS answers in this period")
    labels = _labels(months)
    top, bottom = SCORE_GROUPS[SurveyKind.NPS]
    groups = (
        (f"Detractors (0-{top})", ScoreGroup.DETRACTOR, [m.nps_detractors for m in months]),
        (
            f"Passives ({top + 1}-{bottom - 1})",
            ScoreGroup.PASSIVE,
            [m.nps_passives for m in months],
        ),
        (f"Promoters ({bottom}-10)", ScoreGroup.PROMOTER, [m.nps_promoters for m in months]),
    )
    bars = [
        {
            "type": "bar",
            "x": labels,
            "y": [_percent(n, m.nps_responses) for n, m in zip(counts, months, strict=True)],
            "customdata": counts,
            "name": name,
            "marker": {"color": GROUP_COLORS[group]},
            "hovertemplate": f"{name}: %{{y:.0f}}% (%{{customdata}})<extra></extra>",
        }
        for name, group, counts in groups
    ]
    line = {
        "type": "scatter",
        "x": labels,
        "y": [_percent(m.nps_promoters - m.nps_detractors, m.nps_responses) for m in months],
        "name": "NPS",
        "mode": "lines+markers",
        "line": {"color": VIOLET, "width": 3},
        "marker": {"size": 7},
        "connectgaps": True,
        "hovertemplate": "NPS: %{y:.0f}<extra></extra>",
        "yaxis": "y2",
    }
    shares = {"domain": [0.42, 1], "range": [0, 100], "ticksuffix": "%", "gridcolor": GRID,
              "title": {"text": "% of answers"}, "tickvals": [0, 50, 100]}  # fmt: skip
    nps = {"domain": [0, 0.3], "range": [-100, 100], "tickvals": [-100, 0, 100],
           "gridcolor": GRID, "zeroline": True, "zerolinecolor": SLATE,
           "title": {"text": "NPS"}}  # fmt: skip
    layout = _layout(barmode="stack", yaxis=shares, yaxis2=nps, height=360)
    layout["xaxis"] = {**layout["xaxis"], "anchor": "y2"}
    return {"data": [*bars, line], "layout": layout}


def satisfaction_chart(months: Sequence[SentimentMonth]) -> dict:
    """CSAT (share of answers scoring 4 or 5) on the left axis, mean CES (1..7) on the right."""
    if not any(m.csat_responses or m.ces_responses for m in months):
        return _empty("No CSAT or CES answers in this period")
    labels = _labels(months)
    csat = {
        "type": "scatter",
        "x": labels,
        "y": [_percent(m.csat_satisfied, m.csat_responses) for m in months],
        "customdata": [m.csat_responses for m in months],
        "name": "CSAT %",
        "mode": "lines+markers",
        "line": {"color": TEAL, "width": 3},
        "connectgaps": True,
        "hovertemplate": "CSAT: %{y:.1f}% of %{customdata} answers<extra></extra>",
    }
    ces = {
        "type": "scatter",
        "x": labels,
        "y": [m.ces_score_sum / m.ces_responses if m.ces_responses else None for m in months],
        "customdata": [m.ces_responses for m in months],
        "name": "CES (1-7)",
        "mode": "lines+markers",
        "line": {"color": ORANGE, "width": 3, "dash": "dot"},
        "connectgaps": True,
        "yaxis": "y2",
        "hovertemplate": "CES: %{y:.2f} over %{customdata} answers<extra></extra>",
    }
    return {
        "data": [csat, ces],
        "layout": _layout(
            yaxis={"range": [0, 100], "title": {"text": "CSAT %"}, "gridcolor": GRID},
            yaxis2={
                "range": [1, 7],
                "tickvals": [1, 2, 3, 4, 5, 6, 7],
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "title": {"text": "CES"},
            },
        ),
    }


def response_rate_chart(months: Sequence[RateMonth]) -> dict:
    """Invitations sent and answered per month (bars) and the response rate (line, right axis)."""
    if not any(m.sent for m in months):
        return _empty("No invitations sent in this period")
    labels = _labels(months)
    sent = {"type": "bar", "x": labels, "y": [m.sent for m in months], "name": "Sent",
            "marker": {"color": tint(BLUE, 0.25)},
            "hovertemplate": "Sent: %{y}<extra></extra>"}  # fmt: skip
    answered = {"type": "bar", "x": labels, "y": [m.answered for m in months],
                "name": "Answered", "marker": {"color": BLUE},
                "hovertemplate": "Answered: %{y}<extra></extra>"}  # fmt: skip
    rate = {
        "type": "scatter",
        "x": labels,
        "y": [m.rate for m in months],
        "name": "Response rate",
        "mode": "lines+markers",
        "line": {"color": INK, "width": 2},
        "yaxis": "y2",
        "connectgaps": False,
        "hovertemplate": "Response rate: %{y:.0f}%<extra></extra>",
    }
    return {
        "data": [sent, answered, rate],
        "layout": _layout(
            barmode="overlay",
            yaxis=count_axis(
                (m.sent for m in months), title={"text": "Invitations"}, gridcolor=GRID
            ),
            yaxis2={
                "range": [0, 100],
                "tickvals": [0, 25, 50, 75, 100],
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "title": {"text": "Response rate %"},
            },
        ),
    }


nps_figure = as_figure(nps_chart)
satisfaction_figure = as_figure(satisfaction_chart)
response_rate_figure = as_figure(response_rate_chart)
