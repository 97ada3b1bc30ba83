"""What each user is told, and how they want to be told (docs/notifications.md).

A `Notification` is one signal for one user (an alert raised, a detractor's answer, an account
entering red, a task due): one row per signal and user, keyed by `dedupe_key`, so the bell, Slack
and the digest all read the same record and no channel sends the same thing twice. A
`NotificationPreference` holds a user's channels per signal, scope, quiet hours and digest.
"""

from django.conf import settings
from django.db import models


class Signal(models.TextChoices):
    ALERT = "alert", "Health alerts"
    ENTERED_RED = "entered_red", "Health moved to red"
    DETRACTOR = "detractor", "Detractor answers"
    TASK_DUE = "task_due", "Tasks due"


class ChannelChoice(models.TextChoices):
    APP = "app", "In the app (the bell)"
    EMAIL = "email", "Email digest"
    SLACK = "slack", "Slack"


class Scope(models.TextChoices):
    MINE = "mine", "My accounts"
    ALL = "all", "Every account I may see"


class Digest(models.TextChoices):
    OFF = "off", "No digest"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (Mondays)"


class SlackState(models.TextChoices):
    NOT_ROUTED = "", "Not sent to Slack"
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will not retry)"


def default_channels() -> dict:
    return {signal.value: [ChannelChoice.APP.value, ChannelChoice.EMAIL.value] for signal in Signal}


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channels = models.JSONField(
        default=default_channels, help_text="For each signal, the channels it goes to."
    )
    scope = models.CharField(max_length=4, choices=Scope.choices, default=Scope.MINE)
    digest = models.CharField(max_length=6, choices=Digest.choices, default=Digest.DAILY)
    digest_hour = models.PositiveSmallIntegerField(
        default=8, help_text="The local hour the digest arrives (0-23)."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, default="", help_text="Empty: the workspace's time zone."
    )
    quiet_from = models.TimeField(null=True, blank=True, help_text="No Slack messages from...")
    quiet_until = models.TimeField(null=True, blank=True, help_text="...until (local time).")
    slack_user_id = models.CharField(
        max_length=32, blank=True, default="", help_text="Slack member id for direct messages."
    )
    last_digest_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__lte=23), name="notification_digest_hour_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Notifications of {self.user}"

    def wants(self, signal: str, channel: str) -> bool:
        return channel in self.channels.get(signal, [])


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    signal = models.CharField(max_length=12, choices=Signal.choices)
    dedupe_key = models.CharField(max_length=100)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(
        "healthscores.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        "playbooks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    detail = models.CharField(max_length=500, blank=True, default="")
    mrr = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    slack_state = models.CharField(
        max_length=8, choices=SlackState.choices, blank=True, default=SlackState.NOT_ROUTED
    )
    slack_attempts = models.PositiveSmallIntegerField(default=0)
    slack_error = models.CharField(max_length=300, blank=True, default="")
    slack_sent_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="one_notification_per_signal_and_user"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["slack_state"],
                condition=models.Q(slack_state="pending"),
                name="notification_slack_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title
