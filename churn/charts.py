"""Churn model charts: pure functions from stored backtest figures to Plotly figures."""

import plotly.graph_objects as go

from core.charts import BLUE, DARK_GREY, GRID, ORANGE, TEAL, VIOLET

COLORS = (BLUE, ORANGE, TEAL, VIOLET)


def reliability_chart(models: list[dict]) -> go.Figure:
    """The reliability diagram: per decile of predicted probability, the mean prediction
    (x) against the share that churned (y) on the out-of-time test dates; on the diagonal,
    a prediction of p means p churned. `models`: {"label", "calibration": [[p, o, n], ...]}."""
    fig = go.Figure()
    top = max([0.05] + [max(p, o) for m in models for p, o, _n in m["calibration"]])
    top = min(1.0, top * 1.1)
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="perfectly calibrated",
                    line={"color": DARK_GREY, "dash": "dot"}, hoverinfo="skip")  # fmt: skip
    for i, model in enumerate(models):
        bins = model["calibration"]
        fig.add_scatter(
            x=[p for p, _o, _n in bins], y=[o for _p, o, _n in bins], name=model["label"],
            mode="lines+markers", line={"color": COLORS[i % len(COLORS)]},
            customdata=[n for _p, _o, n in bins],
            hovertemplate="predicted %{x:.1%}<br>churned %{y:.1%}<br>%{customdata} rows"
            "<extra></extra>",
        )  # fmt: skip
    fig.update_layout(
        title={"text": "Reliability: predicted vs observed churn (test dates)", "x": 0,
               "font": {"size": 15}},
        height=340, margin={"l": 60, "r": 10, "t": 45, "b": 50},
        legend={"orientation": "h", "y": -0.25}, plot_bgcolor="#fff", paper_bgcolor="#fff",
        xaxis_title="predicted probability (decile mean)", yaxis_title="share that churned",
    )  # fmt: skip
    fig.update_xaxes(range=[0, top], tickformat=".0%", gridcolor=GRID)
    fig.update_yaxes(range=[0, top], tickformat=".0%", gridcolor=GRID)
    return fig
