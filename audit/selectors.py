"""Reads of the audit log: the filtered entries, newest first, a page at a time by keyset.

A page is one query whatever the log's size: the cursor is the (at, id) of the last entry shown
and the next page starts strictly below it, on the audit_newest index, instead of an OFFSET that
reads and throws away every earlier page.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from audit.models import AuditEntry
from core.workspace import workspace_zone


@dataclass(frozen=True)
class AuditFilter:
    actor_kind: str = ""
    actor: str = ""  # a user name, key, connector or playbook name (case-insensitive start)
    object_type: ContentType | None = None
    object_id: str = ""
    action: str = ""  # "task." matches every task action, "task.create" only that one
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if self.actor_kind:
            entries = entries.filter(actor_kind=self.actor_kind)
        if self.actor:
            entries = entries.filter(actor_label__istartswith=self.actor)
        if self.object_type is not None:
            entries = entries.filter(content_type=self.object_type)
        if self.object_id:
            entries = entries.filter(object_id=self.object_id)
        if self.action:
            # "task.create" is that action; "task" or "task." every action on tasks.
            if "." in self.action.rstrip("."):
                entries = entries.filter(action=self.action)
            else:
                entries = entries.filter(action__startswith=self.action.rstrip(".") + ".")
        if self.date_from:
            entries = entries.filter(at__gte=_local_midnight(self.date_from))
        if self.date_to:
            entries = entries.filter(at__lt=_local_midnight(self.date_to + timedelta(days=1)))
        return entries


def _local_midnight(day: date) -> datetime:
    """Dates are the workspace's: a day starts at its midnight, not UTC's."""
    return datetime.combine(day, time.min, tzinfo=workspace_zone())


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor of a `next` link; ValueError for anything else."""
        at, _, pk = text.rpartition("_")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("the cursor's time has no offset")
        return cls(parsed, int(pk))


def audit_entries(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """Every entry the filters match, newest first (the CSV export streams all of them)."""
    return (
        filters.apply(AuditEntry.objects.all())
        .select_related("content_type")
        .order_by("-at", "-id")
    )


def audit_page(
    *, filters: AuditFilter, after: Cursor | None = None, size: int = 50
) -> tuple[list[AuditEntry], Cursor | None]:
    """One page of entries after the cursor, and the cursor of the next page (None at the
    end): one query, fetching one row more than the page to know whether another follows."""
    entries = audit_entries(filters=filters)
    if after is not None:
        entries = entries.filter(Q(at__lt=after.at) | Q(at=after.at, id__lt=after.id))
    rows = list(entries[: size + 1])
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], Cursor(last.at, last.pk)


def object_types() -> QuerySet[ContentType]:
    """The object types an entry may name, for the filter's choices (the project's models)."""
    return ContentType.objects.exclude(
        app_label__in=("admin", "contenttypes", "sessions", "axes", "audit")
    ).order_by("app_label", "model")
