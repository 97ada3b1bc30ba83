"""The audit log: one append-only row per change, export or sign-in.

Rows are only ever inserted: a trigger (migration 0001) refuses UPDATE, DELETE and TRUNCATE from
any role, except the deletes of `audit_prune(cutoff)`, the retention function. Nothing here
points at another table with a foreign key that could cascade or be set null: the actor and the
object are kept by id and label, so deleting a user or an account never has to touch the log.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ActorKind(models.TextChoices):
    USER = "user", "User"
    API_KEY = "api_key", "API key"  # pragma: allowlist secret
    CONNECTOR = "connector", "Connector"
    PLAYBOOK = "playbook", "Playbook"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous (a public page)"


class AuditEntry(models.Model):
    at = models.DateTimeField(db_default=models.functions.Now(), editable=False)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # "<object type>.<verb>", e.g. "account.update", "import.run", "export.accounts",
    # "user.sign_in_failed".
    action = models.CharField(max_length=64)
    # No constraint: a content type removed with its model must not need the log changed.
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    # {"field": [old, new], ...}; for a creation old is null, for a deletion new is.
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # What else the row needs to be read: a batch's counts, an export's filters.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            # The page and the API: newest first, a page at a time (keyset on at, id).
            models.Index(fields=["-at", "-id"], name="audit_newest"),
            # One object's history, and the page filtered by object type.
            models.Index(fields=["content_type", "object_id", "-at"], name="audit_object"),
            # The page filtered by who did it.
            models.Index(fields=["actor_kind", "actor_id", "-at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or self.actor_kind} {self.action}"
