"""Health pages and actions.

The alert and sentiment actions below are POSTs from the account 360 page; each finds its alert
or account through the access rule (404 otherwise) and goes back to where it came from.
"""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.access import accounts_visible_to, get_account_for_action, require_may_act
from accounts.forms import SentimentOverrideForm
from accounts.views import render_account_page
from healthscores.models import Alert
from healthscores.services import alert_acknowledge, alert_close, sentiment_override_add

# Alert actions and CSM sentiment (the account 360 page).


def _alerts_visible_to(user) -> QuerySet[Alert]:
    """Alerts of the accounts the user may see: the same rule as the accounts themselves."""
    return Alert.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def _get_alert_for_action(user, alert_id: int) -> Alert:
    """The alert to act on: 404 when its account is hidden, 403 when it may only be read."""
    alert = get_object_or_404(_alerts_visible_to(user).select_related("account"), pk=alert_id)
    require_may_act(user, alert.account)
    return alert


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """To the page the form was on when it is ours (`next`), else to `fallback`."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and safe else fallback)


def _account_url(account_id: int, anchor: str) -> str:
    return f"{reverse('account_detail', args=[account_id])}#{anchor}"


@require_POST
def alert_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert_for_action(request.user, alert_id)
    alert_acknowledge(alert=alert, user=request.user)
    messages.success(request, f"Alert acknowledged: {alert.get_reason_display()}.")
    return _back(request, _account_url(alert.account_id, "alerts"))


@require_POST
def alert_close_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert_for_action(request.user, alert_id)
    alert_close(alert=alert, user=request.user)
    messages.success(request, f"Alert closed: {alert.get_reason_display()}.")
    return _back(request, _account_url(alert.account_id, "alerts"))


@require_POST
def sentiment_override_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """Record the CSM's own band and reason beside the computed score (never replacing it)."""
    account = get_account_for_action(request.user, account_id)
    form = SentimentOverrideForm(request.POST)
    if not form.is_valid():
        return render_account_page(request, account, sentiment_form=form, status=400)
    sentiment_override_add(
        account=account,
        author=request.user,
        band=form.cleaned_data["band"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, "Your sentiment is recorded beside the health score.")
    return HttpResponseRedirect(_account_url(account.pk, "sentiment"))
