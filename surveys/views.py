"""Survey pages: the public answer page (no login, reached by an emailed token), the results
page with its CSV export, and the account page's "send survey" action.

The public views trust nothing but the token: an unknown, expired or used one gets a page saying
so and stores nothing; the answer is validated by the surveys.csv rules before it is stored.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_account_for_action, user_sees_all_accounts
from accounts.selectors import account_list_choices
from metrics.registry import PORTFOLIO
from surveys import charts, selectors, services
from surveys.defaults import INVITE_PERMISSION
from surveys.exports import csv_lines
from surveys.forms import InviteForm, ResponseForm, ResultsFilterForm
from surveys.models import Invitation, InvitationStatus, ScoreGroup

# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is not one of ours.
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# An answer is a score and a comment of at most 10,000 characters: a larger body is refused
# before it is parsed.
MAX_ANSWER_BYTES = 64 * 1024
COMMENTS_PAGE_SIZE = 25

# Public pages


def _problem(request: HttpRequest, problem: str, invitation=None, *, status: int) -> HttpResponse:
    context = {"problem": problem, "invitation": invitation}
    return render(request, "surveys/problem.html", context, status=status)


def _open_invitation(request: HttpRequest, token: str) -> Invitation | HttpResponse:
    """The invitation behind the link, or the page that explains why it cannot be answered."""
    invitation = selectors.invitation_for_token(token) if TOKEN.fullmatch(token) else None
    if invitation is None:
        return _problem(request, "unknown", status=404)
    if invitation.status == InvitationStatus.ANSWERED:
        return _problem(request, "answered", invitation, status=410)
    if invitation.is_expired:
        return _problem(request, "expired", invitation, status=410)
    return invitation


def _too_large(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_ANSWER_BYTES
    except ValueError:
        return True


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The survey: the scale as large buttons and the follow-up question (CSRF-protected)."""
    found = _open_invitation(request, token)
    if isinstance(found, HttpResponse):
        return found
    invitation, status = found, 200
    form = ResponseForm(survey=invitation.survey)
    if request.method == "POST":
        if _too_large(request):
            return _problem(request, "too_large", invitation, status=413)
        form = ResponseForm(request.POST, survey=invitation.survey)
        if form.is_valid():
            try:
                services.response_record(
                    invitation_id=invitation.pk,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.InvitationClosed as closed:  # a double submit, or just expired
                return _problem(request, closed.reason, invitation, status=410)
            return redirect("survey_thanks", token=token)
        status = 400
    context = {"invitation": invitation, "survey": invitation.survey, "form": form,
               "selected": form.data.get("score", "") if form.is_bound else ""}  # fmt: skip
    return render(request, "surveys/respond.html", context, status=status)


@login_not_required
@never_cache
@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_for_token(token) if TOKEN.fullmatch(token) else None
    if invitation is None:
        return _problem(request, "unknown", status=404)
    if invitation.status != InvitationStatus.ANSWERED:
        return redirect("survey_respond", token=token)
    return render(request, "surveys/thanks.html", {"invitation": invitation})


# The results page


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
    sentiment = selectors.sentiment_months(accounts=accounts, months=months)
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
            "nps": charts.nps_chart(sentiment),
            "satisfaction": charts.satisfaction_chart(sentiment),
            "rate": charts.response_rate_chart(rates),
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
    response = StreamingHttpResponse(
        csv_lines(rows.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    name = f"survey-responses-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The account page's action


@require_POST
def account_invite(request: HttpRequest, account_id: int) -> HttpResponse:
    """Send the chosen survey to one contact of the account or to all its current contacts."""
    account = get_account_for_action(request.user, account_id)
    if not request.user.has_perm(f"surveys.{INVITE_PERMISSION}"):
        raise PermissionDenied("Your role may read survey results but not send surveys.")
    back = f"{reverse('account_detail', args=[account.pk])}#contacts"
    form = InviteForm(request.POST, account=account)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "No survey sent: " + " ".join(errors))
        return redirect(back)
    survey, contact = form.cleaned_data["survey"], form.cleaned_data["contact"]
    if contact is None:
        outcome = services.invite_account(survey=survey, account=account, invited_by=request.user)
    else:
        outcome = services.invite_contacts(
            survey=survey, contacts=[contact], invited_by=request.user
        )
    level = messages.SUCCESS if outcome.created else messages.WARNING
    messages.add_message(request, level, f"{survey.get_kind_display()}: {outcome.summary()}.")
    return redirect(back)
