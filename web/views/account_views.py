"""Views: named filters of accounts, saved from the accounts list and picked on the list and the
portfolio; their page shows each view's account count and MRR.

A personal view is its owner's alone (another user gets 404, whatever the role); shared views
are read by their team (everyone without one) and made, changed and deleted by leaders and
admins (accounts.access). A view's filter is the list's query it was saved from, read by the
list's own form, so a view means exactly what the list showed. The accounts always pass the
access rule on top: a CSM's view shows only her accounts.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.access import (
    accounts_actable_by,
    get_view_for_edit,
    get_view_for_user,
    user_may_edit_view,
    user_may_manage_shared_views,
    views_readable_by,
)
from accounts.filters import ViewFilter
from accounts.models import View
from accounts.services import view_delete, view_save
from metrics.freshness import data_freshness
from surveys import services as survey_services
from surveys.defaults import INVITE_PERMISSION
from surveys.forms import SendSurveyForm
from web import selectors
from web.forms import AccountListForm, ViewForm, list_query


def _spec_from_query(request: HttpRequest, query: str) -> ViewFilter:
    """The filter a list query describes, read by the list's own form (a bad value is dropped,
    as the list drops it); on a view, its playbook conditions are kept."""
    data = QueryDict(query)
    choices = account_selectors.account_list_choices(user=request.user, groups_and_fields=True)
    params = AccountListForm(data, choices=choices).params()
    base = None
    if params.view is not None:
        base = account_selectors.view_spec(
            views_readable_by(request.user).filter(pk=params.view).first()
        )
    return params.spec(base)


def views_page(request: HttpRequest) -> HttpResponse:
    """The views the user may pick, with their account count and MRR (among the accounts the
    user may see, on the newest snapshot): a fixed number of queries whatever their number."""
    views = account_selectors.views_for_user(request.user)
    freshness = data_freshness()
    as_of = freshness.as_of
    specs = {view.pk: account_selectors.view_spec(view) for view in views}
    figures = selectors.view_figures(user=request.user, specs=specs, as_of=as_of)
    rows = [
        {
            "view": view,
            "figures": figures[view.pk],
            "may_edit": user_may_edit_view(request.user, view),
            "problem": account_selectors.view_problem(view),
            "open": f"{reverse('home')}?{urlencode(list_query(specs[view.pk], view_id=view.pk))}",
        }
        for view in views
    ]
    context = {
        "data_freshness": freshness,  # the layout's line reads it from here, not again
        "rows": rows,
        "as_of": as_of,
        "may_send": request.user.has_perm(f"surveys.{INVITE_PERMISSION}"),
        "survey_form": SendSurveyForm(),
    }
    return render(request, "accounts/views.html", context)


def _form_page(request: HttpRequest, form: ViewForm, view: View | None, status: int = 200):
    context = {"form": form, "view": view, "query": form["query"].value() or ""}
    return render(request, "accounts/view_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def view_create(request: HttpRequest) -> HttpResponse:
    """Save the list's current filter (`query`) as a view: GET shows the form, POST saves it or
    shows it again with each error at its field."""
    may_share = user_may_manage_shared_views(request.user)
    if request.method == "GET":
        form = ViewForm(
            initial={"query": request.GET.get("query", ""), "visibility": "personal"},
            user=request.user,
            may_share=may_share,
        )
        return _form_page(request, form, None)
    form = ViewForm(request.POST, user=request.user, may_share=may_share)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    view = view_save(
        owner=request.user,
        spec=_spec_from_query(request, form.cleaned_data["query"]),
        **_audience(form),
    )
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_open_url(view))


@require_http_methods(["GET", "POST"])
def view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    """Rename a view, change who sees it, or (with `query`, from the list) replace its filter
    with the list's current one."""
    view = get_view_for_edit(request.user, view_id)
    may_share = user_may_manage_shared_views(request.user)
    if request.method == "GET":
        form = ViewForm(
            instance=view,
            initial={"query": request.GET.get("query", "")},
            user=request.user,
            may_share=may_share,
        )
        return _form_page(request, form, view)
    form = ViewForm(request.POST, instance=view, user=request.user, may_share=may_share)
    if not form.is_valid():
        return _form_page(request, form, view, status=400)
    query = form.cleaned_data["query"]
    view = view_save(
        view=view,
        owner=request.user,
        spec=_spec_from_query(request, query) if query else None,
        **_audience(form),
    )
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_open_url(view))


def _audience(form: ViewForm) -> dict:
    cleaned = form.cleaned_data
    return {
        "name": cleaned["name"],
        "description": cleaned.get("description") or "",
        "visibility": cleaned["visibility"],
        "team": cleaned.get("team"),
    }


def _open_url(view: View) -> str:
    spec = account_selectors.view_spec(view)
    return f"{reverse('home')}?{urlencode(list_query(spec, view_id=view.pk))}"


@require_POST
def view_delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_view_for_edit(request.user, view_id)
    try:
        view_delete(view=view)
    except ProtectedError:
        messages.error(
            request, f"“{view.name}” was not deleted: a playbook triggers on it. Change the "
            "playbook first.",
        )  # fmt: skip
        return redirect("view_list")
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("view_list")


@require_POST
def view_survey_send(request: HttpRequest, view_id: int) -> HttpResponse:
    """Send a survey to every current contact of the view's accounts that the sender may act on
    (a CSM: her own; leaders and admins: all), through the same compiler as the list."""
    view = get_view_for_user(request.user, view_id)
    if not request.user.has_perm(f"surveys.{INVITE_PERMISSION}"):
        raise PermissionDenied("Your role may read survey results but not send surveys.")
    form = SendSurveyForm(request.POST)
    if not form.is_valid():
        errors = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"No survey sent: {errors}")
        return redirect("view_list")
    outcome = survey_services.invite_view(
        survey=form.cleaned_data["survey"],
        accounts=accounts_actable_by(request.user),
        spec=account_selectors.view_spec(view),
        invited_by=request.user,
        as_of=data_freshness().as_of,
        expires_in_days=form.cleaned_data["expires_in_days"],
    )
    level = messages.SUCCESS if outcome.created else messages.WARNING
    messages.add_message(request, level, f"“{view.name}”: {outcome.summary()}.")
    return redirect("view_list")
