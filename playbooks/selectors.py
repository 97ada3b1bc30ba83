"""Reads of the playbooks app: a CSM's day, the team view, timelines, playbook pages, dry runs.

Every read goes through accounts.access, so a user sees tasks and runs of the accounts they may
see (including the accounts of the tasks given to them); each page costs a fixed number of
queries, whatever the number of tasks, runs or accounts.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import connection
from django.db.models import Case, Count, F, FilteredRelation, Max, Q, QuerySet, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.access import accounts_visible_to, user_sees_all_accounts
from accounts.models import Account
from accounts.selectors import TimelineEntry
from metrics.models import AccountSnapshot
from playbooks import actions, wording
from playbooks import sql as playbook_sql
from playbooks.models import (
    UNFINISHED,
    ActionKind,
    AssigneeRule,
    Playbook,
    PlaybookAction,
    PlaybookRun,
    RunStatus,
    StepStatus,
    Task,
    TaskSource,
    TaskStatus,
)

UPCOMING_DAYS = 14
RENEWAL_DAYS = 90
DROP_DAYS = 7


# Tasks


def task_account_ids(user: AbstractBaseUser) -> QuerySet:
    """The accounts of the unfinished tasks someone else (or a playbook) gave the user: the
    access rule lets them read these, until the task is done. A task the user wrote for herself
    grants nothing, or one task would renew itself for ever. (Registered with accounts.access,
    so it must not itself call accounts_visible_to.)"""
    return (
        Task.objects.filter(assignee=user, status__in=UNFINISHED)
        .exclude(source=TaskSource.PERSON, created_by=user)
        .values("account_id")
    )


def tasks_visible_to(user: AbstractBaseUser) -> QuerySet[Task]:
    """Tasks of the accounts the user may see: the same rule as the accounts themselves."""
    return Task.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def tasks_workable_by(user: AbstractBaseUser) -> QuerySet[Task]:
    """Tasks the user may complete or snooze: their own, and those of the accounts they may act
    on (accounts.access.user_may_act_on: owners, leaders, admins), as the one-task views."""
    tasks = tasks_visible_to(user)
    if user_sees_all_accounts(user):
        return tasks
    return tasks.filter(Q(assignee=user) | Q(account__owner=user))


def get_task_for_user(user: AbstractBaseUser, task_id: int) -> Task:
    return get_object_or_404(tasks_visible_to(user).select_related("account"), pk=task_id)


def assignable_users() -> QuerySet:
    """Active users who may work on tasks (CSMs and admins: the change-task permission)."""
    permission = Permission.objects.filter(
        content_type__app_label="playbooks", codename="change_task"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _effective_due() -> Case:
    """A snoozed task is due again on its snooze date."""
    return Case(When(status=TaskStatus.SNOOZED, then=F("snoozed_until")), default=F("due_on"))


def _urgency() -> Case:
    """High priority first, low last."""
    return Case(When(priority="high", then=0), When(priority="low", then=2), default=1)


# Bands whose ARR My day counts as at risk.
AT_RISK_BANDS = ("red", "yellow")
DUE_FILTERS = (("", "Any day"), ("overdue", "Overdue"), ("today", "Due today"),
               ("week", "Due this week"))  # fmt: skip
PERSON = "person"  # the playbook filter's value for tasks written by people


@dataclass(frozen=True)
class AccountTasks:
    """One account's tasks on My day, with the ARR the day's order weighs them by."""

    account: Account
    tasks: list[Task]
    arr: Decimal | None
    health_band: str | None

    @property
    def arr_at_risk(self) -> Decimal:
        """The account's ARR on the newest snapshot when its health is red or yellow, else 0."""
        return (self.arr or Decimal(0)) if self.health_band in AT_RISK_BANDS else Decimal(0)

    @property
    def first_due(self) -> date:
        return min(task.effective_due for task in self.tasks)


@dataclass(frozen=True)
class DayTasks:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    groups: list[AccountTasks] = field(default_factory=list)
    # The playbooks of the unfiltered tasks, for the filter: (value, label).
    playbooks: list[tuple[str, str]] = field(default_factory=list)
    hidden: int = 0  # tasks the filter leaves out

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming)


def _due_matches(task: Task, due: str, today: date) -> bool:
    if due == "overdue":
        return task.effective_due < today
    if due == "today":
        return task.effective_due == today
    if due == "week":  # from today to Sunday
        return today <= task.effective_due <= today + timedelta(days=6 - today.weekday())
    return True


def _playbook_matches(task: Task, playbook: str) -> bool:
    if not playbook:
        return True
    if playbook == PERSON:
        return task.run_id is None
    return task.run_id is not None and str(task.run.playbook_id) == playbook


def _grouped(tasks: list[Task]) -> list[AccountTasks]:
    """Tasks by account; the accounts with the most ARR at risk first, then the soonest due."""
    by_account: dict[int, list[Task]] = {}
    for task in tasks:
        by_account.setdefault(task.account_id, []).append(task)
    groups = [
        AccountTasks(rows[0].account, rows, rows[0].account_arr, rows[0].account_band)
        for rows in by_account.values()
    ]
    return sorted(groups, key=lambda g: (-g.arr_at_risk, g.first_due, g.account.name))


def day_tasks(
    *, user: AbstractBaseUser, today: date, as_of: date | None = None, playbook: str = "",
    due: str = "", limit: int = 200,
) -> DayTasks:  # fmt: skip
    """The user's unfinished tasks due by two weeks from now, split into overdue, due today
    and coming up, most urgent first, and grouped by account (ARR at risk on the snapshot of
    `as_of` first); `playbook` (an id, or PERSON) and `due` (a DUE_FILTERS key) narrow them.
    One query: the filters run on the fetched rows, so the playbook choices cost nothing."""
    tasks = list(
        tasks_visible_to(user)
        .filter(assignee=user, status__in=UNFINISHED)
        .annotate(
            effective_due=_effective_due(),
            urgency=_urgency(),
            latest=FilteredRelation(
                "account__snapshots", condition=Q(account__snapshots__as_of=as_of)
            ),
        )
        .annotate(account_arr=F("latest__arr"), account_band=F("latest__health__band"))
        .filter(effective_due__lte=today + timedelta(days=UPCOMING_DAYS))
        .select_related("account", "run__playbook")
        .order_by("effective_due", "urgency", "pk")[:limit]
    )
    playbooks = {t.run.playbook_id: t.run.playbook.name for t in tasks if t.run_id}
    choices = sorted(((str(pk), name) for pk, name in playbooks.items()), key=lambda c: c[1])
    if any(t.run_id is None for t in tasks):
        choices.append((PERSON, "Added by a person"))
    shown = [t for t in tasks if _playbook_matches(t, playbook) and _due_matches(t, due, today)]
    return DayTasks(
        overdue=[t for t in shown if t.effective_due < today],
        today=[t for t in shown if t.effective_due == today],
        upcoming=[t for t in shown if t.effective_due > today],
        groups=_grouped(shown),
        playbooks=choices,
        hidden=len(tasks) - len(shown),
    )


def day_sections(*, owner: AbstractBaseUser) -> list:
    """The other apps' sections of the owner's day (settings.MY_DAY_SECTIONS, in order; each
    callable returns an object with `id`, `template` and `items`, or None); playbooks imports
    none of them."""
    sections = (import_string(path)(owner) for path in settings.MY_DAY_SECTIONS)
    return [section for section in sections if section is not None]


def renewals(*, user: AbstractBaseUser, as_of: date | None, limit: int = 10) -> list:
    """The user's accounts renewing in the next 90 days of the newest snapshot, soonest first."""
    if as_of is None:
        return []
    return list(
        AccountSnapshot.objects.filter(
            as_of=as_of,
            account__in=accounts_visible_to(user).values("pk"),
            days_to_renewal__gte=0,
            days_to_renewal__lte=RENEWAL_DAYS,
        )
        .select_related("account", "health")
        .order_by("days_to_renewal", "account__name")[:limit]
    )


def health_drops(*, user: AbstractBaseUser, as_of: date | None, limit: int = 8) -> list[Account]:
    """The user's accounts whose health fell most in the week to the newest snapshot (scores of
    one health model version only: a new model is not a fall)."""
    if as_of is None:
        return []
    week_ago = as_of - timedelta(days=DROP_DAYS)
    return list(
        accounts_visible_to(user)
        .annotate(
            now=FilteredRelation("snapshots", condition=Q(snapshots__as_of=as_of)),
            before=FilteredRelation("snapshots", condition=Q(snapshots__as_of=week_ago)),
        )
        .annotate(
            health_score=F("now__health__score"),
            health_band=F("now__health__band"),
            earlier_score=F("before__health__score"),
            change=F("now__health__score") - F("before__health__score"),
        )
        .filter(
            change__lt=0,
            now__health__model_version_id=F("before__health__model_version_id"),
        )
        .order_by("change", "name")[:limit]
    )


@dataclass(frozen=True)
class TeamRow:
    user: AbstractBaseUser
    unfinished: int = 0
    overdue: int = 0
    due_today: int = 0
    done_7d: int = 0


def team_view(*, today: date) -> list[TeamRow]:
    """Per CSM (and anyone else holding tasks): unfinished, overdue and due-today tasks, and
    tasks done in the last 7 days; two queries. The most overdue first."""
    week_ago = today - timedelta(days=7)
    due = _effective_due()
    counts = {
        row["assignee"]: row
        for row in Task.objects.filter(
            Q(status__in=UNFINISHED) | Q(status=TaskStatus.DONE, completed_at__date__gt=week_ago),
            assignee__isnull=False,
        )
        .annotate(effective_due=due)
        .values("assignee")
        .annotate(
            unfinished=Count("pk", filter=Q(status__in=UNFINISHED)),
            overdue=Count("pk", filter=Q(status__in=UNFINISHED, effective_due__lt=today)),
            due_today=Count("pk", filter=Q(status__in=UNFINISHED, effective_due=today)),
            done_7d=Count("pk", filter=Q(status=TaskStatus.DONE)),
        )
    }
    users = (
        get_user_model()
        .objects.filter(Q(groups__name=actions.CSM_GROUP, is_active=True) | Q(pk__in=list(counts)))
        .distinct()
    )
    rows = [
        TeamRow(
            user=user,
            **{k: v for k, v in counts.get(user.pk, {}).items() if k != "assignee"},
        )
        for user in users
    ]
    return sorted(rows, key=lambda r: (-r.overdue, -r.unfinished, r.user.get_username()))


# The account timeline (listed in settings.ACCOUNT_TIMELINE_SOURCES)


def timeline_entries(account: Account, per_kind: int) -> list[TimelineEntry]:
    """The account's newest tasks and playbook runs, as timeline entries: two queries."""
    tasks = account.tasks.select_related("assignee", "run__playbook").order_by("-created_at")
    runs = (
        account.playbook_runs.select_related("playbook")
        .annotate(
            total=Count("steps"),
            done=Count("steps", filter=Q(steps__status=StepStatus.DONE)),
            failed=Count("steps", filter=Q(steps__status=StepStatus.FAILED)),
        )
        .order_by("-created_at")
    )
    return [
        *(_task_entry(task) for task in tasks[:per_kind]),
        *(_run_entry(run) for run in runs[:per_kind]),
    ]


def _task_entry(task: Task) -> TimelineEntry:
    who = task.assignee.get_full_name() or task.assignee.get_username() if task.assignee else ""
    source = f" · from playbook “{task.run.playbook}”" if task.run_id else ""
    state = task.get_status_display().lower()
    detail = f"{state}, due {task.due_on:%-d %b %Y}{f', for {who}' if who else ''}{source}"
    tone = "good" if task.status == TaskStatus.DONE else ""
    return TimelineEntry(task.created_at, "task", task.title, detail, tone)


def _run_entry(run: PlaybookRun) -> TimelineEntry:
    summary = wording.describe(run.playbook.trigger, run.trigger_values)
    progress = f"{run.done} of {run.total} actions done"
    if run.failed:
        progress += f", {run.failed} failed"
    tone = "bad" if run.status == RunStatus.FAILED else ""
    return TimelineEntry(
        run.created_at, "playbook", f"“{run.playbook}” started", f"{summary} · {progress}", tone
    )


# Playbook pages


def playbook_rows() -> list[Playbook]:
    """Every playbook with its view, its runs of the last 30 days and its latest run:
    one query."""
    since = timezone.now() - timedelta(days=30)
    return list(
        Playbook.objects.select_related("view")  # named in the trigger's summary
        .annotate(
            runs_30d=Count("runs", filter=Q(runs__created_at__gte=since)),
            last_run_at=Max("runs__created_at"),
        )
        .order_by("-is_active", "name")
    )


def playbook_for_page(playbook_id: int) -> Playbook:
    return get_object_or_404(
        Playbook.objects.select_related("view").prefetch_related("conditions", "actions__assignee"),
        pk=playbook_id,
    )


def playbook_runs(*, playbook: Playbook, limit: int = 50) -> list[PlaybookRun]:
    """The newest runs with their accounts and steps: two queries."""
    return list(
        playbook.runs.select_related("account")
        .prefetch_related("steps")
        .order_by("-created_at", "-pk")[:limit]
    )


def playbook_run_counts(*, playbook: Playbook) -> dict[str, int]:
    rows = playbook.runs.values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


# Dry run


@dataclass(frozen=True)
class DryRunRow:
    account: Account
    summary: str
    would_do: list[str]


@dataclass
class DryRun:
    as_of: date | None
    rows: list[DryRunRow] = field(default_factory=list)
    entering: int = 0
    blocked: int = 0


def action_summary(action: PlaybookAction, account: Account | None, least_loaded) -> str:
    """What one action would do for one account, in words."""
    offset = f"on day {action.day_offset}: " if action.day_offset else ""
    if action.kind == ActionKind.CREATE_TASK:
        if action.assignee_rule == AssigneeRule.USER and action.assignee:
            who = action.assignee
        elif action.assignee_rule == AssigneeRule.OWNER and account and account.owner:
            who = account.owner
        else:
            who = None
        if who is not None:
            name = who.get_full_name() or who.get_username()
        elif least_loaded is not None:
            name = f"the least-loaded CSM (now {least_loaded.get_full_name() or least_loaded})"
        else:
            name = "nobody (no CSM found)"
        unit = "business days" if action.business_days else "days"
        title = action.title.replace("{account}", account.name) if account else action.title
        return f"{offset}task “{title}” for {name}, due in {action.due_in_days} {unit}"
    if action.kind == ActionKind.EMAIL_OWNER:
        return f"{offset}email the owner: “{action.title}”"
    if action.kind == ActionKind.SEND_SURVEY:
        return f"{offset}send the active {action.survey_kind.upper()} survey to the champions"
    if action.kind == ActionKind.WEBHOOK:
        # Not the URL: a dry run is read by leaders, and only admins see where webhooks go.
        return f"{offset}POST a signed webhook to the playbook's receiver"
    if action.kind == ActionKind.SET_STAGE:
        return f"{offset}set the lifecycle stage to {action.get_stage_display()}"
    if action.kind == ActionKind.ADD_NOTE:
        return f"{offset}add a note"
    return f"{offset}{action.get_kind_display()}"


def playbook_dry_run(*, playbook: Playbook, as_of: date | None, limit: int = 200) -> DryRun:
    """Which accounts would enter the playbook on the snapshot of `as_of` and what each run
    would do, without writing anything: the evaluation's own statement, read only."""
    if as_of is None:
        return DryRun(as_of=None)
    with connection.cursor() as cursor:
        matches = playbook_sql.preview(
            cursor, playbook_sql.playbook_spec(playbook), as_of=as_of, tz=settings.TIME_ZONE
        )
    entering = [m for m in matches if not m.blocked]
    accounts = Account.objects.select_related("owner").in_bulk(
        [m.account_id for m in entering[:limit]]
    )
    steps = list(playbook.actions.all())
    least_loaded = (
        actions.least_loaded_csm() if any(a.kind == ActionKind.CREATE_TASK for a in steps) else None
    )
    rows = [
        DryRunRow(
            account=accounts[m.account_id],
            summary=wording.describe(playbook.trigger, m.trigger_values),
            would_do=[action_summary(a, accounts[m.account_id], least_loaded) for a in steps],
        )
        for m in entering[:limit]
    ]
    rows.sort(key=lambda row: row.account.name)
    return DryRun(
        as_of=as_of, rows=rows, entering=len(entering), blocked=len(matches) - len(entering)
    )
