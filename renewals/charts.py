"""The renewal desk's charts: pure functions from selector output to Plotly figures (dicts, the
house way of core/charts.py), drawn with chart_html."""

from collections import defaultdict

from core.charts import (
    BLUE,
    FONT,
    GREY,
    GRID,
    INK,
    MUTED,
    ORANGE,
    RED,
    SKY,
    SLATE,
    TEAL,
    VIOLET,
    YELLOW,
    empty_state_note,
    money_axis,
    money_hover,
)
from renewals.models import ForecastSource

SOURCE_COLORS = {ForecastSource.MODEL: BLUE, ForecastSource.CSM: ORANGE, ForecastSource.BLEND: TEAL}
# A reason's colour in the stacked charts; "No reason yet" is always grey.
REASON_COLORS = [RED, ORANGE, YELLOW, VIOLET, BLUE, TEAL, SKY, INK, SLATE]
NO_REASON = "No reason yet"


def _layout(**extra) -> dict:
    return {
        "height": 300,
        "margin": {"l": 64, "r": 16, "t": 16, "b": 48},
        "font": {"family": FONT, "color": INK, "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"gridcolor": GRID},
        **extra,
    }


def forecast_chart(by_source: dict, *, currency: str) -> dict:
    """Expected renewing ARR by source with its 80 % interval, against the ARR at stake."""
    sources = [s for s in ForecastSource if by_source[s].expected_arr is not None]
    values = [float(by_source[s].expected_arr) for s in sources]
    pairs = list(zip(sources, values, strict=True))
    at_stake = float(next(iter(by_source.values())).arr_at_stake)
    data = [
        {
            "type": "bar",
            "x": [s.label for s in sources],
            "y": values,
            "marker": {"color": [SOURCE_COLORS[s] for s in sources]},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": [float(by_source[s].high_arr) - v for s, v in pairs],
                "arrayminus": [v - float(by_source[s].low_arr) for s, v in pairs],
                "color": INK,
            },
            "name": "Expected renewing ARR (80 % interval)",
            "hovertemplate": f"%{{x}}: {money_hover(currency)}<extra></extra>",
        }
    ]
    layout = _layout(
        yaxis=money_axis([*values, at_stake], currency, gridcolor=GRID),
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": at_stake,
                 "y1": at_stake, "line": {"color": MUTED, "dash": "dash"}}],
        annotations=[{"text": "ARR at stake", "xref": "paper", "x": 1, "y": at_stake,
                      "showarrow": False, "yanchor": "bottom", "xanchor": "right",
                      "font": {"color": MUTED}}],
    )  # fmt: skip
    if not sources:
        layout["annotations"] = [empty_state_note("No renewal has a probability yet.")]
    return {"data": data, "layout": layout}


def _reason(row: dict) -> str:
    return row["reason__name"] or NO_REASON


def reasons_chart(by_reason: list[dict], *, currency: str) -> dict:
    """ARR lost by reason, largest first, the count in the hover."""
    rows = sorted(by_reason, key=lambda row: row["arr"])
    data = [{
        "type": "bar", "orientation": "h", "marker": {"color": RED},
        "x": [float(row["arr"]) for row in rows], "y": [_reason(row) for row in rows],
        "customdata": [row["count"] for row in rows],
        "hovertemplate": f"%{{y}}: {money_hover(currency, 'x')} · %{{customdata}} accounts"
                         "<extra></extra>",
    }]  # fmt: skip
    layout = _layout(
        xaxis=money_axis([row["arr"] for row in rows], currency, gridcolor=GRID),
        margin={"l": 150, "r": 16, "t": 16, "b": 40},
    )
    if not rows:
        layout["annotations"] = [empty_state_note("No churn or downsell in the period.")]
    return {"data": data, "layout": layout}


def _stacked(rows: list[dict], key: str, labels, *, currency: str) -> dict:
    reasons = sorted({_reason(row) for row in rows})
    values: dict[str, dict] = defaultdict(dict)
    for row in rows:
        values[_reason(row)][row[key]] = float(row["arr"])
    data = [
        {
            "type": "bar", "name": reason, "x": [label for _value, label in labels],
            "y": [values[reason].get(value, 0) for value, _label in labels],
            "marker": {"color": GREY if reason == NO_REASON else REASON_COLORS[i % 9]},
            "hovertemplate": f"{reason}: {money_hover(currency)}<extra></extra>",
        }
        for i, reason in enumerate(reasons)
    ]  # fmt: skip
    layout = _layout(
        barmode="stack", yaxis=money_axis([row["arr"] for row in rows], currency, gridcolor=GRID)
    )
    if not rows:
        layout["annotations"] = [empty_state_note("No churn or downsell in the period.")]
    return {"data": data, "layout": layout}


def reasons_by_month_chart(by_month: list[dict], *, currency: str) -> dict:
    months = sorted({row["month"] for row in by_month})
    return _stacked(by_month, "month", [(m, m.strftime("%b %Y")) for m in months],
                    currency=currency)  # fmt: skip


def reasons_by_segment_chart(by_segment: list[dict], *, currency: str) -> dict:
    segments = sorted({row["account__segment"] for row in by_segment})
    return _stacked(by_segment, "account__segment", [(s, s or "No segment") for s in segments],
                    currency=currency)  # fmt: skip
