"""Sources that push or are pulled into Northstar (Segment, Stripe...), how their ids map to
ours, and a log of what each delivery brought: received, applied, refused and unmatched.

Connectors write raw records only through the accounts app's validators and staging path
(accounts.importer.batch), so one rule per record kind stays one rule.
"""

from django.db import models


class ConnectorKind(models.TextChoices):
    SEGMENT = "segment", "Segment (HTTP Tracking API)"
    STRIPE = "stripe", "Stripe"
    HUBSPOT = "hubspot", "HubSpot"
    ZENDESK = "zendesk", "Zendesk"


# The secrets each kind keeps, encrypted at rest (connectors.crypto); the admin shows only
# whether each is set. A Segment write key is not among them: only its SHA-256 is stored.
SECRET_NAMES = {
    ConnectorKind.SEGMENT: (),
    ConnectorKind.STRIPE: ("signing_secret", "api_key"),
    ConnectorKind.HUBSPOT: ("access_token",),
    ConnectorKind.ZENDESK: ("api_token", "signing_secret"),
}
# Kinds Northstar pulls from (`connectors sync`, the beat schedule); the others push.
PULLED_KINDS = (ConnectorKind.STRIPE, ConnectorKind.HUBSPOT, ConnectorKind.ZENDESK)


class Connector(models.Model):
    kind = models.CharField(max_length=20, choices=ConnectorKind.choices)
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret options.")
    # One MultiFernet token of a JSON object {name: secret}; never shown again after saving.
    secrets_encrypted = models.TextField(blank=True, default="", editable=False)
    # Segment authenticates by write key: only its SHA-256 is kept, looked up per request.
    write_key_sha256 = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Where a pulled sync got to (a cursor), so a killed sync resumes instead of restarting.
    state = models.JSONField(default=dict, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, default="", editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def endpoint(self) -> str:
        """The path a source posts to (scripts read it from `connectors add`)."""
        if self.kind == ConnectorKind.SEGMENT:
            return "/ingest/segment"
        if self.kind in (ConnectorKind.STRIPE, ConnectorKind.ZENDESK):
            return f"/ingest/{self.kind}/{self.pk}/"
        return "none (pulled by `connectors sync`)"


class IdentityKind(models.TextChoices):
    # A source's company or customer id (Segment groupId, Stripe customer, HubSpot company,
    # Zendesk organization) -> accounts.Account.
    ACCOUNT = "account", "Account"
    USER = "user", "End user's last group"  # a Segment userId -> the Account of its last group


class ExternalIdentity(models.Model):
    """A source's id for one of our objects: set by the source's own data (a Stripe customer's
    metadata.northstar_account, a Segment group call) or by an admin in the inbox, once; every
    later record of that id follows it."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    external_id = models.CharField(max_length=255)
    object_id = models.BigIntegerField(help_text="The Northstar object's primary key.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "kind", "external_id"], name="identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connector.name}:{self.kind}:{self.external_id} -> {self.object_id}"


class SyncBatch(models.Model):
    """One delivery (a Segment request, a Stripe webhook) or one pulled sync."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="batches")
    source = models.CharField(max_length=20)  # "push", "webhook", "sync"
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    received = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)  # seen before (messageId, event id): skipped
    applied = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    unmatched = models.IntegerField(default=0)
    # The first reasons, as "field: message" (the import's text); every one is in the inbox.
    reasons = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "sync batches"
        indexes = [models.Index(fields=["connector", "-started_at"], name="syncbatch_recent_idx")]

    def __str__(self) -> str:
        return f"{self.connector.name} {self.source} at {self.started_at:%Y-%m-%d %H:%M}"


class InboxStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched"  # no account for the source's id (yet)
    REFUSED = "refused", "Refused"  # a validator said no


class InboxItem(models.Model):
    """A record that could not be applied, with the reason and the source's own payload."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="inbox")
    batch = models.ForeignKey(SyncBatch, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=20, choices=InboxStatus.choices)
    record_kind = models.CharField(max_length=20)  # accounts, contacts, events, contracts
    external_id = models.CharField(max_length=255, blank=True, default="")
    # The id an admin maps to an account to resolve it (a Stripe customer, a Segment groupId or
    # userId), and which kind of identity that mapping makes.
    match_kind = models.CharField(max_length=20, choices=IdentityKind.choices, blank=True)
    match_id = models.CharField(max_length=255, blank=True, default="")
    reason = models.TextField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The inbox lists the open items, newest first.
            models.Index(
                fields=["-created_at"],
                name="inbox_open_idx",
                condition=models.Q(resolved_at__isnull=True),
            ),
            models.Index(fields=["connector", "match_id"], name="inbox_match_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.record_kind} {self.external_id}"


class ReceivedMessage(models.Model):
    """A message id already applied (Segment messageId, Stripe event id): a resent message is
    skipped. Claimed in the same transaction as the records it brought."""

    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    message_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "message_id"], name="message_once")
        ]
        indexes = [models.Index(fields=["received_at"], name="message_prune_idx")]

    def __str__(self) -> str:
        return self.message_id
