"""Writes of the playbooks app: enrolling accounts, running their actions, and tasks.

Evaluation is set-based (playbooks.sql): after the nightly snapshot, every active playbook finds
its accounts in one statement and inserts their runs and steps in a second; the runs' actions are
then queued to Celery once the transaction commits. A run's actions are done by one worker at a
time (an advisory lock), in order, each recorded as done in the run as it completes, so a task
redelivered after a worker restart skips what is done.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.bulk import bulk_action_record
from accounts.models import Account, BulkAction, BulkActionKind
from accounts.services import view_memberships_refresh
from audit import services as audit
from audit.context import Actor, acting_as
from audit.models import ActorKind
from core.sql import execute_logged
from playbooks import actions, webhooks
from playbooks import sql as playbook_sql
from playbooks.models import (
    UNFINISHED,
    ActionKind,
    Playbook,
    PlaybookRun,
    PlaybookRunStep,
    RunStatus,
    StepStatus,
    Task,
    TaskSource,
    TaskStatus,
    Trigger,
)
from surveys.models import is_detractor

logger = logging.getLogger("northstar.playbooks")


# Evaluation


def _active(**filters) -> list[Playbook]:
    return list(
        Playbook.objects.filter(is_active=True, **filters)
        .select_related("view__owner")
        .prefetch_related("conditions")
        .order_by("pk")
    )


def playbooks_evaluate(*, as_of: date) -> list[int]:
    """Enrol the accounts entering each active playbook on the snapshot of `as_of` and queue
    their actions, with those of earlier runs whose steps have come due; returns the new runs."""
    runs = []
    active = _active()
    with transaction.atomic(), connection.cursor() as cursor:
        _views_refresh(active, as_of=as_of)
        for playbook in active:
            # Each in a savepoint: one broken playbook neither stops the others nor rolls back
            # the nightly snapshot whose transaction this runs in.
            try:
                with transaction.atomic():
                    runs += playbook_sql.enrol(
                        cursor,
                        playbook_sql.playbook_spec(playbook),
                        as_of=as_of,
                        tz=settings.TIME_ZONE,
                    )
            except (DatabaseError, ValueError):
                logger.exception("playbook %s could not be evaluated on %s", playbook.pk, as_of)
        queued = sorted(set(runs) | set(due_run_ids(today=timezone.localdate())))
        transaction.on_commit(lambda: runs_enqueue(queued))
    logger.info("playbooks %s: %d new runs, %d queued", as_of, len(runs), len(queued))
    return runs


def _views_refresh(playbooks: list[Playbook], *, as_of: date) -> None:
    """Bring the stays of the views that active "enters/leaves view" playbooks name up to
    `as_of`, once per view, before any of them is evaluated."""
    views = {p.view_id: p.view for p in playbooks if p.trigger in STAY_TRIGGERS and p.view_id}
    for view in views.values():
        try:
            with transaction.atomic():
                view_memberships_refresh(view=view, as_of=as_of)
        except (DatabaseError, ValueError):
            logger.exception("view %s could not be refreshed on %s", view.pk, as_of)


STAY_TRIGGERS = (Trigger.VIEW_ENTERED, Trigger.VIEW_LEFT)


def evaluate_after_snapshot(as_of: date) -> None:
    """The nightly job's hook, after health scores and alerts: only for the newest day, as
    alerts, so a backfill of the past does not start playbooks on history."""
    if as_of >= timezone.localdate() - timedelta(days=1):
        playbooks_evaluate(as_of=as_of)


def playbooks_evaluate_responses(*, response_ids: list[int]) -> list[int]:
    """At once for detractor responses just recorded: the detractor playbooks' conditions are
    read on the newest snapshot. The nightly evaluation finds the same responses again, and the
    run's signal (the response) keeps them from entering twice."""
    from metrics.selectors import latest_snapshot_run

    latest = latest_snapshot_run()
    as_of = latest.as_of if latest else timezone.localdate()
    runs = []
    with transaction.atomic(), connection.cursor() as cursor:
        for playbook in _active(trigger=Trigger.DETRACTOR):
            runs += playbook_sql.enrol(
                cursor,
                playbook_sql.playbook_spec(playbook),
                as_of=as_of,
                tz=settings.TIME_ZONE,
                responses=list(response_ids),
            )
        transaction.on_commit(lambda: runs_enqueue(runs))
    return runs


def response_recorded_receiver(sender, response, **kwargs) -> None:
    """surveys.signals.response_recorded (sent after the answer is committed): a detractor
    answer from the survey page is evaluated at once, in a worker. When the broker cannot be
    reached, the nightly evaluation finds the answer (it looks back 7 days)."""
    from playbooks.tasks import evaluate_responses

    if not is_detractor(response.kind, response.score):
        return
    try:
        evaluate_responses.apply_async(args=[[response.pk]], retry=False)
    except OperationalError:
        logger.warning("broker unreachable: response %s waits for the nightly run", response.pk)


def due_run_ids(*, today: date) -> list[int]:
    """Runs with a step still to do whose day has come (day offsets, or a queue that was lost)."""
    return list(
        PlaybookRun.objects.filter(
            status=RunStatus.PENDING,
            steps__status=StepStatus.PENDING,
            steps__due_on__lte=today,
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def runs_enqueue(run_ids: list[int]) -> int:
    """Queue each run's actions; when the broker is unreachable the runs stay pending and the
    next nightly evaluation queues them again. Returns how many were queued."""
    from playbooks.tasks import execute_run

    for done, run_id in enumerate(run_ids):
        try:
            execute_run.apply_async(args=[run_id], retry=False)
        except OperationalError:
            logger.warning("broker unreachable: %d playbook runs stay pending", len(run_ids) - done)
            return done
    return len(run_ids)


# Running a run's actions


class RetryLater(Exception):
    """A webhook failed in a way worth retrying; the Celery task retries with backoff."""


@contextmanager
def _run_lock(run_id: int) -> Iterator[bool]:
    """A session-level advisory lock on the run: one worker at a time does its actions. It is
    released with the connection when a worker dies."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtextextended('playbook-run:' || %s, 0))", [run_id]
        )
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(hashtextextended('playbook-run:' || %s, 0))",
                    [run_id],
                )


def run_execute(*, run_id: int, final_attempt: bool = True) -> str:
    """Do the run's pending steps that are due, in order; a step not yet due holds back the
    ones after it. Raises RetryLater when a webhook should be tried again (unless this is the
    final attempt, when it is recorded as failed and the run goes on). Returns the run's
    status, or "busy" when another worker holds it."""
    with _run_lock(run_id) as locked:
        if not locked:
            return "busy"
        run = (
            PlaybookRun.objects.select_related("playbook", "account__owner")
            .filter(pk=run_id)
            .first()
        )
        if run is None:
            return "missing"
        today = timezone.localdate()
        steps = run.steps.filter(status=StepStatus.PENDING).select_related("action__assignee")
        # What the actions write (tasks, notes, stages) is the playbook's doing in the log.
        with acting_as(Actor.of(ActorKind.PLAYBOOK, run.playbook)):
            for step in steps.order_by("position"):
                if step.due_on > today:
                    break
                _step_execute(run, step, today, final_attempt=final_attempt)
        return run_status_refresh(run)


def _step_execute(run: PlaybookRun, step: PlaybookRunStep, today: date, *, final_attempt):
    if step.action is None:
        _record(step, actions.Outcome(StepStatus.SKIPPED, "The action was removed."))
        return
    try:
        if step.kind in actions.IN_DATABASE:
            with transaction.atomic():
                current = PlaybookRunStep.objects.select_for_update().get(pk=step.pk)
                if current.status != StepStatus.PENDING:
                    return
                outcome = actions.IN_DATABASE[step.kind](run, step, today)
                _record(step, outcome)
            return
        if step.kind == ActionKind.EMAIL_OWNER:
            _record(step, actions.email_owner(run, step))
            return
        if step.kind == ActionKind.WEBHOOK:
            _webhook(run, step, final_attempt=final_attempt)
            return
        _record(step, actions.Outcome(StepStatus.SKIPPED, f"Unknown action {step.kind!r}."))
    except RetryLater:
        raise
    except Exception as exc:  # one broken action must not stop the run's others
        logger.exception("playbook run %s step %s failed", run.pk, step.position)
        _record(step, actions.Outcome(StepStatus.FAILED, error=f"{type(exc).__name__}: {exc}"))


def _webhook(run: PlaybookRun, step: PlaybookRunStep, *, final_attempt: bool) -> None:
    try:
        outcome = actions.call_webhook(run, step)
    except webhooks.WebhookError as exc:
        if exc.retryable and not final_attempt:
            _record(step, actions.Outcome(StepStatus.PENDING, error=str(exc)))
            raise RetryLater(str(exc)) from exc
        _record(step, actions.Outcome(StepStatus.FAILED, error=str(exc)))
        return
    _record(step, outcome)


def _record(step: PlaybookRunStep, outcome: actions.Outcome) -> None:
    """Save one attempt's outcome on the step (inside the caller's transaction, if any)."""
    step.attempts += 1
    step.status = outcome.status
    step.result = outcome.result[:300]
    step.error = outcome.error
    if outcome.status != StepStatus.PENDING:
        step.done_at = timezone.now()
    step.save(update_fields=["attempts", "status", "result", "error", "done_at"])


def run_status_refresh(run: PlaybookRun) -> str:
    statuses = set(run.steps.values_list("status", flat=True))
    if StepStatus.PENDING in statuses:
        status = RunStatus.PENDING
    elif StepStatus.FAILED in statuses:
        status = RunStatus.FAILED
    else:
        status = RunStatus.DONE
    if status != run.status:
        run.status = status
        run.finished_at = None if status == RunStatus.PENDING else timezone.now()
        run.save(update_fields=["status", "finished_at"])
    return status


# Playbooks


def playbook_activate(*, playbook: Playbook, active: bool) -> None:
    if playbook.is_active != active:
        playbook.is_active = active
        with transaction.atomic():
            playbook.save(update_fields=["is_active", "updated_at"])
            verb = "activate" if active else "deactivate"
            audit.record(
                f"playbook.{verb}", obj=playbook, changes={"is_active": [not active, active]}
            )


def playbook_secret_rotate(*, playbook: Playbook) -> None:
    from playbooks.models import new_webhook_secret

    playbook.webhook_secret = new_webhook_secret()
    with transaction.atomic():
        playbook.save(update_fields=["webhook_secret", "updated_at"])
        changes = {"webhook_secret": [audit.REDACTED, audit.REDACTED]}
        audit.record("playbook.secret_rotate", obj=playbook, changes=changes)


def playbook_save(*, form, conditions, steps) -> Playbook:
    """Save the editor's valid playbook form and its condition and action formsets together,
    with one entry for the playbook's fields and one per condition or action changed."""
    playbook = form.instance
    before = audit.stored_values(playbook) if playbook.pk else None
    with transaction.atomic():
        saved = form.save()
        if before is None:
            audit.record_created("playbook.create", saved)
        else:
            audit.record_changed("playbook.update", saved, before)
        for formset in (conditions, steps):
            formset.instance = saved
            _formset_save_audited(formset)
    return saved


def _formset_save_audited(formset) -> None:
    befores = {f.instance.pk: audit.stored_values(f.instance)
               for f in formset.initial_forms if f.has_changed()}  # fmt: skip
    for deleted in formset.deleted_forms:
        if deleted.instance.pk is not None:
            obj = deleted.instance
            action = audit.action_name(type(obj), "delete")
            audit.record(action, obj=obj, changes=audit.diff(audit.values_of(obj), {}))
    formset.save()
    for obj in formset.new_objects:
        audit.record_created(audit.action_name(type(obj), "create"), obj)
    for obj, _fields in formset.changed_objects:
        audit.record_changed(audit.action_name(type(obj), "update"), obj, befores[obj.pk])


# Tasks


class TaskError(ValueError):
    """A task change that is refused, with the message to show."""


def task_create(
    *,
    account: Account,
    created_by: AbstractBaseUser,
    title: str,
    due_on: date,
    priority: str = "normal",
    description: str = "",
    assignee: AbstractBaseUser | None = None,
) -> Task:
    """A task written by a person; assigned to its author unless told otherwise."""
    with transaction.atomic():
        task = Task.objects.create(
            account=account,
            assignee=assignee or created_by,
            title=title.strip(),
            description=description.strip(),
            due_on=due_on,
            priority=priority,
            source=TaskSource.PERSON,
            created_by=created_by,
        )
        audit.record_created("task.create", task)
    return task


def tasks_create_bulk(
    *,
    user: AbstractBaseUser,
    account_ids: list[int],
    title: str,
    due_on: date,
    priority: str = "normal",
    description: str = "",
) -> BulkAction:
    """A task for each account (a bulk action from the accounts list), given to the account's
    owner, or to its author when the account has none: one INSERT and the action's record in
    one transaction. Undone by tasks_bulk_revert."""
    values = {"author": user.pk, "title": title.strip(), "description": description.strip(),
              "due_on": due_on, "priority": priority, "ids": account_ids}  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        execute_logged(cursor, playbook_sql.BULK_TASKS_INSERT, values, label="bulk tasks")
        created = [row[0] for row in cursor.fetchall()]
        return bulk_action_record(
            kind=BulkActionKind.TASK, user=user, account_ids=account_ids,
            value={"title": values["title"], "due_on": due_on.isoformat(), "priority": priority},
            summary=f"Task \u201c{values['title']}\u201d due {due_on:%d %b %Y}",
            created_ids=created,
        )  # fmt: skip


def tasks_bulk_revert(action: BulkAction) -> list[int]:
    """Undo of tasks_create_bulk (through accounts.bulk.bulk_action_undo): delete the action's
    tasks that nobody touched since (still open, with their first assignee and due date); the
    others are someone's work and stay. The ids deleted."""
    params = {"ids": action.created_ids, "due_on": action.value["due_on"],
              "author": action.performed_by_id}  # fmt: skip
    with connection.cursor() as cursor:
        execute_logged(cursor, playbook_sql.BULK_TASKS_DELETE, params, label="bulk tasks undo")
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Completed:
    """A task just completed and how it was before, so the completion can be undone."""

    task_id: int
    status: str
    snoozed_until: date | None = None

    def as_json(self) -> list:
        return [self.task_id, self.status, self.snoozed_until and self.snoozed_until.isoformat()]

    @classmethod
    def from_json(cls, value: list) -> "Completed":
        task_id, status, snoozed = value
        return cls(int(task_id), status, date.fromisoformat(snoozed) if snoozed else None)


def tasks_complete(*, tasks: QuerySet[Task], user: AbstractBaseUser) -> list[Completed]:
    """Complete the unfinished ones of `tasks` at once (two statements, whatever their number);
    returns what each was before, for `tasks_reopen`."""
    with transaction.atomic():
        locked = list(
            tasks.filter(status__in=UNFINISHED)
            .select_for_update(of=("self",))
            .order_by("pk")
            .only("pk", "status", "snoozed_until", "title")
        )
        before = [Completed(task.pk, task.status, task.snoozed_until) for task in locked]
        now = timezone.now()
        Task.objects.filter(pk__in=[c.task_id for c in before]).update(
            status=TaskStatus.DONE, snoozed_until=None, completed_at=now, completed_by=user
        )
        done = {"completed_at": [None, now], "completed_by_id": [None, user.pk]}
        audit.record_each(
            "task.complete",
            ((task, {"status": [task.status, TaskStatus.DONE], **done}) for task in locked),
        )
    return before


def tasks_reopen(*, completed: list[Completed], user: AbstractBaseUser) -> int:
    """Undo a completion: each task the user completed and nobody has touched since goes back
    to open, or to snoozed until its date. A task whose kind has since been given to the account
    again (a playbook made a new one) stays done. Returns how many were reopened."""
    state = {c.task_id: c for c in completed}
    newer = Task.objects.filter(
        account=OuterRef("account"), kind=OuterRef("kind"), status__in=UNFINISHED
    ).exclude(kind="")
    with transaction.atomic():
        tasks = list(
            Task.objects.filter(pk__in=state, status=TaskStatus.DONE, completed_by=user)
            .exclude(Exists(newer))
            .select_for_update()
        )
        for task in tasks:
            previous = state[task.pk]
            task.status, task.snoozed_until = previous.status, previous.snoozed_until
            task.completed_at = task.completed_by = None
        Task.objects.bulk_update(tasks, ["status", "snoozed_until", "completed_at", "completed_by"])
        audit.record_each(
            "task.reopen", ((task, {"status": [TaskStatus.DONE, task.status]}) for task in tasks)
        )
    return len(tasks)


def task_snooze(*, task: Task, until: date) -> None:
    """Hide the task from the day's list until `until`, when it is due again."""
    if task.status == TaskStatus.DONE:
        raise TaskError("This task is done; reopen it before snoozing.")
    if until <= timezone.localdate():
        raise TaskError("Snooze until a day after today.")
    before = audit.values_of(task, ["status", "snoozed_until"])
    task.status, task.snoozed_until = TaskStatus.SNOOZED, until
    with transaction.atomic():
        task.save(update_fields=["status", "snoozed_until"])
        audit.record_changed("task.snooze", task, before)


def task_reassign(*, task: Task, assignee: AbstractBaseUser) -> None:
    from playbooks.selectors import assignable_users

    if not assignable_users().filter(pk=assignee.pk).exists():
        raise TaskError(f"{assignee.get_username()} cannot be given tasks.")
    if task.status == TaskStatus.DONE:
        raise TaskError("This task is done already.")
    before = audit.values_of(task, ["assignee_id"])
    task.assignee = assignee
    with transaction.atomic():
        task.save(update_fields=["assignee"])
        audit.record_changed("task.reassign", task, before)
