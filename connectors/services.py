"""Writes of the connectors app: connectors and their secrets, identities, the delivery log and
the inbox. Each source's own writes are in segment_services and stripe_services."""

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.importer.batch import BatchInvalid
from accounts.models import Account
from audit import services as audit
from audit.context import Actor
from audit.models import ActorKind
from connectors import crypto
from connectors.models import (
    SECRET_NAMES,
    Connector,
    ConnectorKind,
    ExternalIdentity,
    IdentityKind,
    InboxItem,
    InboxStatus,
    SyncBatch,
)

WRITE_KEY_PREFIX = "nsw_"
REASONS_KEPT = 20  # on the batch row; the inbox keeps every one


class ConnectorInvalid(Exception):
    """A connector cannot be created or run as asked; the message says why."""


def write_key_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def connector_create(
    *,
    kind: str,
    name: str,
    settings: dict | None = None,
    secrets_given: dict[str, str] | None = None,
) -> tuple[Connector, str | None]:
    """A new connector and, for Segment, its write key's text (shown once: only its SHA-256 is
    stored)."""
    if kind not in ConnectorKind.values:
        raise ConnectorInvalid(f"unknown kind {kind!r} (expected: {', '.join(ConnectorKind)})")
    if Connector.objects.filter(name=name).exists():
        raise ConnectorInvalid(f"a connector named {name!r} already exists")
    connector = Connector(kind=kind, name=name, settings=settings or {})
    connector_secrets_set(connector=connector, secrets_given=secrets_given or {}, save=False)
    write_key = None
    if kind == ConnectorKind.SEGMENT:
        write_key = _new_write_key(connector)
    with transaction.atomic():
        connector.save()
        audit.record_created("connector.create", connector)
    return connector, write_key


def segment_write_key_issue(*, connector: Connector) -> str:
    """Replace the connector's write key (the old one stops working) and return the new text."""
    text = _new_write_key(connector)
    with transaction.atomic():
        connector.save(update_fields=["write_key_sha256"])
        audit.record("connector.write_key_issue", obj=connector,
                     changes={"write_key_sha256": [audit.REDACTED, audit.REDACTED]})  # fmt: skip
    return text


def _new_write_key(connector: Connector) -> str:
    text = WRITE_KEY_PREFIX + secrets.token_urlsafe(24)
    connector.write_key_sha256 = write_key_sha256(text)
    return text


def connector_secrets_set(
    *, connector: Connector, secrets_given: dict[str, str], save: bool = True
) -> None:
    """Store the given secrets (an empty value keeps the stored one), encrypted."""
    allowed = SECRET_NAMES[ConnectorKind(connector.kind)]
    unknown = sorted(set(secrets_given) - set(allowed))
    if unknown:
        raise ConnectorInvalid(f"{connector.kind} connectors keep no secret {', '.join(unknown)}")
    current = crypto.secrets_decrypt(connector.secrets_encrypted)
    current.update({name: value for name, value in secrets_given.items() if value})
    connector.secrets_encrypted = crypto.secrets_encrypt(current) if current else ""
    if save:
        with transaction.atomic():
            connector.save(update_fields=["secrets_encrypted"])
            audit.record("connector.secrets_set", obj=connector, details={"names": sorted(
                name for name, value in secrets_given.items() if value)})  # fmt: skip


def connector_secrets(connector: Connector) -> dict[str, str]:
    return crypto.secrets_decrypt(connector.secrets_encrypted)


def connector_secrets_rotate() -> int:
    """Re-encrypt every connector's secrets with the first key; returns how many."""
    rotated = 0
    with transaction.atomic():
        for connector in Connector.objects.select_for_update().exclude(secrets_encrypted=""):
            connector.secrets_encrypted = crypto.secrets_rotate(connector.secrets_encrypted)
            connector.save(update_fields=["secrets_encrypted"])
            rotated += 1
        audit.record("connector.secrets_rotate", model=Connector, label="every connector",
                     details={"connectors": rotated})  # fmt: skip
    return rotated


def connector_succeeded(*, connector: Connector) -> None:
    Connector.objects.filter(pk=connector.pk).update(last_success_at=timezone.now())


def connector_failed(*, connector: Connector, error: str) -> None:
    Connector.objects.filter(pk=connector.pk).update(
        last_error=error[:2000], last_error_at=timezone.now()
    )


# --- Records that could not be applied --------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """One record a source sent that was not applied, and why (the import's field: message)."""

    record_kind: str
    field: str
    message: str
    payload: Any
    external_id: str = ""
    match_kind: str = ""  # set when mapping an id to an account would let it through
    match_id: str = ""

    @property
    def unmatched(self) -> bool:
        return bool(self.match_kind)

    @property
    def reason(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class Delivery:
    """What one delivery brought; `record` writes it to the log and the inbox."""

    connector: Connector
    source: str
    dry_run: bool = False
    received: int = 0
    duplicates: int = 0
    applied: int = 0
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return sum(not refusal.unmatched for refusal in self.refusals)

    @property
    def unmatched(self) -> int:
        return sum(refusal.unmatched for refusal in self.refusals)

    def record(self) -> SyncBatch:
        """The batch row and one inbox item per refusal (a few statements, not one per item)."""
        batch = SyncBatch.objects.create(
            connector=self.connector, source=self.source, dry_run=self.dry_run,
            finished_at=timezone.now(), received=self.received, duplicates=self.duplicates,
            applied=self.applied, refused=self.refused, unmatched=self.unmatched,
            reasons=[refusal.reason for refusal in self.refusals[:REASONS_KEPT]],
        )  # fmt: skip
        audit.record(
            f"connector.{'dry_run' if self.dry_run else 'delivery'}",
            obj=batch,
            label=f"{self.connector.name}: {self.source}",
            details=self.as_dict(),
            actor=Actor.of(ActorKind.CONNECTOR, self.connector),
        )
        if self.refusals:
            InboxItem.objects.bulk_create(
                InboxItem(
                    connector=self.connector,
                    batch=batch,
                    status=InboxStatus.UNMATCHED if refusal.unmatched else InboxStatus.REFUSED,
                    record_kind=refusal.record_kind,
                    external_id=refusal.external_id[:255],
                    match_kind=refusal.match_kind,
                    match_id=refusal.match_id[:255],
                    reason=refusal.reason,
                    payload=refusal.payload,
                )
                for refusal in self.refusals
            )
        return batch

    def as_dict(self) -> dict[str, int]:
        return {
            "received": self.received,
            "duplicates": self.duplicates,
            "applied": self.applied,
            "refused": self.refused,
            "unmatched": self.unmatched,
        }


T = TypeVar("T")


def lenient(
    validate: Callable[[list[dict]], T], items: Sequence[tuple[Any, dict]]
) -> tuple[T | None, list[tuple[Any, str, str]]]:
    """Run a validator of the import (batch_upsert, batch_clean) over item dicts; when it names
    bad items, set those aside and run it again on the rest, so that one bad record never holds
    back a delivery's others. `items` pairs each dict with a tag (its message); returns the
    validator's result and (tag, field, message) for every item set aside."""
    refused: list[tuple[Any, str, str]] = []
    pending = list(items)
    while pending:
        try:
            return validate([item for _, item in pending]), refused
        except BatchInvalid as exc:
            bad = set()
            for problem in exc.problems:
                if problem.item is None:  # about the whole request: every item shares it
                    refused += [(tag, problem.field, problem.message) for tag, _ in pending]
                    return None, refused
                refused.append((pending[problem.item][0], problem.field, problem.message))
                bad.add(problem.item)
            pending = [pair for position, pair in enumerate(pending) if position not in bad]
    return None, refused


@dataclass
class Changes:
    """What a sync did (or, in a dry run, would do), record by record."""

    items: list[tuple[str, dict]] = field(default_factory=list)  # (source id, item)
    ended: int = 0
    accounts: set[str] = field(default_factory=set)
    diffs: list[str] = field(default_factory=list)


@dataclass
class SyncSummary:
    delivery: Delivery
    changes: Changes
    new_accounts: int = 0
    rate_limited: int = 0

    def line(self, *, dry_run: bool) -> str:
        verb = "would change" if dry_run else "changed"
        end = "would end" if dry_run else "ended"
        return (
            f"{len(self.changes.accounts)} accounts {verb} ({self.new_accounts} new), "
            f"{self.changes.ended} contracts {end}, "
            f"{self.delivery.unmatched + self.delivery.refused} records cannot be matched"
        )


# --- The inbox --------------------------------------------------------------------------------


def identity_account_set(*, connector: Connector, external_id: str, account: Account) -> None:
    ExternalIdentity.objects.update_or_create(
        connector=connector, kind=IdentityKind.ACCOUNT, external_id=external_id,
        defaults={"object_id": account.pk},
    )  # fmt: skip


FAILING_ALERT_AFTER = timedelta(hours=1)


def connectors_failing_alert(*, now: datetime | None = None) -> int:
    """Email the admins (staff users with an email) once about each active connector whose
    last run failed and which has not succeeded for FAILING_ALERT_AFTER; the next success
    clears the flag (it resets the connector's state). Returns how many connectors were named."""
    now = now or timezone.now()
    cutoff = now - FAILING_ALERT_AFTER
    failing = [
        connector
        for connector in Connector.objects.filter(is_active=True, last_error_at__isnull=False)
        .filter(
            Q(last_success_at__isnull=True, created_at__lt=cutoff) | Q(last_success_at__lt=cutoff)
        )
        .filter(Q(last_success_at__isnull=True) | Q(last_success_at__lt=F("last_error_at")))
        if "alerted_at" not in connector.state
    ]
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    for connector in failing:
        since = connector.last_success_at or connector.created_at
        send_mail(
            f"Northstar: connector {connector.name} is failing",
            f"{connector} has not succeeded since {since:%Y-%m-%d %H:%M %Z}. Last error "
            f"({connector.last_error_at:%Y-%m-%d %H:%M %Z}):\n\n{connector.last_error}\n\n"
            "Check its settings and secrets in the admin, then run "
            f"`python manage.py connectors sync {connector.name}`.",
            None, recipients,
        )  # fmt: skip
        connector.state = {**connector.state, "alerted_at": now.isoformat()}
        connector.save(update_fields=["state"])
    return len(failing)
