"""API keys, the Idempotency-Key ledger of usage events, and the sessions events have counted.

A key is stored as the SHA-256 of its text (a 256-bit random secret needs no slow hash) beside a
short public prefix that finds it; the text itself is shown once, when the key is created.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models

from accounts.access import user_sees_all_accounts


class Scope(models.TextChoices):
    WRITE_ACCOUNTS = "write:accounts", "Write accounts, contacts and contracts"
    WRITE_TICKETS = "write:tickets", "Write tickets"
    WRITE_USAGE = "write:usage", "Write usage events"
    WRITE_SURVEYS = "write:surveys", "Write survey responses"
    READ_METRICS = "read:metrics", "Read KPIs, snapshots and KPI definitions"
    READ_AUDIT = "read:audit", "Read the audit log (the key's user must be staff)"


WRITE_SCOPES = frozenset(scope for scope in Scope if scope.startswith("write:"))


class ApiKey(models.Model):
    name = models.CharField(max_length=100, help_text="What uses the key, e.g. 'billing sync'.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="The key acts as this user: reads see only the accounts the user may see.",
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_sha256 = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices))
    rate_limit_per_minute = models.PositiveIntegerField(
        default=600, help_text="Requests per minute before the API answers 429."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (ns_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def clean(self) -> None:
        # A write key can change any account: only a user who may see every account holds one.
        writes = WRITE_SCOPES & set(self.scopes or ())
        if writes and self.user_id and not user_sees_all_accounts(self.user):
            raise ValidationError(
                {
                    "scopes": f"{', '.join(sorted(writes))} can change any account: give write "
                    f"scopes only to a user who may see every account (a leader or an admin)."
                }
            )


class IdempotencyKey(models.Model):
    """A usage-events request that was applied, by its client's Idempotency-Key: a retry finds
    it and gets the first answer back instead of counting the events again. Written in the same
    transaction as the events, so the unique constraint makes a retry racing the first request
    wait for it, then see it."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique"),
        ]
        indexes = [
            # The daily prune deletes the oldest entries.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class EventSession(models.Model):
    """A session id seen in the events of one usage row, so that the row's `sessions` counts its
    distinct session ids even when their events arrive in different requests.

    Stored as a hash of (date, account, user, feature, session id): one narrow unique index
    instead of five wide columns, about half the cost of each insert. Rows older than
    SESSION_KEEP are pruned daily; an event arriving later than that counts its session again."""

    key = models.UUIDField(unique=True)
    date = models.DateField()

    class Meta:
        indexes = [
            # The daily prune deletes the oldest days.
            models.Index(fields=["date"], name="event_session_date_idx"),
        ]

    def __str__(self) -> str:
        return str(self.key)
