"""The survey results page and its CSV export: NPS, CSAT and CES over time for the accounts a
user may see. It reads the surveys app and the KPI registry's definitions (metrics), so it lives
with the composed pages."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import user_sees_all_accounts
from accounts.selectors import account_list_choices
from core.charts import figure_json
from core.exports import csv_response
from metrics.registry import PORTFOLIO
from surveys import charts, selectors
from surveys.exports import HEADER, row_values
from surveys.forms import ResultsFilterForm
from surveys.models import ScoreGroup
from web.selectors import sentiment_months

COMMENTS_PAGE_SIZE = 25


def _results_params(request: HttpRequest) -> tuple[ResultsFilterForm, selectors.ResultsParams]:
    choices = account_list_choices(user=request.user)
    form = ResultsFilterForm(request.GET, segments=choices.segments, owners=choices.owners)
    return form, selectors.ResultsParams(**form.params())


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """NPS, CSAT and CES over time, the response rate, detractor follow-up and the comments,
    for the accounts the user may see; every figure says what it counts."""
    form, params = _results_params(request)
    today = timezone.localdate()
    months = selectors.period_months(today=today, months=params.months)
    accounts = selectors.results_accounts(user=request.user, params=params)
    sentiment = sentiment_months(accounts=accounts, months=months)
    rates = selectors.response_rates(accounts=accounts, months=months, kind=params.kind)
    comments = selectors.comments(accounts=accounts, params=params, since=months[0])
    page = Paginator(comments, COMMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "params": params,
        "query": query.urlencode(),
        "since": months[0],
        "totals": _period_totals(sentiment, rates),
        "follow_ups": selectors.follow_ups(
            accounts=accounts, since=months[0], today=today, kind=params.kind
        ),
        "charts": {
            "nps": figure_json(charts.nps_chart(sentiment)),
            "satisfaction": figure_json(charts.satisfaction_chart(sentiment)),
            "rate": figure_json(charts.response_rate_chart(rates)),
        },
        "page": page,
        "detractor": ScoreGroup.DETRACTOR,
        # The KPI registry's definitions (kpi-spec section 5), for the tooltips and notes.
        "definitions": {key: PORTFOLIO[key].definition for key in ("nps", "csat", "ces")},
        "sees_all": user_sees_all_accounts(request.user),
    }
    return render(request, "surveys/results.html", context)


def _period_totals(sentiment, rates) -> dict:
    """The period's figures from the monthly counts (kpi-spec section 5 over several months)."""
    total = {name: sum(getattr(m, name) for m in sentiment) for name in selectors.SENTIMENT_COUNTS}
    sent, answered = sum(m.sent for m in rates), sum(m.answered for m in rates)

    def share(part, whole):
        return part / whole * 100 if whole else None

    return {
        **total,
        "nps_passives": total["nps_responses"] - total["nps_promoters"] - total["nps_detractors"],
        "nps": share(total["nps_promoters"] - total["nps_detractors"], total["nps_responses"]),
        "csat": share(total["csat_satisfied"], total["csat_responses"]),
        "ces": total["ces_score_sum"] / total["ces_responses"] if total["ces_responses"] else None,
        "sent": sent,
        "answered": answered,
        "response_rate": share(answered, sent),
        "as_of": max((m.as_of for m in sentiment if m.as_of), default=None),
    }


@require_GET
def results_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every response of the page's filter as CSV (the same access rule and period)."""
    _form, params = _results_params(request)
    today = timezone.localdate()
    months = selectors.period_months(today=today, months=params.months)
    accounts = selectors.results_accounts(user=request.user, params=params)
    rows = selectors.export_responses(accounts=accounts, params=params, since=months[0])
    lines = (row_values(response) for response in rows.iterator(chunk_size=2000))
    return csv_response(f"survey-responses-{today.isoformat()}.csv", HEADER, lines)
