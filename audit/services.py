"""Writes of the audit log: `record` for one change, export, sign-in or batch, and the
retention prune.

Services call `record` after their write, inside its transaction, so a change that is rolled
back leaves no entry and an entry is never lost for a change that stays. A bulk write (the
import, an API batch, a connector's delivery, the nightly job) records one entry with its
counts, never one per row.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from audit.context import Actor, current_actor, current_request
from audit.models import AuditEntry

# Never written to the log, whatever the model: secrets and their hashes.
REDACTED_FIELDS = frozenset(
    {"password", "secret_sha256", "secrets_encrypted", "write_key_sha256", "webhook_secret"}
)
REDACTED = "(changed)"


def record(
    action: str,
    *,
    obj: models.Model | None = None,
    model: type[models.Model] | None = None,
    object_id: Any = "",
    label: str | None = None,
    changes: dict[str, list[Any]] | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditEntry | None:
    """Append one entry naming the current actor (or `actor`), the action and its object
    (an instance, or a model class with an id); None when AUDIT_ENABLED is off."""
    if not settings.AUDIT_ENABLED:
        return None
    who = actor or current_actor()
    if obj is not None:
        model, object_id = type(obj), obj.pk
    return AuditEntry.objects.create(
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=_no_nul(who.label)[:200],
        ip=who.ip,
        action=action[:64],
        content_type=ContentType.objects.get_for_model(model) if model else None,
        object_id="" if object_id is None else str(object_id)[:64],
        object_label=_no_nul(str(obj) if label is None and obj is not None else label or "")[:300],
        changes=_no_nul(changes or {}),
        details=_no_nul(details or {}),
    )


def field_names(model: type[models.Model]) -> list[str]:
    """The concrete fields whose values an entry compares (foreign keys by their id)."""
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


def values_of(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The instance's values of `fields` (default: every concrete field), for `diff`."""
    return {name: getattr(obj, name) for name in fields or field_names(type(obj))}


def stored_values(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The row's values as stored now (before a save changes them): one query."""
    names = list(fields or field_names(type(obj)))
    if obj.pk is None:
        return dict.fromkeys(names)
    stored = type(obj)._base_manager.filter(pk=obj.pk).values(*names).first()
    return stored if stored is not None else dict.fromkeys(names)


def _no_nul(value: Any) -> Any:
    """The value with NUL characters dropped from its text: PostgreSQL's text and jsonb cannot
    hold one, and a query string may carry one (an export's filters)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | Decimal | timedelta):
        return value  # DjangoJSONEncoder writes these
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs; secrets only say "(changed)"."""
    changed = {}
    for name in after.keys() | before.keys():
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in REDACTED_FIELDS:
            changed[name] = [None if old in (None, "") else REDACTED, REDACTED]
        else:
            changed[name] = [_plain(old), _plain(new)]
    return changed


def record_created(action: str, obj: models.Model, **kwargs) -> AuditEntry | None:
    """An entry for a new row, with every field as its new value."""
    return record(action, obj=obj, changes=diff({}, values_of(obj)), **kwargs)


def record_changed(
    action: str, obj: models.Model, before: dict[str, Any], **kwargs
) -> AuditEntry | None:
    """An entry for a changed row, with the fields that differ from `before`; nothing when no
    field changed."""
    changes = diff(before, values_of(obj, before.keys()))
    if not changes:
        return None
    return record(action, obj=obj, changes=changes, **kwargs)


def action_name(model: type[models.Model], verb: str) -> str:
    """The action of a verb on a model, "account.update": the vocabulary of every entry."""
    return f"{model._meta.model_name}.{verb}"


def audit_prune(*, now: datetime | None = None) -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS (0 keeps everything) through the
    database function the append-only trigger allows; returns how many were deleted."""
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_prune(%s)", [cutoff])
        return cursor.fetchone()[0]


def record_each(
    action: str, rows: Iterable[tuple[models.Model, dict[str, list[Any]]]]
) -> list[AuditEntry]:
    """One entry per object of a multi-object write by a person (tasks completed at once), in
    one INSERT: each object keeps its own history."""
    if not settings.AUDIT_ENABLED:
        return []
    who = current_actor()
    entries = [
        AuditEntry(
            actor_kind=who.kind,
            actor_id=who.id,
            actor_label=who.label[:200],
            ip=who.ip,
            action=action,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_label=str(obj)[:300],
            changes=changes,
        )
        for obj, changes in rows
    ]
    return AuditEntry.objects.bulk_create(entries)


def record_export(filename: str) -> AuditEntry | None:
    """An export: its file name and the filters of the request asking for it."""
    request = current_request()
    query = {k: request.GET.getlist(k) for k in request.GET} if request is not None else {}
    kind = filename.removesuffix(".csv").rstrip("-0123456789") or "csv"
    return record(f"export.{kind}", label=filename, details={"filename": filename, "query": query})
