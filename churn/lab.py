"""The churn models' panel on the health lab page (settings.HEALTH_LAB_PANELS lists it, so the
healthscores app, below churn, imports nothing from it)."""

from churn import charts
from churn.backtest import NotEnoughHistory, plan, stored_dates
from churn.selectors import active_models
from core.charts import chart_html

TEMPLATE = "churn/lab_panel.html"


def lab_panel() -> dict:
    """The active models' out-of-time figures beside the health score's, their reliability
    diagram, and, with no model, whether the stored history is long enough to train one."""
    models = active_models()
    context = {"template": TEMPLATE, "models": models, "history_note": None, "chart": None}
    if models:
        context["chart"] = chart_html(charts.reliability_chart([
            {"label": f"{m.horizon_days} days (v{m.version})",
             "calibration": m.metrics.get("calibration", [])} for m in models
        ]))  # fmt: skip
        return context
    try:
        plan(stored_dates(), 90)
        context["history_note"] = (
            "No churn model is trained yet: run python manage.py churn_model train --horizon 90."
        )
    except NotEnoughHistory as problem:
        context["history_note"] = f"No churn model can be trained yet. {problem}"
    return context
