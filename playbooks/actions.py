"""What each kind of playbook action does, for one step of one run.

Actions that only write to the database (a task, a note, a lifecycle stage, survey invitations
whose emails are queued on commit) run inside the
transaction that records the step as done, so they happen exactly once. An email or a webhook
reaches outside: it is recorded right after it succeeds, so a worker killed in between sends it
again on redelivery (at least once; webhooks carry a delivery id for receivers to deduplicate).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse

from accounts.services import account_lifecycle_stage_set, note_add
from audit import services as audit
from playbooks import webhooks, wording
from playbooks.models import (
    UNFINISHED,
    AssigneeRule,
    PlaybookAction,
    PlaybookRun,
    PlaybookRunStep,
    StepStatus,
    Task,
    TaskSource,
)
from surveys.selectors import active_survey
from surveys.services import invite_contacts

CSM_GROUP = "CSM"


@dataclass(frozen=True)
class Outcome:
    status: str
    result: str = ""
    error: str = ""


def add_days(start: date, days: int, *, business: bool) -> date:
    """`days` after `start`; with `business`, counting Monday to Friday only."""
    if not business:
        return start + timedelta(days=days)
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    while day.weekday() >= 5:  # due "within 0 business days" on a weekend: the next Monday
        day += timedelta(days=1)
    return day


def least_loaded_csm():
    """The active CSM with the fewest unfinished tasks (ties: the earliest user)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CSM_GROUP)
        .annotate(load=Count("tasks", filter=Q(tasks__status__in=UNFINISHED)))
        .order_by("load", "pk")
        .first()
    )


def task_assignee(action: PlaybookAction, account):
    """The owner, the named user or the least-loaded CSM; the least-loaded CSM also stands in
    when the owner or the named user is missing or inactive."""
    if action.assignee_rule == AssigneeRule.OWNER and account.owner and account.owner.is_active:
        return account.owner
    if action.assignee_rule == AssigneeRule.USER and action.assignee and action.assignee.is_active:
        return action.assignee
    return least_loaded_csm()


def text_context(run: PlaybookRun) -> dict[str, str]:
    owner = run.account.owner
    return {
        "account": run.account.name,
        "owner": (owner.get_full_name() or owner.get_username()) if owner else "no owner",
        "playbook": run.playbook.name,
        "details": wording.describe(run.playbook.trigger, run.trigger_values),
    }


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def task_due_on(action: PlaybookAction, run: PlaybookRun, today: date) -> date:
    """Due N (business) days after the task is made; for a renewal, no later than the day
    before it (an account entering a renewal playbook late must not get a task after the
    renewal), and never before today."""
    due = add_days(today, action.due_in_days, business=action.business_days)
    renewal = (run.trigger_values or {}).get("renewal_on")
    if renewal:
        due = max(today, min(due, date.fromisoformat(str(renewal)[:10]) - timedelta(days=1)))
    return due


def task_kind(trigger: str, title: str) -> str:
    """What a playbook task is about: its trigger and its title before the account's name is
    filled in ("usage_below:Check in with {account}: usage is down")."""
    return f"{trigger}:{title}"[:200]


def create_task(run: PlaybookRun, step: PlaybookRunStep, today: date) -> Outcome:
    """A task for the assignee, unless the account has an unfinished task of the same kind
    (from this playbook on an earlier signal, or from another one): then the step is skipped,
    and the unique constraint task_one_unfinished_per_kind settles a race between workers."""
    action, context = step.action, text_context(run)
    kind = task_kind(run.playbook.trigger, action.title)
    unfinished = Task.objects.filter(account=run.account, kind=kind, status__in=UNFINISHED)
    existing = unfinished.first()
    if existing is not None:
        return _already_open(existing)
    assignee = task_assignee(action, run.account)
    try:
        with transaction.atomic():
            task = Task.objects.create(
                account=run.account,
                assignee=assignee,
                title=wording.render(action.title, context)[:200],
                description=wording.render(action.body, context),
                due_on=task_due_on(action, run, today),
                priority=action.priority,
                source=TaskSource.PLAYBOOK,
                kind=kind,
                run=run,
                step=step,
            )
            audit.record_created("task.create", task)
    except IntegrityError:  # another worker made the same kind of task a moment ago
        return _already_open(unfinished.first())
    who = _name(assignee) if assignee else "nobody (no CSM found)"
    return Outcome(StepStatus.DONE, f"Task “{task.title}” for {who}, due {task.due_on}")


def _already_open(task: Task | None) -> Outcome:
    if task is None:
        return Outcome(StepStatus.SKIPPED, "An unfinished task of this kind exists already")
    return Outcome(
        StepStatus.SKIPPED,
        f"Not added: “{task.title}” (due {task.due_on}) is still unfinished on the account",
    )


def add_note(run: PlaybookRun, step: PlaybookRunStep, today: date) -> Outcome:
    body = wording.render(step.action.body, text_context(run))
    note_add(account=run.account, author=None, body=f"{body}\n\n(Playbook “{run.playbook}”)")
    return Outcome(StepStatus.DONE, "Note added")


def set_stage(run: PlaybookRun, step: PlaybookRunStep, today: date) -> Outcome:
    account_lifecycle_stage_set(account=run.account, stage=step.action.stage)
    return Outcome(StepStatus.DONE, f"Lifecycle stage set to {step.action.get_stage_display()}")


def send_survey(run: PlaybookRun, step: PlaybookRunStep, today: date) -> Outcome:
    """Invite the account's current champions to the active survey of the action's kind; the
    invitations are rows of this step's transaction and their emails go when it commits."""
    kind = step.action.survey_kind
    survey = active_survey(kind)
    if survey is None:
        return Outcome(StepStatus.SKIPPED, f"No active {kind.upper()} survey to send.")
    champions = run.account.contacts.filter(is_champion=True, left_on__isnull=True)
    if not champions.exists():
        return Outcome(StepStatus.SKIPPED, "The account has no current champion.")
    outcome = invite_contacts(survey=survey, contacts=champions, invited_by=None)
    return Outcome(StepStatus.DONE, outcome.summary())


# The actions that only write rows (emails of invitations go on commit), done in the step's own
# transaction.
IN_DATABASE = {
    "create_task": create_task,
    "add_note": add_note,
    "set_stage": set_stage,
    "send_survey": send_survey,
}


def email_owner(run: PlaybookRun, step: PlaybookRunStep) -> Outcome:
    owner = run.account.owner
    if owner is None or not owner.email or not owner.is_active:
        return Outcome(StepStatus.SKIPPED, "The account has no active owner with an email.")
    context = text_context(run)
    link = reverse("account_detail", args=[run.account_id])
    body = wording.render(step.action.body, context)
    send_mail(
        subject=wording.render(step.action.title, context)[:200],
        message=f"{body}\n\nAccount: {link}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
    )
    return Outcome(StepStatus.DONE, f"Email sent to {owner.email}")


def delivery_id(step: PlaybookRunStep) -> str:
    return f"run-{step.run_id}-step-{step.position}"


def webhook_payload(run: PlaybookRun, step: PlaybookRunStep) -> dict:
    """The JSON body of a webhook call (docs/webhooks.md); `timestamp` is added when sent."""
    account, owner = run.account, run.account.owner
    return {
        "event": "playbook.action",
        "delivery": delivery_id(step),
        "playbook": {"id": run.playbook_id, "name": run.playbook.name},
        "run": {
            "id": run.pk,
            "trigger": run.playbook.trigger,
            "signal": run.signal,
            "as_of": run.as_of,
            "anchor_on": run.anchor_on,
            "trigger_values": run.trigger_values,
            "summary": wording.describe(run.playbook.trigger, run.trigger_values),
        },
        "step": {"position": step.position, "due_on": step.due_on},
        "account": {
            "id": account.pk,
            "external_id": account.external_id,
            "name": account.name,
            "segment": account.segment,
            "region": account.region,
            "lifecycle_stage": account.lifecycle_stage,
            "owner_email": owner.email if owner else None,
            "path": reverse("account_detail", args=[account.pk]),
        },
    }


def call_webhook(run: PlaybookRun, step: PlaybookRunStep) -> Outcome:
    """One attempt; raises webhooks.WebhookError when it fails."""
    delivery = webhooks.deliver(
        url=step.action.url,
        payload=webhook_payload(run, step),
        secret=run.playbook.webhook_secret,
        delivery_id=delivery_id(step),
    )
    return Outcome(StepStatus.DONE, f"HTTP {delivery.status}")
