"""The renewal desk: the renewals of the next days with the model's probability and the CSM's
call side by side, the quarter's forecast and how past forecasts fared, and the reasons report.

They compose accounts, healthscores, churn and renewals, so they live with the other composed
pages. Every read starts from `accounts_visible_to`; a call or a reason is written only by
those who may act on the account and hold the permission (the owner, her group's owner, admins).
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.access import accounts_visible_to, require_may_act, user_sees_all_accounts
from core.charts import chart_html
from renewals import charts, selectors, services
from renewals.definitions import definitions
from renewals.forms import OutcomeReasonForm, RenewalCallForm, RenewalFilterForm
from renewals.models import ForecastSource, OutcomeKind, RenewalOutcome
from renewals.quarters import next_quarter, quarter_end, quarter_label, quarter_start

CALL_PERMISSION = "renewals.add_renewalcall"
REASON_PERMISSION = "renewals.record_churn_reason"
REASONS_MONTHS = 12


def _owners(request: HttpRequest) -> list[tuple[int, str]]:
    if not user_sees_all_accounts(request.user):
        return []
    users = get_user_model().objects.filter(owned_accounts__isnull=False).distinct()
    return [(u.pk, u.get_full_name() or u.username) for u in users.order_by("username")]


@require_GET
def renewals_page(request: HttpRequest) -> HttpResponse:
    """The renewals ending in the next 30, 90 or 180 days, with the model's churn probability
    and the owner's call side by side; the owner records her call here."""
    today = timezone.localdate()
    form = RenewalFilterForm({"days": 90} | request.GET.dict(), owners=_owners(request))
    params = form.params()
    rows = selectors.renewal_rows(user=request.user, today=today, **params)
    context = {
        "form": form,
        "params": params,
        "rows": rows,
        "today": today,
        "grace": settings.RENEWAL_GRACE_DAYS,
        "arr_total": sum(row.arr for row in rows),
        "can_call": request.user.has_perm(CALL_PERMISSION),
        "call_form": RenewalCallForm(),
        "definitions": definitions(),
        "open_outcomes": list(selectors.open_outcomes(owner=request.user)[:20]),
        "reason_form": OutcomeReasonForm(),
        "can_give_reasons": request.user.has_perm(REASON_PERMISSION),
    }
    return render(request, "renewals/page.html", context)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
def renewal_call(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The owner's call on one of her renewals: 404 for a renewal she may not see, 403 for one
    she may only read or without the permission (leaders read calls, never make them)."""
    contract = selectors.get_renewal_for_call(request.user, contract_id)
    if contract is None:
        raise Http404("No such renewal.")
    require_may_act(request.user, contract.account)
    if not request.user.has_perm(CALL_PERMISSION):
        raise PermissionDenied("Calls on a renewal are the account owner's.")
    form = RenewalCallForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, f"The call was not saved: {problems}")
        return _back(request, reverse("renewals"))
    services.renewal_call_record(
        contract=contract, user=request.user, call=form.cleaned_data["call"],
        probability=form.churn_probability(), note=form.cleaned_data["note"],
    )  # fmt: skip
    messages.success(request, f"Your call on {contract.account.name} is saved.")
    return _back(request, reverse("renewals"))


@require_POST
def outcome_reason(request: HttpRequest, outcome_id: int) -> HttpResponse:
    """The reason of a churn or downsell, picked from the library by whoever may act on it."""
    visible = accounts_visible_to(request.user).values("pk")
    outcome = get_object_or_404(
        RenewalOutcome.objects.select_related("account").exclude(kind=OutcomeKind.RENEWED),
        pk=outcome_id,
        account__in=visible,
    )
    require_may_act(request.user, outcome.account)
    if not request.user.has_perm(REASON_PERMISSION):
        raise PermissionDenied("The reason of a churn is given by the account's owner.")
    form = OutcomeReasonForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, f"The reason was not saved: {problems}")
        return _back(request, reverse("renewals"))
    services.outcome_reason_set(
        outcome=outcome, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
        user=request.user,
    )  # fmt: skip
    messages.success(request, f"Reason saved for {outcome.account.name}.")
    return _back(request, reverse("renewals"))


def _quarter_choices(today: date) -> list[date]:
    current = quarter_start(today)
    return [current, next_quarter(current)]


@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    """The quarter's forecast (model, CSM calls, blend side by side) for the portfolio and each
    owner's book (a CSM: her own), and the scorecard of a closed quarter: its forecasts 90, 60
    and 30 days before its end against what renewed."""
    today = timezone.localdate()
    choices = _quarter_choices(today)
    start = next((q for q in choices if q.isoformat() == request.GET.get("quarter")), choices[0])
    books = selectors.forecast_books(user=request.user, today=today, start=start)
    closed = selectors.scored_quarters(today=today)
    scored = next((q for q in closed if q.isoformat() == request.GET.get("scored")), None)
    scored = scored or (closed[0] if closed else None)
    scorecard = (
        selectors.quarter_scorecard(user=request.user, start=scored, today=today)
        if scored
        else None
    )
    context = {
        "today": today,
        "quarter": {"start": start, "end": quarter_end(start), "label": quarter_label(start)},
        "quarters": [(q, quarter_label(q)) for q in choices],
        "closed": [(q, quarter_label(q)) for q in closed],
        "books": books,
        "sources": list(ForecastSource),
        "chart": chart_html(
            charts.forecast_chart(books[0].by_source, currency=settings.CURRENCY),
            div_id="chart-forecast",
        ),
        "scorecard": scorecard,
        "definitions": definitions(),
    }
    return render(request, "renewals/forecast.html", context)


@require_GET
def reasons_page(request: HttpRequest) -> HttpResponse:
    """Why accounts churned or downsold over the last 12 months: by count and ARR lost, by
    segment and by month, for the accounts the user may see."""
    today = timezone.localdate()
    since = (today.replace(day=1) - timedelta(days=31 * (REASONS_MONTHS - 1))).replace(day=1)
    report = selectors.reasons_report(user=request.user, since=since)
    currency = settings.CURRENCY
    context = {
        "since": since,
        "report": report,
        "total_count": sum(row["count"] for row in report["by_reason"]),
        "total_arr": sum(row["arr"] for row in report["by_reason"]),
        "charts": {
            "reasons": chart_html(
                charts.reasons_chart(report["by_reason"], currency=currency), div_id="chart-reasons"
            ),
            "months": chart_html(
                charts.reasons_by_month_chart(report["by_month"], currency=currency),
                div_id="chart-reasons-months",
            ),
            "segments": chart_html(
                charts.reasons_by_segment_chart(report["by_segment"], currency=currency),
                div_id="chart-reasons-segments",
            ),
        },
        "definitions": definitions(),
    }
    return render(request, "renewals/reasons.html", context)
