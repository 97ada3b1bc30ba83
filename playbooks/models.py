"""Playbooks ("when this happens, do that"), their runs, and the tasks of a CSM's day.

A Playbook has one trigger (with its parameters), conditions on account fields and snapshot
metrics, and ordered actions. The nightly evaluation enrols matching accounts set-based: one
PlaybookRun per (playbook, account, signal), so the same signal never enrols an account twice,
and one PlaybookRunStep per action, which records that action's completion so a redelivered
Celery task skips what is done. Tasks are the CSM's to-do items, made by people or by runs.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import LifecycleStage
from surveys.models import SurveyKind


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class Trigger(models.TextChoices):
    BAND_ENTERED = "band_entered", "Health entered a band"
    HEALTH_FELL = "health_fell", "Health fell by N points in D days"
    RENEWAL_WITHIN = "renewal_within", "Renewal in N days"
    CHAMPION_LEFT = "champion_left", "A champion left"
    DETRACTOR = "detractor", "A detractor response"
    USAGE_BELOW = "usage_below", "Usage trend below X %"
    SEATS_ABOVE = "seats_above", "Seat utilisation above X %"
    ONBOARDING = "onboarding", "An account started onboarding (its first contract)"
    FILTER_MATCH = "filter_match", "An account matches a view for the first time"
    VIEW_ENTERED = "view_entered", "An account enters a view"
    VIEW_LEFT = "view_left", "An account leaves a view"


# The triggers that name a view (accounts.models.View).
VIEW_TRIGGERS = (Trigger.FILTER_MATCH, Trigger.VIEW_ENTERED, Trigger.VIEW_LEFT)


class Band(models.TextChoices):
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    RED = "red", "Red"


class Playbook(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField(
        default=False, help_text="Only active playbooks enrol accounts; try a dry run first."
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    # The trigger's parameters; which ones a trigger needs is checked by playbooks.forms.
    band = models.CharField(
        max_length=8, choices=Band.choices, blank=True, default="", help_text="Band entered."
    )
    points = models.FloatField(null=True, blank=True, help_text="Health points fallen (N).")
    days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days: the fall's window (D), or renewal within N days."
    )
    threshold = models.FloatField(
        null=True, blank=True, help_text="Percent: usage trend below, or seat utilisation above."
    )
    # The view of the view triggers (its filter: accounts.filters); saved filters became views.
    view = models.ForeignKey(
        "accounts.View",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="playbooks",
        help_text="The view an account matches, enters or leaves.",
    )
    reenroll_after_days = models.PositiveIntegerField(
        default=30,
        help_text="An account enters this playbook at most once in this many days (and never "
        "twice for the same signal).",
    )
    webhook_secret = models.CharField(
        max_length=64,
        default=new_webhook_secret,
        help_text="Signs this playbook's webhook calls (HMAC-SHA256); receivers verify with it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gt=0), name="playbook_points_positive"
            ),
            models.CheckConstraint(
                condition=Q(reenroll_after_days__gte=1), name="playbook_reenroll_at_least_a_day"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConditionField(models.TextChoices):
    SEGMENT = "segment", "Segment"
    REGION = "region", "Region"
    INDUSTRY = "industry", "Industry"
    OWNER = "owner", "Owner (username)"
    LIFECYCLE_STAGE = "lifecycle_stage", "Lifecycle stage"
    HEALTH_BAND = "health_band", "Health band"
    MRR = "mrr", "MRR"
    HEALTH_SCORE = "health_score", "Health score"
    SEATS = "seats", "Seats"
    SEAT_UTILIZATION = "seat_utilization", "Seat utilisation (%)"
    USAGE_TREND = "usage_trend", "Usage trend (%)"
    FEATURE_ADOPTION = "feature_adoption", "Feature adoption (%)"
    OPEN_TICKETS = "open_tickets", "Open tickets"
    NPS = "nps_180d", "NPS (180 days)"
    CSAT = "csat_180d", "CSAT (180 days)"
    DAYS_TO_RENEWAL = "days_to_renewal", "Days to renewal"


# Fields compared as text ("is one of"); the others are numbers ("at least", "at most").
TEXT_CONDITION_FIELDS = frozenset(
    {"segment", "region", "industry", "owner", "lifecycle_stage", "health_band"}
)


class Operator(models.TextChoices):
    IN = "in", "is one of"
    NOT_IN = "not_in", "is not one of"
    GTE = "gte", "is at least"
    LTE = "lte", "is at most"


class Condition(models.Model):
    """One test on an account or its latest snapshot; a playbook's conditions must all hold.
    Values: a comma-separated list for "is one of", a number else. They are compiled by the
    accounts' filter compiler (accounts.filters.Criterion), as a view's are."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=20, choices=ConditionField.choices)
    operator = models.CharField(max_length=6, choices=Operator.choices)
    value = models.CharField(max_length=500)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}"

    @property
    def values(self) -> list[str]:
        return [part.strip() for part in self.value.split(",") if part.strip()]


class ActionKind(models.TextChoices):
    CREATE_TASK = "create_task", "Create a task"
    EMAIL_OWNER = "email_owner", "Email the owner"
    SEND_SURVEY = "send_survey", "Send a survey to the champions"
    WEBHOOK = "webhook", "Call a webhook"
    SET_STAGE = "set_stage", "Set the lifecycle stage"
    ADD_NOTE = "add_note", "Add a note"


class AssigneeRule(models.TextChoices):
    OWNER = "owner", "The account's owner"
    USER = "user", "A named user"
    LEAST_LOADED = "least_loaded", "The least-loaded CSM"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class PlaybookAction(models.Model):
    """One step of a playbook, done `day_offset` days after the signal (onboarding steps)."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    day_offset = models.PositiveIntegerField(
        default=0, help_text="Days after the signal; 0: at once."
    )
    title = models.CharField(
        max_length=200, blank=True, default="", help_text="Task title or email subject."
    )
    body = models.TextField(
        blank=True, default="", help_text="Task description, email text or note text."
    )
    due_in_days = models.PositiveIntegerField(default=3, help_text="Task due this many days on.")
    business_days = models.BooleanField(
        default=False, help_text="Count the due days as business days (Monday to Friday)."
    )
    priority = models.CharField(
        max_length=6, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    assignee_rule = models.CharField(
        max_length=12, choices=AssigneeRule.choices, default=AssigneeRule.OWNER
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The named user, for that rule.",
    )
    survey_kind = models.CharField(
        max_length=4,
        choices=SurveyKind.choices,
        blank=True,
        default="",
        help_text="The survey to send: the active one of this kind.",
    )
    url = models.URLField(max_length=500, blank=True, default="", help_text="Webhook URL.")
    stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True, default="")

    class Meta:
        ordering = ["playbook", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_kind_display()}"


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Done with errors"


class PlaybookRun(models.Model):
    """One account entering one playbook for one signal; its steps say what was done."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="runs")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="playbook_runs"
    )
    signal = models.CharField(
        max_length=100, help_text="What fired, e.g. renewal:2025-09-30 or response:812."
    )
    trigger_values = models.JSONField(default=dict, help_text="The values that fired it.")
    as_of = models.DateField(help_text="The snapshot date evaluated.")
    anchor_on = models.DateField(help_text="The signal's day: action day offsets count from it.")
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Never twice for the same signal.
            models.UniqueConstraint(
                fields=["playbook", "account", "signal"], name="run_once_per_signal"
            ),
        ]
        indexes = [
            # Re-enrolment: the latest run of a playbook per account.
            models.Index(fields=["playbook", "account", "-as_of"], name="run_reenrol_idx"),
            # The account timeline: an account's newest runs.
            models.Index(fields=["account", "-created_at"], name="run_account_idx"),
            # The nightly sweep: runs with steps still to do.
            models.Index(fields=["status"], condition=Q(status="pending"), name="run_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} for {self.account_id} ({self.signal})"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class PlaybookRunStep(models.Model):
    """One action of one run: its completion is recorded here, in the transaction that did it
    (or right after an outside call), so a redelivered task never does it twice."""

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    action = models.ForeignKey(
        PlaybookAction, null=True, on_delete=models.SET_NULL, related_name="steps"
    )
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    due_on = models.DateField(help_text="The day it is to be done: the anchor plus its offset.")
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="step_one_per_position"),
        ]
        indexes = [
            # The nightly sweep: pending steps that have come due.
            models.Index(
                fields=["due_on"], condition=Q(status="pending"), name="step_pending_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.position} {self.kind} ({self.status})"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"


class TaskSource(models.TextChoices):
    PERSON = "person", "A person"
    PLAYBOOK = "playbook", "A playbook"


# Tasks still to do: open, or snoozed (they come back on their snooze date).
UNFINISHED = (TaskStatus.OPEN, TaskStatus.SNOOZED)


class Task(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    due_on = models.DateField()
    priority = models.CharField(
        max_length=6, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    snoozed_until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=TaskSource.choices)
    # What a playbook's task is about (the trigger and the action's title, before the account's
    # name is filled in): an account has at most one unfinished task of a kind, however many
    # playbooks or signals ask for it. Empty for tasks written by people.
    kind = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    run = models.ForeignKey(
        PlaybookRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    # The step that made it: one task per step, however often the step's Celery task is run.
    step = models.OneToOneField(
        PlaybookRunStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="task"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.SNOOZED) | Q(snoozed_until__isnull=False),
                name="task_snooze_has_date",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="task_title_required"),
            # One unfinished task of a kind per account: a second playbook (or a new signal of
            # the same one) finds the open task instead of adding another line to My day.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(status__in=["open", "snoozed"]) & ~Q(kind=""),
                name="task_one_unfinished_per_kind",
            ),
        ]
        indexes = [
            # My day: a user's unfinished tasks by due date; the team view counts them per user.
            models.Index(
                fields=["assignee", "due_on"],
                condition=Q(status__in=["open", "snoozed"]),
                name="task_assignee_due_idx",
            ),
            # The account timeline: an account's newest tasks.
            models.Index(fields=["account", "-created_at"], name="task_account_idx"),
        ]

    def __str__(self) -> str:
        return self.title
