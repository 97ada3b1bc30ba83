"""Writes of the accounts app made from the pages, the API and playbooks: notes, lifecycle
stages, the import log."""

from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.filters import ViewFilter, view_condition
from accounts.models import Account, ImportLog, LifecycleStage, Note, View, ViewMembership
from accounts.tags import MAX_PER_ACCOUNT, BadTag
from audit import services as audit


def note_add(*, account: Account, author: AbstractBaseUser | None, body: str) -> Note:
    """Append a note to the account's interaction log; notes are never edited, only added.
    A note without an author was written by the system (a playbook)."""
    with transaction.atomic():
        note = Note.objects.create(account=account, author=author, body=body.strip())
        audit.record_created("note.create", note, label=f"Note on {account}")
    return note


def account_lifecycle_stage_set(*, account: Account, stage: str) -> None:
    """Move the account to a lifecycle stage (a playbook's action). The import derives stages
    from contracts again when it runs, and a derived stage wins from then on."""
    if stage not in LifecycleStage.values:
        raise ValueError(f"unknown lifecycle stage {stage!r}")
    if account.lifecycle_stage != stage:
        before = {"lifecycle_stage": account.lifecycle_stage}
        account.lifecycle_stage = stage
        with transaction.atomic():
            account.save(update_fields=["lifecycle_stage"])
            audit.record_changed("account.update", account, before)


_TOUCH_EVERY = timedelta(minutes=1)
_last_touch: dict[tuple[str, str], datetime] = {}


def import_log_touch(*, kind: str, rows: int, source: str) -> None:
    """Record a write by a continuous source (the API) for the pages' freshness line.

    One row per kind and source, moved forward at most once a minute per process: thousands of
    requests neither add thousands of rows nor queue on one row's lock."""
    now = timezone.now()
    last = _last_touch.get((kind, source))
    if last is not None and now - last < _TOUCH_EVERY:
        return
    _last_touch[(kind, source)] = now
    logs = ImportLog.objects.filter(kind=kind, source=source)
    if not logs.update(imported_at=now, rows=rows):
        ImportLog.objects.create(kind=kind, source=source, rows=rows)


def account_custom_values_set(*, account: Account, values: dict[str, object]) -> Account:
    """Set the account's custom values from the 360 page: each key of `values` is replaced
    (None or empty removes it), every other key is kept. Values come parsed by the field's
    parser (accounts.custom_fields.parse_value); the row is locked so a concurrent import's
    values for other keys are not lost."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        custom = {key: value for key, value in locked.custom.items() if key not in values}
        custom |= {key: value for key, value in values.items() if value not in (None, "")}
        if custom != locked.custom:
            before = {"custom": locked.custom}
            locked.custom = custom
            locked.save(update_fields=["custom"])
            audit.record_changed("account.update", locked, before)
    account.custom = locked.custom
    return account


def account_tags_change(
    *, account: Account, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
) -> Account:
    """Add and remove tags (normalised by accounts.tags) on one account, from the 360 page: the
    row is locked so a bulk action's tags in the meantime are kept, and a change is audited.
    More than MAX_PER_ACCOUNT tags is refused (BadTag), writing nothing."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        tags = sorted((set(locked.tags) | set(add)) - set(remove))
        if len(tags) > MAX_PER_ACCOUNT:
            raise BadTag(f"An account has at most {MAX_PER_ACCOUNT} tags.")
        if tags != locked.tags:
            before = {"tags": locked.tags}
            locked.tags = tags
            locked.save(update_fields=["tags"])
            audit.record_changed("account.update", locked, before)
    account.tags = locked.tags
    return account


# Views: named filters (accounts.filters), and the stays of accounts in them.


def view_save(
    *,
    view: View | None = None,
    owner: AbstractBaseUser,
    name: str,
    description: str = "",
    visibility: str,
    team=None,
    spec: ViewFilter | None = None,
) -> View:
    """Create a view (or change `view`): its name and audience, and its filter when `spec` is
    given (an edit of the name alone keeps the filter). Who may do it is the caller's check
    (accounts.access.user_may_edit_view)."""
    view = view or View(owner=owner)
    view.name, view.description = name.strip(), description.strip()
    view.visibility = visibility
    view.team = team if visibility == "shared" else None
    if spec is not None:
        view.definition = spec.to_dict()
    view.save()
    return view


def view_delete(*, view: View) -> None:
    """Delete a view; one that a playbook triggers on is refused (ProtectedError)."""
    view.delete()


def view_memberships_refresh(*, view: View, as_of: date) -> tuple[int, int]:
    """Bring the view's stays up to `as_of`: accounts the filter no longer matches leave on
    `as_of`, accounts it matches without an open stay enter on `as_of`; two set-based statements
    over the compiled filter (accounts.filters), every account (no access rule: playbooks act for
    the workspace). The first refresh records the members as they are (`tracked_since`): they
    were there, they did not enter. Returns (entered, left); re-running a day changes nothing."""
    from accounts.sql import insert_view_entries  # accounts.sql imports models (the importer)

    spec = ViewFilter.from_dict(view.definition)
    members = Account.objects.filter(view_condition(spec, as_of=as_of, user=view.owner))
    with transaction.atomic():
        left = (
            ViewMembership.objects.filter(view=view, left_on__isnull=True)
            .exclude(account_id__in=members.values("pk"))
            .update(left_on=as_of)
        )
        entered = insert_view_entries(
            view_id=view.pk, members=members.order_by().values("pk"), as_of=as_of
        )
        if view.tracked_since is None:
            view.tracked_since = as_of
            view.save(update_fields=["tracked_since"])
    return entered, left
