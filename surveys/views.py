"""Survey pages: the public answer page (no login, reached by an emailed token) and the account
page's "send survey" action. The results page, which reads the KPI registry too, is web's.

The public views trust nothing but the token: an unknown, expired or used one gets a page saying
so and stores nothing; the answer is validated by the surveys.csv rules before it is stored.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_account_for_action
from surveys import selectors, services
from surveys.defaults import INVITE_PERMISSION
from surveys.forms import InviteForm, ResponseForm
from surveys.models import Invitation, InvitationStatus

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
        messages.error(request, "No survey sent: " + " ".join(errors), extra_tags="contacts")
        return redirect(back)
    survey, contact = form.cleaned_data["survey"], form.cleaned_data["contact"]
    if contact is None:
        outcome = services.invite_account(survey=survey, account=account, invited_by=request.user)
    else:
        outcome = services.invite_contacts(
            survey=survey, contacts=[contact], invited_by=request.user
        )
    level = messages.SUCCESS if outcome.created else messages.WARNING
    messages.add_message(
        request, level, f"{survey.get_kind_display()}: {outcome.summary()}.", extra_tags="contacts"
    )
    return redirect(back)
