"""Reads of raw account records for pages; aggregates come from metrics snapshots instead."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.access import accounts_visible_to
from accounts.models import Account, ImportLog


def account_list_for_user(*, user: AbstractBaseUser, search: str = "") -> QuerySet[Account]:
    accounts = accounts_visible_to(user).select_related("owner").order_by("name")
    if search:
        accounts = accounts.filter(name__icontains=search)
    return accounts


def last_imports_by_kind() -> dict[str, ImportLog]:
    """The newest import of each file kind, for the pages' freshness line."""
    latest = ImportLog.objects.order_by("kind", "-imported_at").distinct("kind")
    return {log.kind: log for log in latest}
