"""Bulk actions from the accounts list: the two steps (what and to which accounts, then the
value and the count to confirm), the records of past actions and their undo.

The writes are accounts.bulk (owner, stage, custom field, tag), surveys.services (a survey) and
playbooks.services (a task each); this page lives in web because it composes the three. The
accounts come from the list's own selector (selectors.account_rows with the list's query
string) or the ticked rows, and always through accounts.bulk.bulk_targets' access rule.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import bulk
from accounts.models import (
    Account,
    BulkAction,
    BulkActionKind,
    CustomField,
    CustomFieldTarget,
    LifecycleStage,
)
from metrics.freshness import data_freshness
from playbooks.services import tasks_bulk_revert, tasks_create_bulk
from surveys.models import Survey
from surveys.services import SurveyNotActive, invitations_bulk_revert, invite_accounts_bulk
from web import selectors
from web.forms import BULK_FILTER, NO_OWNER, BulkSelectionForm, BulkValueForm
from web.views.accounts import _list_params

RECORDS_SHOWN = 50
ACCOUNTS_SHOWN = 100
REVERT = {BulkActionKind.TASK: tasks_bulk_revert, BulkActionKind.SURVEY: invitations_bulk_revert}
# The roles whose users may own accounts (accounts.demo.users, migration accounts 0002).
OWNER_GROUPS = ("CSM", "Leader", "Admin")


def bulk_kinds(user) -> list[str]:
    """The bulk actions the user's role may run (the list's action bar offers the same)."""
    return [kind for kind in BulkActionKind.values if bulk.user_may_bulk(user, kind)]


def _chosen_ids(request: HttpRequest, selection: BulkSelectionForm) -> list[int]:
    """The ticked rows, the confirmation page's frozen list, or (scope "filter") every account
    the list's filter in the query string matches, by the list's own selector."""
    if selection.cleaned_data["scope"] == BULK_FILTER and not selection.cleaned_data["account_ids"]:
        _form, params = _list_params(request)
        rows = selectors.account_rows(
            user=request.user, params=params, as_of=data_freshness().as_of
        )
        return list(rows.order_by().values_list("pk", flat=True))
    return selection.chosen_ids()


def _value_form(request: HttpRequest, kind: str, data=None) -> BulkValueForm:
    """The second step's form, with only the choices its kind needs (one query at most)."""
    choices = {}
    if kind == BulkActionKind.OWNER:
        choices["owners"] = list(
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=OWNER_GROUPS)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
    elif kind == BulkActionKind.FIELD:
        choices["fields"] = list(CustomField.objects.filter(target=CustomFieldTarget.ACCOUNT))
    elif kind == BulkActionKind.SURVEY:
        choices["surveys"] = list(Survey.objects.filter(is_active=True).order_by("name"))
    return BulkValueForm(data, kind=kind, **choices)


@require_POST
def bulk_action_start(request: HttpRequest) -> HttpResponse:
    """Step one (from the list) shows the value form and the count; step two (confirm) runs
    the action in one transaction and opens its record. Nothing is written before step two;
    a refused selection (another CSM's account, a role without the right) writes nothing."""
    selection = BulkSelectionForm(request.POST)
    if not bulk_kinds(request.user):
        raise PermissionDenied("Your role may not run bulk actions.")
    if not selection.is_valid():
        messages.error(request, "Choose an action and the accounts to apply it to.")
        return redirect(_back_to_list(request))
    kind = selection.cleaned_data["kind"]
    try:
        ids = bulk.bulk_targets(
            user=request.user, kind=kind, account_ids=_chosen_ids(request, selection)
        )
    except bulk.BulkRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(_back_to_list(request))
    confirmed = request.POST.get("confirm") == "1"
    form = _value_form(request, kind, request.POST if confirmed else None)
    if not confirmed or not form.is_valid():
        return _confirm_page(request, kind, ids, form, status=400 if confirmed else 200)
    try:
        action = _perform(request.user, kind, ids, form)
    except (bulk.BulkRefused, SurveyNotActive) as refusal:
        form.add_error(None, str(refusal))
        return _confirm_page(request, kind, ids, form, status=400)
    counted = f"{len(ids):,} account{'s' if len(ids) != 1 else ''}"
    messages.success(request, f"{action.summary}: {counted}. You can undo it here for a day.")
    return redirect("bulk_action_detail", action_id=action.pk)


def _back_to_list(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("home") + (f"?{query}" if query else "")


def _confirm_page(request, kind, ids, form, *, status: int) -> HttpResponse:
    names = list(
        Account.objects.filter(pk__in=ids[:10]).order_by("name").values_list("name", flat=True)
    )
    context = {
        "kind": kind,
        "kind_label": BulkActionKind(kind).label,
        "count": len(ids),
        "account_ids": ",".join(map(str, ids)),
        "names": names,
        "form": form,
        "query": request.GET.urlencode(),
    }
    return render(request, "accounts/bulk_confirm.html", context, status=status)


def _perform(user, kind: str, ids: list[int], form: BulkValueForm) -> BulkAction:
    data = form.cleaned_data
    if kind == BulkActionKind.OWNER:
        owner = None if data["owner"] == NO_OWNER else form.owners[data["owner"]]
        return bulk.bulk_owner_set(user=user, account_ids=ids, owner=owner)
    if kind == BulkActionKind.STAGE:
        return bulk.bulk_stage_set(user=user, account_ids=ids, stage=data["stage"])
    if kind == BulkActionKind.FIELD:
        field = form.custom_fields[data["field"]]
        return bulk.bulk_field_set(user=user, account_ids=ids, field=field, value=data["parsed"])
    if kind in (BulkActionKind.TAG_ADD, BulkActionKind.TAG_REMOVE):
        add = kind == BulkActionKind.TAG_ADD
        return bulk.bulk_tag_change(user=user, account_ids=ids, tag=data["tag"], add=add)
    if kind == BulkActionKind.SURVEY:
        survey = form.surveys[data["survey"]]
        return invite_accounts_bulk(user=user, account_ids=ids, survey=survey)
    return tasks_create_bulk(
        user=user, account_ids=ids, title=data["title"], due_on=data["due_on"],
        priority=data["priority"] or "normal",
    )  # fmt: skip


def _action_for_user(user, action_id: int) -> BulkAction:
    """The record, for its author and for those who may bulk-change any account; 404 else."""
    actions = BulkAction.objects.select_related("performed_by", "undone_by")
    if not user.has_perm(bulk.BULK_PERMISSION):
        actions = actions.filter(performed_by=user)
    try:
        return actions.get(pk=action_id)
    except BulkAction.DoesNotExist:
        raise Http404("No such bulk action.") from None


@require_GET
def bulk_actions(request: HttpRequest) -> HttpResponse:
    """The newest bulk actions: one's own, or everyone's for leaders and admins."""
    actions = BulkAction.objects.select_related("performed_by").order_by("-performed_at", "-pk")
    if not request.user.has_perm(bulk.BULK_PERMISSION):
        actions = actions.filter(performed_by=request.user)
    rows = list(actions[:RECORDS_SHOWN])
    return render(request, "accounts/bulk_list.html", {"actions": rows})


@require_GET
def bulk_action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    """One action's record: what, who, when, which accounts (the first ACCOUNTS_SHOWN) with
    their old values, and Undo while it may be undone."""
    action = _action_for_user(request.user, action_id)
    shown = action.account_ids[:ACCOUNTS_SHOWN]
    names = dict(Account.objects.filter(pk__in=shown).values_list("pk", "name"))
    kept = set(action.undo_kept_ids)
    owners = _old_owners(action, shown)
    accounts = [
        {"pk": pk, "name": names.get(pk, "(deleted)"), "old": _old_label(action, pk, owners),
         "kept": pk in kept and action.kind not in bulk.OWN_ACCOUNT_KINDS}
        for pk in shown
    ]  # fmt: skip
    context = {
        "action": action,
        "accounts": accounts,
        "more": len(action.account_ids) - len(shown),
        "refusal": bulk.undo_refusal(action),
        "undo_until": action.performed_at + bulk.UNDO_WINDOW,
        "creates": action.kind in bulk.OWN_ACCOUNT_KINDS,
    }
    return render(request, "accounts/bulk_detail.html", context)


def _old_owners(action: BulkAction, shown: list[int]) -> dict[int, str]:
    """The names of the owners the shown accounts had before (one query, owner actions only)."""
    if action.kind != BulkActionKind.OWNER:
        return {}
    ids = {action.old_values.get(str(pk)) for pk in shown} - {None}
    users = get_user_model().objects.filter(pk__in=ids)
    return {user.pk: user.get_full_name() or user.get_username() for user in users}


def _old_label(action: BulkAction, pk: int, owners: dict[int, str]) -> str:
    if action.kind in bulk.OWN_ACCOUNT_KINDS:
        return ""
    old = action.old_values.get(str(pk))
    if action.kind in (BulkActionKind.TAG_ADD, BulkActionKind.TAG_REMOVE):
        return "had the tag" if old else "did not have it"
    if old is None:
        return "none"
    if action.kind == BulkActionKind.STAGE:
        return LifecycleStage(old).label if old in LifecycleStage.values else str(old)
    if action.kind == BulkActionKind.OWNER:
        return owners.get(old, "a removed user")
    if isinstance(old, bool):
        return "Yes" if old else "No"
    return date.fromisoformat(old).strftime("%d %b %Y") if _is_iso(old) else str(old)


def _is_iso(value) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


@require_POST
def bulk_action_undo_view(request: HttpRequest, action_id: int) -> HttpResponse:
    """Undo from the record: refused after a day or a second time, with the reason."""
    action = _action_for_user(request.user, action_id)
    try:
        action = bulk.bulk_action_undo(
            action_id=action.pk, user=request.user, revert=REVERT.get(action.kind)
        )
    except bulk.BulkRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("bulk_action_detail", action_id=action.pk)
    kept = len(action.undo_kept_ids)
    note = f" {kept:,} changed since and kept their newer value." if kept else ""
    messages.success(request, f"Undone.{note}")
    return redirect("bulk_action_detail", action_id=action.pk)
