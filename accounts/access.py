"""The one rule of who may see which account; every view, export and API endpoint uses it."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account

VIEW_ALL_PERMISSION = "accounts.view_all_accounts"


def user_sees_all_accounts(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION))


def accounts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """Leaders and admins see every account; a CSM sees the accounts they own; others none."""
    if not user.is_authenticated:
        return Account.objects.none()
    if user_sees_all_accounts(user):
        return Account.objects.all()
    return Account.objects.filter(owner=user)


def get_account_for_user(user: AbstractBaseUser, account_id: int) -> Account:
    """The account, or 404 when it is missing or hidden from the user (no leak either way)."""
    return get_object_or_404(accounts_visible_to(user), pk=account_id)
