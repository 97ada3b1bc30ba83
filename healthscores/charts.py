"""Health lab charts: pure functions from lab evaluations to Plotly figures."""

import plotly.graph_objects as go

from core.charts import BLUE, DARK_GREY, GRID, STEEL, count_axis
from healthscores.lab import BANDS, HORIZONS, Evaluation

CURRENT, PROPOSAL = "Current model", "Proposal"
COLORS = {CURRENT: STEEL, PROPOSAL: BLUE}


def _layout(fig: go.Figure, title: str, yaxis: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        barmode="group",
        height=300,
        margin={"l": 50, "r": 10, "t": 45, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        yaxis_title=yaxis,
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
    )
    fig.update_yaxes(gridcolor=GRID)
    return fig


def _pair(current: dict, proposal: dict, keys, labels) -> go.Figure:
    fig = go.Figure()
    for name, values in ((CURRENT, current), (PROPOSAL, proposal)):
        fig.add_bar(name=name, x=labels, y=[values.get(k) for k in keys],
                    marker_color=COLORS[name])  # fmt: skip
    return fig


def auc_chart(current: Evaluation, proposal: Evaluation) -> go.Figure:
    labels = [f"{h} days before churn" for h in HORIZONS]
    fig = _pair(current.auc, proposal.auc, HORIZONS, labels)
    fig.add_hline(y=0.5, line_dash="dot", line_color=DARK_GREY, annotation_text="coin toss")
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "ROC AUC of the score as a churn warning", "AUC")


def score_gap_chart(current: Evaluation, proposal: Evaluation) -> go.Figure:
    fig = go.Figure()
    labels = [f"{h} d" for h in HORIZONS]
    for name, evaluation in ((CURRENT, current), (PROPOSAL, proposal)):
        fig.add_bar(name=f"{name}: churners", x=labels, marker_color=COLORS[name],
                    y=[evaluation.mean_churner_score.get(h) for h in HORIZONS],
                    marker_pattern_shape="/")  # fmt: skip
        fig.add_bar(name=f"{name}: retained", x=labels, marker_color=COLORS[name],
                    y=[evaluation.mean_retained_score.get(h) for h in HORIZONS])  # fmt: skip
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, "Mean score of churners vs retained accounts", "score")


def band_distribution_chart(current: Evaluation, proposal: Evaluation) -> go.Figure:
    fig = _pair(current.band_distribution, proposal.band_distribution, BANDS, list(BANDS))
    counts = [*current.band_distribution.values(), *proposal.band_distribution.values()]
    fig.update_yaxes(**count_axis(counts))
    return _layout(fig, "Accounts per band on the latest date", "accounts")


def churn_by_band_chart(current: Evaluation, proposal: Evaluation) -> go.Figure:
    fig = _pair(current.churn_rate_by_band, proposal.churn_rate_by_band, BANDS, list(BANDS))
    return _layout(fig, "Churn within 90 days, by band 90 days ago", "% churned")
