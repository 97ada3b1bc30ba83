"""The one rule of who may see which account; every view, export and API endpoint uses it."""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string

from accounts.models import Account

VIEW_ALL_PERMISSION = "accounts.view_all_accounts"


@cache
def _extensions(paths: tuple[str, ...]) -> tuple[Callable[[AbstractBaseUser], QuerySet], ...]:
    return tuple(import_string(path) for path in paths)


def extra_visible_account_ids() -> tuple[Callable[[AbstractBaseUser], QuerySet], ...]:
    """Other apps may show a user more accounts than they own, without accounts importing them:
    each callable of settings.ACCESS_EXTRA_ACCOUNT_IDS returns a queryset of account ids
    (playbooks: the accounts of the unfinished tasks assigned to the user)."""
    return _extensions(tuple(settings.ACCESS_EXTRA_ACCOUNT_IDS))


def user_sees_all_accounts(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION))


def accounts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """Leaders and admins see every account; a CSM sees the accounts they own (and those the
    extra rules above grant); others none."""
    if not user.is_authenticated:
        return Account.objects.none()
    if user_sees_all_accounts(user):
        return Account.objects.all()
    rule = Q(owner=user)
    for extra in extra_visible_account_ids():
        rule |= Q(pk__in=extra(user))
    return Account.objects.filter(rule)


def get_account_for_user(user: AbstractBaseUser, account_id: int) -> Account:
    """The account, or 404 when it is missing or hidden from the user (no leak either way)."""
    return get_object_or_404(accounts_visible_to(user), pk=account_id)
