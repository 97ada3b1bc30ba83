"""Writes of the API: keys issued and revoked, records upserted, usage events rolled up once."""

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from accounts import sql as accounts_sql
from accounts.importer.batch import (
    ANALYZE_MIN_ROWS,
    BatchResult,
    CleanItem,
    batch_clean,
    batch_upsert,
)
from accounts.importer.records import EVENTS, USAGE, RecordKind
from accounts.services import import_log_touch
from api import sql as api_sql
from api.models import ApiKey, EventSession, IdempotencyKey
from audit import services as audit

KEY_TEXT_PREFIX = "ns_"
IDEMPOTENCY_KEEP = timedelta(days=7)
SESSION_KEEP = timedelta(days=14)
_LAST_USED_EVERY = timedelta(minutes=1)


def secret_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def api_key_issue(*, api_key: ApiKey, created_by: AbstractBaseUser | None = None) -> str:
    """Give an unsaved key its secret, save it, and return the key's text: the only time the
    text exists, since only its SHA-256 is stored."""
    api_key.prefix = secrets.token_hex(4)
    text = f"{KEY_TEXT_PREFIX}{api_key.prefix}_{secrets.token_urlsafe(32)}"
    api_key.secret_sha256 = secret_sha256(text)
    api_key.created_by = created_by
    api_key.full_clean(exclude=["prefix", "secret_sha256"])
    with transaction.atomic():
        api_key.save()
        audit.record_created("apikey.create", api_key)
    return text


def api_key_create(
    *,
    name: str,
    user: AbstractBaseUser,
    scopes: Sequence[str],
    rate_limit_per_minute: int = 600,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its text (shown once)."""
    api_key = ApiKey(
        name=name, user=user, scopes=list(scopes), rate_limit_per_minute=rate_limit_per_minute
    )
    return api_key, api_key_issue(api_key=api_key, created_by=created_by)


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Refuse the key from now on; the row stays, so the admin still shows who had what."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        with transaction.atomic():
            api_key.save(update_fields=["revoked_at"])
            changes = {"revoked_at": [None, api_key.revoked_at]}
            audit.record("apikey.revoke", obj=api_key, changes=changes)


_last_used: dict[int, datetime] = {}


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Keep `last_used_at` to the minute: one small UPDATE a minute per key and process, never
    one per request."""
    now = timezone.now()
    last = _last_used.get(api_key.pk)
    if last is not None and now - last < _LAST_USED_EVERY:
        return
    _last_used[api_key.pk] = now
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


def records_upsert(*, kind: RecordKind, items: Sequence[Any]) -> BatchResult:
    """Upsert a batch of one kind's records (all or nothing) and note the write for the pages'
    freshness line once it is committed."""
    with transaction.atomic():
        result = batch_upsert(kind, items)
        audit.record(
            f"api_batch.{kind.name}",
            label=f"API batch of {kind.name}",
            details={"received": result.received, "written": result.written},
        )
    transaction.on_commit(
        lambda: import_log_touch(kind=kind.name, rows=result.received, source="api")
    )
    return result


class IdempotencyKeyReused(Exception):
    """The client sent an Idempotency-Key again with a different body."""


@dataclass(frozen=True)
class EventsResult:
    response: dict[str, int]
    replayed: bool = False


class _AlreadyApplied(Exception):
    pass


def usage_events_record(
    *,
    api_key: ApiKey,
    items: Sequence[Any],
    idempotency_key: str | None = None,
    request_sha256: str = "",
) -> EventsResult:
    """Roll raw usage events into the daily usage rows: each event adds its count (default 1)
    and minutes to the row of its account, user, feature and local date; a session id adds a
    session the first time that row sees it.

    With an `idempotency_key`, the events count once however often the request is sent: the
    key is stored in the same transaction as the events, so a retry (even one racing the first
    request in another process) gets the first answer back instead of counting them again."""
    if idempotency_key:
        previous = _previous_answer(api_key, idempotency_key, request_sha256)
        if previous is not None:
            return previous
    rows = batch_clean(EVENTS, items)
    try:
        with transaction.atomic():
            written = usage_events_roll_up(rows=rows)
            response = {"received": len(rows), "usage_rows": written}
            if idempotency_key and not _claim(api_key, idempotency_key, request_sha256, response):
                raise _AlreadyApplied
            transaction.on_commit(
                lambda: import_log_touch(kind="usage", rows=len(rows), source="api")
            )
    except _AlreadyApplied:
        # Another request with this key committed while this one ran: this one is undone.
        return _previous_answer(api_key, idempotency_key, request_sha256)
    return EventsResult(response)


def usage_events_roll_up(*, rows: Sequence[CleanItem]) -> int:
    """Add validated events (batch_clean(EVENTS, ...)) to the daily usage rows
    of their local dates, in the caller's transaction: the one path of every event source (the
    API, Segment's track and page calls). Returns the usage rows inserted or changed."""
    with connection.cursor() as cursor:
        written = api_sql.events_roll_up(
            cursor, [row.full_row(EVENTS) for row in rows], zone=settings.TIME_ZONE
        )
        if written >= ANALYZE_MIN_ROWS:
            accounts_sql.analyze_kind_if_changed(cursor, USAGE, written)
        return written


def _previous_answer(api_key: ApiKey, key: str, request_sha256: str) -> EventsResult | None:
    previous = IdempotencyKey.objects.filter(api_key=api_key, key=key).first()
    if previous is None:
        return None
    if previous.request_sha256 != request_sha256:
        raise IdempotencyKeyReused(key)
    return EventsResult(previous.response, replayed=True)


def _claim(api_key: ApiKey, key: str, request_sha256: str, response: dict) -> bool:
    """Store the key with its answer; False when another request stored it first (the unique
    constraint makes this insert wait for that request's transaction, then skip)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO api_idempotencykey (api_key_id, key, request_sha256, response, "
            "created_at) VALUES (%s, %s, %s, %s, now()) ON CONFLICT DO NOTHING",
            [api_key.pk, key, request_sha256, json.dumps(response)],
        )
        return cursor.rowcount == 1


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Keys after IDEMPOTENCY_KEEP (a retry comes within minutes, not
    weeks); return how many were deleted."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEEP
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def event_sessions_prune(*, today: date | None = None) -> int:
    """Forget the session ids of usage days older than SESSION_KEEP: events arrive within
    minutes; one arriving later than that counts its session again. Returns rows deleted."""
    cutoff = (today or timezone.localdate()) - SESSION_KEEP
    deleted, _ = EventSession.objects.filter(date__lt=cutoff).delete()
    return deleted
