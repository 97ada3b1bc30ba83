"""My day, task actions, and the playbook pages (list, detail, dry run, editor).

Tasks are reached through the access rule (404 for a task of an account the user may not see);
working on them needs the change-task permission (CSMs, admins). The playbook pages are for
users who see every account (runs name their accounts); editing needs the change permission.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import require_may_act, user_sees_all_accounts
from healthscores.selectors import open_alerts_for_user
from metrics.freshness import data_freshness
from playbooks import selectors
from playbooks.forms import (
    ActionFormSet,
    ConditionFormSet,
    DayFilterForm,
    PlaybookForm,
    ReassignForm,
    SnoozeForm,
    TaskIdsForm,
)
from playbooks.models import Playbook, Task
from playbooks.services import (
    Completed,
    TaskError,
    playbook_activate,
    playbook_save,
    task_reassign,
    task_snooze,
    tasks_complete,
    tasks_reopen,
)

DAY_ALERTS = 8
TASK_PERMISSION = "playbooks.change_task"
ADD_TASK_PERMISSION = "playbooks.add_task"
EDIT_PERMISSION = "playbooks.change_playbook"
UNDO_KEY = "playbooks:last_completed"  # the session's record of the last completion


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """To the page the form was on when it is ours (`next`), else to My day."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and safe else reverse("my_day"))


def _day_owner(request: HttpRequest):
    """Whose day the page shows: the user's own, or (for leaders) a CSM's from the team view."""
    user_id = request.GET.get("user", "")
    if not user_id:
        return request.user
    if not user_sees_all_accounts(request.user) or not user_id.isdigit():
        raise PermissionDenied("Only leaders may look at someone else's day.")
    return get_object_or_404(get_user_model(), pk=user_id, is_active=True)


@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """A CSM's day: overdue and due tasks, open alerts, renewals in the next 90 days and the
    accounts whose health fell most this week; leaders also get the team view."""
    today = timezone.localdate()
    owner = _day_owner(request)
    freshness = data_freshness()
    sees_all = user_sees_all_accounts(request.user)
    is_own = owner.pk == request.user.pk
    filters = DayFilterForm.filters(request.GET)
    tasks = selectors.day_tasks(user=owner, today=today, as_of=freshness.as_of, **filters)
    context = {
        "data_freshness": freshness,
        "today": today,
        "owner": owner,
        "is_own": is_own,
        "tasks": tasks,
        "filters": filters,
        "filter_form": DayFilterForm(initial=filters, playbooks=tasks.playbooks),
        "undo": len(request.session.get(UNDO_KEY, [])) if is_own else 0,
        "alerts": list(open_alerts_for_user(user=owner, limit=DAY_ALERTS + 1)),
        "day_alerts": DAY_ALERTS,
        "renewals": selectors.renewals(user=owner, as_of=freshness.as_of),
        "sections": selectors.day_sections(owner=owner),
        "drops": selectors.health_drops(user=owner, as_of=freshness.as_of),
        "team": selectors.team_view(today=today) if sees_all and is_own else None,
        "can_work": request.user.has_perm(TASK_PERMISSION),
        "reassign_form": ReassignForm() if request.user.has_perm(TASK_PERMISSION) else None,
        "snooze_choices": SnoozeForm.base_fields["days"].choices,
    }
    return render(request, "playbooks/my_day.html", context)


def _task_for_work(request: HttpRequest, task_id: int):
    """A task to complete or snooze: its assignee may, and whoever may act on its account."""
    task = selectors.get_task_for_user(request.user, task_id)
    if not request.user.has_perm(TASK_PERMISSION):
        raise PermissionDenied("Your role may read tasks but not work on them.")
    if task.assignee_id != request.user.pk:
        require_may_act(request.user, task.account)
    return task


def _remember_for_undo(request: HttpRequest, completed: list[Completed]) -> None:
    """The last completion (one task or several) is kept in the session for one undo."""
    request.session[UNDO_KEY] = [c.as_json() for c in completed]


@require_POST
def task_complete_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_for_work(request, task_id)
    completed = tasks_complete(tasks=Task.objects.filter(pk=task.pk), user=request.user)
    if completed:
        _remember_for_undo(request, completed)
    messages.success(request, f"Done: {task.title}.")
    return _back(request)


@require_POST
def tasks_complete_view(request: HttpRequest) -> HttpResponse:
    """Complete every ticked task at once (of those the user may work on, as task_complete);
    undone by tasks_undo."""
    if not request.user.has_perm(TASK_PERMISSION):
        raise PermissionDenied("Your role may read tasks but not work on them.")
    form = TaskIdsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["tasks"]))
        return _back(request)
    chosen = selectors.tasks_workable_by(request.user).filter(pk__in=form.cleaned_data["tasks"])
    completed = tasks_complete(tasks=chosen, user=request.user)
    if not completed:
        messages.info(request, "Nothing was completed: those tasks are done or not yours to do.")
        return _back(request)
    _remember_for_undo(request, completed)
    messages.success(request, f"Done: {len(completed)} {_tasks(len(completed))}.")
    return _back(request)


@require_POST
def tasks_undo_view(request: HttpRequest) -> HttpResponse:
    """Reopen the tasks of the user's last completion."""
    if not request.user.has_perm(TASK_PERMISSION):
        raise PermissionDenied("Your role may read tasks but not work on them.")
    completed = [Completed.from_json(value) for value in request.session.pop(UNDO_KEY, [])]
    reopened = tasks_reopen(completed=completed, user=request.user)
    if reopened:
        messages.success(request, f"Undone: {reopened} {_tasks(reopened)} open again.")
    else:
        messages.info(request, "Nothing to undo.")
    return _back(request)


def _tasks(count: int) -> str:
    return "task" if count == 1 else "tasks"


@require_POST
def task_snooze_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_for_work(request, task_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Snooze until tomorrow or next week.")
        return _back(request)
    until = timezone.localdate() + timedelta(days=form.cleaned_data["days"])
    try:
        task_snooze(task=task, until=until)
    except TaskError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, f"Snoozed until {until:%-d %b}: {task.title}.")
    return _back(request)


@require_POST
def task_reassign_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task_for_work(request, task_id)
    require_may_act(request.user, task.account)  # giving work away is the owner's call
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("assignee", ["Choose someone."])))
        return _back(request)
    assignee = form.cleaned_data["assignee"]
    try:
        task_reassign(task=task, assignee=assignee)
    except TaskError as exc:
        messages.error(request, str(exc))
        return _back(request)
    name = assignee.get_full_name() or assignee.get_username()
    messages.success(request, f"Given to {name}: {task.title}.")
    return _back(request)


# Playbook pages


def _require_playbook_access(request: HttpRequest) -> None:
    if not user_sees_all_accounts(request.user):
        raise PermissionDenied("Playbooks are for admins and leaders.")


def _require_edit(request: HttpRequest) -> None:
    if not request.user.has_perm(EDIT_PERMISSION):
        raise PermissionDenied("Editing playbooks needs the change permission.")


@require_GET
def playbook_list(request: HttpRequest) -> HttpResponse:
    _require_playbook_access(request)
    context = {
        "playbooks": selectors.playbook_rows(),
        "can_edit": request.user.has_perm(EDIT_PERMISSION),
    }
    return render(request, "playbooks/list.html", context)


@require_GET
def playbook_detail(request: HttpRequest, playbook_id: int) -> HttpResponse:
    _require_playbook_access(request)
    playbook = selectors.playbook_for_page(playbook_id)
    context = {
        "playbook": playbook,
        "runs": selectors.playbook_runs(playbook=playbook),
        "run_counts": selectors.playbook_run_counts(playbook=playbook),
        "can_edit": request.user.has_perm(EDIT_PERMISSION),
    }
    return render(request, "playbooks/detail.html", context)


@require_GET
def playbook_dry_run(request: HttpRequest, playbook_id: int) -> HttpResponse:
    """Who would enter today and what would be done, without doing it."""
    _require_playbook_access(request)
    playbook = selectors.playbook_for_page(playbook_id)
    freshness = data_freshness()
    context = {
        "data_freshness": freshness,
        "playbook": playbook,
        "dry_run": selectors.playbook_dry_run(playbook=playbook, as_of=freshness.as_of),
        "can_edit": request.user.has_perm(EDIT_PERMISSION),
    }
    return render(request, "playbooks/dry_run.html", context)


@require_POST
def playbook_toggle(request: HttpRequest, playbook_id: int) -> HttpResponse:
    _require_playbook_access(request)
    _require_edit(request)
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    active = request.POST.get("active") == "1"
    playbook_activate(playbook=playbook, active=active)
    if active:
        messages.success(request, f"“{playbook}” is active: the next nightly run enrols accounts.")
    else:
        messages.info(request, f"“{playbook}” is off: it enrols no more accounts.")
    return redirect("playbook_detail", playbook_id=playbook.pk)


@require_http_methods(["GET", "POST"])
def playbook_edit(request: HttpRequest, playbook_id: int | None = None) -> HttpResponse:
    """Create or change a playbook: its trigger, conditions and ordered actions."""
    _require_playbook_access(request)
    _require_edit(request)
    playbook = get_object_or_404(Playbook, pk=playbook_id) if playbook_id else Playbook()
    data = request.POST if request.method == "POST" else None
    form = PlaybookForm(data, instance=playbook)
    conditions = ConditionFormSet(data, instance=playbook, prefix="conditions")
    steps = ActionFormSet(data, instance=playbook, prefix="actions")
    if data is not None and form.is_valid() and conditions.is_valid() and steps.is_valid():
        saved = playbook_save(form=form, conditions=conditions, steps=steps)
        messages.success(request, f"Saved “{saved}”. Try a dry run before activating it.")
        return redirect("playbook_detail", playbook_id=saved.pk)
    context = {"form": form, "conditions": conditions, "steps": steps, "playbook": playbook}
    return render(request, "playbooks/edit.html", context, status=400 if data else 200)
