"""Bulk actions from the accounts list: change many accounts in one transaction, keep a record
of what each held before, and undo it from that record for a day.

Every action is one transaction: lock the chosen accounts' rows (in id order, so two bulk
actions cannot deadlock), read their old values in one query, write in one UPDATE, and insert
the BulkAction. Surveys and tasks (surveys.services, playbooks.services) record themselves
through `bulk_action_record` inside their own transaction, and undo through `bulk_action_undo`
with their own revert step, so every kind shares one record and one undo rule:

- an undo is possible for UNDO_WINDOW after the action, once;
- it restores an account's old value only while the account still holds the value the action
  set; an account changed since (by a person, the import, another bulk action) keeps its newer
  value, and the record lists it as kept, so undo never overwrites later work.

Who may: users with accounts.bulk_change_accounts (leaders, admins) on any account they see;
others only tasks and surveys, and only on accounts they may act on (accounts.access).
"""

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts import sql
from accounts.access import accounts_actable_by, accounts_visible_to
from accounts.models import (
    Account,
    BulkAction,
    BulkActionKind,
    CustomField,
    CustomFieldTarget,
    LifecycleStage,
)
from accounts.tags import normalise_tag
from audit import services as audit
from core.sql import execute_logged

BULK_PERMISSION = "accounts.bulk_change_accounts"
UNDO_WINDOW = timedelta(days=1)
# Kinds anyone may run on the accounts they may act on, with the kind's own permission.
OWN_ACCOUNT_KINDS = {
    BulkActionKind.TASK: "playbooks.add_task",
    BulkActionKind.SURVEY: "surveys.add_invitation",
}


class BulkRefused(ValueError):
    """A bulk action or undo that is refused, with the message to show; nothing was written."""


def user_may_bulk(user: AbstractBaseUser, kind: str) -> bool:
    """Whether the user's role may run this kind of bulk action at all."""
    if user.has_perm(BULK_PERMISSION):
        return True
    permission = OWN_ACCOUNT_KINDS.get(kind)
    return permission is not None and user.has_perm(permission)


def bulk_targets(*, user: AbstractBaseUser, kind: str, account_ids: Iterable[int]) -> list[int]:
    """The chosen accounts' ids, sorted, after the access rules: 404 when one of them is hidden
    from the user (no leak), 403 when the role may not run `kind` or may only read one of
    them. Two queries; all or nothing, so a refused selection changes no account."""
    ids = sorted(set(account_ids))
    if not user_may_bulk(user, kind):
        raise PermissionDenied("Your role may not run this bulk action.")
    if not ids:
        raise BulkRefused("Select at least one account.")
    if accounts_visible_to(user).filter(pk__in=ids).count() != len(ids):
        raise Http404("Some of these accounts do not exist or are not yours to see.")
    if not user.has_perm(BULK_PERMISSION):
        actable = accounts_actable_by(user).filter(pk__in=ids).count()
        if actable != len(ids):
            raise PermissionDenied(
                f"{len(ids) - actable} of these accounts are not yours: tasks and surveys in "
                "bulk are for your own accounts (leaders and admins may do any)."
            )
    return ids


def bulk_action_record(
    *,
    kind: str,
    user: AbstractBaseUser,
    account_ids: list[int],
    value: dict,
    summary: str,
    old_values: dict | None = None,
    created_ids: list[int] | None = None,
) -> BulkAction:
    """The record of an action, written inside the action's transaction, with its one audit
    entry (a bulk write is one entry with its counts, not one per account)."""
    action = BulkAction.objects.create(
        kind=kind, performed_by=user, account_ids=account_ids, value=value, summary=summary,
        old_values=old_values or {}, created_ids=created_ids or [],
    )  # fmt: skip
    counts = {"accounts": len(account_ids), "created": len(created_ids or []), "value": value}
    audit.record(f"bulk.{kind}", obj=action, details=counts)
    return action


def _locked_values(account_ids: list[int], *columns) -> dict[str, object]:
    """{account id: old value} of the accounts, their rows locked until the transaction ends."""
    rows = (
        Account.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")
        .values_list("pk", *columns)
    )
    return {str(pk): value for pk, value in rows}


def bulk_owner_set(
    *, user: AbstractBaseUser, account_ids: list[int], owner: AbstractBaseUser | None
) -> BulkAction:
    """Give the accounts a new owner (None: no owner)."""
    name = (owner.get_full_name() or owner.get_username()) if owner else "nobody"
    with transaction.atomic():
        old = _locked_values(account_ids, "owner_id")
        # Only rows that change are written (each written row updates every index, GIN too).
        changing = Account.objects.filter(pk__in=account_ids)
        changing = changing.exclude(owner=owner) if owner else changing.exclude(owner=None)
        changing.update(owner=owner)
        return bulk_action_record(
            kind=BulkActionKind.OWNER, user=user, account_ids=account_ids,
            value={"owner": owner.pk if owner else None}, summary=f"Owner set to {name}",
            old_values=old,
        )  # fmt: skip


def bulk_stage_set(*, user: AbstractBaseUser, account_ids: list[int], stage: str) -> BulkAction:
    """Move the accounts to a lifecycle stage (the import derives stages from contracts again
    when it runs, as for one account: accounts.services.account_lifecycle_stage_set)."""
    if stage not in LifecycleStage.values:
        raise BulkRefused(f"Unknown lifecycle stage {stage!r}.")
    with transaction.atomic():
        old = _locked_values(account_ids, "lifecycle_stage")
        changing = Account.objects.filter(pk__in=account_ids).exclude(lifecycle_stage=stage)
        changing.update(lifecycle_stage=stage)
        return bulk_action_record(
            kind=BulkActionKind.STAGE, user=user, account_ids=account_ids, value={"stage": stage},
            summary=f"Lifecycle stage set to {LifecycleStage(stage).label}", old_values=old,
        )  # fmt: skip


def bulk_field_set(
    *, user: AbstractBaseUser, account_ids: list[int], field: CustomField, value
) -> BulkAction:
    """Set an account custom field to a stored value (custom_fields.stored_value; None clears
    it) on every account: one UPDATE merging the key into the JSON."""
    if field.target != CustomFieldTarget.ACCOUNT:
        raise BulkRefused("Only account fields can be set on accounts.")
    with transaction.atomic(), connection.cursor() as cursor:
        locked = Account.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")
        old = {str(pk): custom.get(field.key) for pk, custom in locked.values_list("pk", "custom")}
        params = {"key": field.key, "value": Jsonb(value), "ids": account_ids}
        statement = sql.BULK_FIELD_CLEAR if value is None else sql.BULK_FIELD_SET
        execute_logged(cursor, statement, params, label="bulk field set")
        what = "cleared" if value is None else f"set to {_shown(value)}"
        return bulk_action_record(
            kind=BulkActionKind.FIELD, user=user, account_ids=account_ids,
            value={"key": field.key, "value": value}, summary=f"{field.label} {what}",
            old_values=old,
        )  # fmt: skip


def bulk_tag_change(
    *, user: AbstractBaseUser, account_ids: list[int], tag: str, add: bool
) -> BulkAction:
    """Add a tag to (or remove it from) every account: one UPDATE of the rows that change,
    the record holding whether each account carried the tag before."""
    tag = normalise_tag(tag)
    with transaction.atomic(), connection.cursor() as cursor:
        old = {pk: tag in tags for pk, tags in _locked_values(account_ids, "tags").items()}
        statement = sql.BULK_TAG_ADD if add else sql.BULK_TAG_REMOVE
        execute_logged(cursor, statement, {"tag": tag, "ids": account_ids}, label="bulk tags")
        kind = BulkActionKind.TAG_ADD if add else BulkActionKind.TAG_REMOVE
        summary = f"Tag “{tag}” {'added' if add else 'removed'}"
        return bulk_action_record(
            kind=kind, user=user, account_ids=account_ids, value={"tag": tag},
            summary=summary, old_values=old,
        )  # fmt: skip


def _shown(value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


# Undo.


def bulk_action_undo(
    *,
    action_id: int,
    user: AbstractBaseUser,
    revert: Callable[[BulkAction], Iterable[int]] | None = None,
) -> BulkAction:
    """Undo an action within UNDO_WINDOW, once: `revert` restores what it can and returns the
    ids it restored (accounts, or the tasks or invitations of those kinds); the others are
    recorded as kept. Account kinds revert here; surveys and tasks pass their own revert."""
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action_id)
        refusal = undo_refusal(action)
        if refusal:
            raise BulkRefused(refusal)
        restored = set((revert or _accounts_revert)(action))
        affected = action.created_ids if action.kind in OWN_ACCOUNT_KINDS else action.account_ids
        action.undo_kept_ids = [pk for pk in affected if pk not in restored]
        action.undone_at, action.undone_by = timezone.now(), user
        action.save(update_fields=["undo_kept_ids", "undone_at", "undone_by"])
        audit.record(f"bulk.{action.kind}.undo", obj=action, details={
            "restored": len(restored), "kept": len(action.undo_kept_ids)})  # fmt: skip
    return action


def undo_refusal(action: BulkAction, now=None) -> str:
    """Why the action cannot be undone now ('' when it can)."""
    now = now or timezone.now()
    if action.undone_at is not None:
        when = timezone.localtime(action.undone_at)
        return f"This bulk action was undone already, on {when:%d %b %Y at %H:%M}."
    if now - action.performed_at > UNDO_WINDOW:
        return "Bulk actions can be undone for a day only; this one is older."
    return ""


def _accounts_revert(action: BulkAction) -> list[int]:
    """One UPDATE joined to the record's old values, of the accounts still holding the new
    value; their ids."""
    params = {"action": action.pk, "new": action.value.get(action.kind)}
    if action.kind in (BulkActionKind.TAG_ADD, BulkActionKind.TAG_REMOVE):
        added = action.kind == BulkActionKind.TAG_ADD
        params = {"action": action.pk, "tag": action.value["tag"], "added": added}
    elif action.kind == BulkActionKind.FIELD:
        new = action.value["value"]
        params = {"action": action.pk, "key": action.value["key"],
                  "new": None if new is None else Jsonb(new)}  # fmt: skip
    with connection.cursor() as cursor:
        execute_logged(cursor, sql.BULK_UNDO[action.kind], params, label="bulk undo")
        return [row[0] for row in cursor.fetchall()]
