"""The two rules of who may do what with an account; every view, export and API endpoint uses them.

`accounts_visible_to` answers "may see" (read the account, its pages, exports and API rows);
`user_may_act_on` answers "may act" (write anything about it: notes, sentiment, alerts, surveys,
tasks). Seeing can be wider than acting: another app may let a user read an account they do not
own (a task given to them), never change it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, wraps

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Lookup, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.module_loading import import_string

from accounts.models import Account, AccountAncestor

VIEW_ALL_PERMISSION = "accounts.view_all_accounts"

# Within a read-only request: each user's visible account ids, computed once (see below).
_visible_ids_memo: ContextVar[dict[int, str] | None] = ContextVar(
    "northstar_visible_ids", default=None
)


@contextmanager
def visible_ids_memo() -> Iterator[None]:
    """Inside the block, the accounts a user may see (their own and those of the other rules:
    company groups, tasks) are computed once and read as a list of ids: a CSM's accounts list
    applies the rule in five statements (filters, groups, count, rows, alerts), and the
    recursive walk down the groups she owns cost 15 - 20 ms in each at 10,000 accounts. Only for
    reads: a write changes who sees what."""
    token = _visible_ids_memo.set({})
    try:
        yield
    finally:
        _visible_ids_memo.reset(token)


def memoize_visible_ids(view):
    """A read-only view whose statements apply the rule many times (the accounts list, the
    portfolio) runs inside `visible_ids_memo`: one statement more, four or five cheaper. Not
    for pages that apply it once or twice (the account page), where it would only add one."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with visible_ids_memo():
            return view(request, *args, **kwargs)

    return wrapped


@cache
def _extensions(paths: tuple[str, ...]) -> tuple[Callable[[AbstractBaseUser], QuerySet], ...]:
    return tuple(import_string(path) for path in paths)


def extra_visible_account_ids() -> tuple[Callable[[AbstractBaseUser], QuerySet], ...]:
    """Other apps may show a user more accounts than they own, without accounts importing them:
    each callable of settings.ACCESS_EXTRA_ACCOUNT_IDS returns a queryset of account ids
    (playbooks: the accounts of the unfinished tasks someone else or a playbook gave the user).
    These grant reading only."""
    return _extensions(tuple(settings.ACCESS_EXTRA_ACCOUNT_IDS))


def extra_actable_account_ids() -> tuple[Callable[[AbstractBaseUser], QuerySet], ...]:
    """Accounts a user may act on (and so see) beyond those they own: each callable of
    settings.ACCESS_ACTING_ACCOUNT_IDS returns a queryset of account ids (the descendants of
    the company groups a user owns: the parent's owner owns the relationship)."""
    return _extensions(tuple(settings.ACCESS_ACTING_ACCOUNT_IDS))


def owned_group_account_ids(user: AbstractBaseUser) -> QuerySet:
    """The accounts below the accounts `user` owns, at any depth: one range of the hierarchy's
    closure table (AccountAncestor, kept by triggers) per owned account, found by the (owner,
    name) index. The recursive walk it replaced re-hashed the whole accounts table at each
    level (10 ms of the 17 - 27 ms a CSM's every page paid for the rule at 10,000 accounts)."""
    # Unordered: inside the union of accounts_visible_to, an ordering would sort the ids.
    return AccountAncestor.objects.filter(ancestor__owner=user).order_by().values("account_id")


READ_ONLY_MESSAGE = (
    "You may read this account because of a task given to you; changes are for its owner, "
    "leaders and admins."
)


def user_sees_all_accounts(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION))


def user_ids_seeing_all_accounts(user_ids) -> set[int]:
    """Which of `user_ids` see every account (the rule above, for many users in one query):
    active superusers, and active users holding the permission directly or through a group."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return set(
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def accounts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """May see: leaders and admins see every account; a CSM sees the accounts they own (and
    those the extra rules above grant); others none."""
    if not user.is_authenticated:
        return Account.objects.none()
    if user_sees_all_accounts(user):
        return Account.objects.all()
    # The owner's index, or one hashed list of every other rule's ids: ORing one IN per rule
    # made the planner filter every account through each rule's subplan (the CSM's accounts
    # list paid about 30 ms a rule at 10,000 accounts).
    extras = [extra(user) for extra in (*extra_actable_account_ids(), *extra_visible_account_ids())]
    if not extras:
        return Account.objects.filter(owner=user)
    granted = extras[0].union(*extras[1:]) if len(extras) > 1 else extras[0]
    visible = Account.objects.filter(Q(owner=user) | Q(pk__in=granted))
    memo = _visible_ids_memo.get()
    if memo is None:
        return visible
    if user.pk not in memo:
        ids = visible.order_by().values_list("pk", flat=True)
        memo[user.pk] = "{" + ",".join(str(pk) for pk in ids) + "}"
    return Account.objects.filter(pk__among_ids=memo[user.pk])


class AmongIds(Lookup):
    """`id = ANY('{1,2,...}'::bigint[])`, the array given as its text: one parameter, not
    thousands of placeholders, written once per request (psycopg dumped a list of 6,000 ids
    element by element in every statement: 30 ms a page). `= ANY` of a constant array is a
    hashed filter; `IN (SELECT unnest(...))` probed the primary key once an id (5 ms more in
    every statement of a CSM's page at 6,000 ids)."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


Account._meta.pk.register_lookup(AmongIds)


def user_may_act_on(user: AbstractBaseUser | AnonymousUser, account: Account) -> bool:
    """May act: the account's owner, users who see every account (leaders, admins), and those an
    acting rule above grants it (the owner of its company group). What a role may write at all
    (notes, surveys, tasks) is its permissions' business on top of this."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user_sees_all_accounts(user) or account.owner_id == user.pk:
        return True
    return any(
        Account.objects.filter(pk=account.pk, pk__in=extra(user)).exists()
        for extra in extra_actable_account_ids()
    )


def get_account_for_user(user: AbstractBaseUser, account_id: int) -> Account:
    """The account to read, or 404 when it is missing or hidden from the user (no leak either
    way)."""
    return get_object_or_404(accounts_visible_to(user), pk=account_id)


def require_may_act(user: AbstractBaseUser, account: Account) -> None:
    """403 for a user who may see `account` but not change it."""
    if not user_may_act_on(user, account):
        raise PermissionDenied(READ_ONLY_MESSAGE)


def get_account_for_action(user: AbstractBaseUser, account_id: int) -> Account:
    """The account to change: 404 when the user may not see it, 403 when they may only read it."""
    account = get_account_for_user(user, account_id)
    require_may_act(user, account)
    return account


# Views (accounts.models.View): who may read and who may change one.


def views_readable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """May read (pick, apply): one's own personal views, and the shared views of one's teams
    (a shared view without a team is everyone's); leaders and admins read every shared view, as
    they manage them. Another user's personal view is nobody else's, whatever the role."""
    from accounts.models import View

    if not user.is_authenticated:
        return View.objects.none()
    shared = Q(visibility="shared")
    if not user_sees_all_accounts(user):
        shared &= Q(team__isnull=True) | Q(team__in=user.groups.all())
    return View.objects.filter(Q(visibility="personal", owner=user) | shared)


def user_may_manage_shared_views(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Leaders and admins make, change and delete shared views."""
    return user_sees_all_accounts(user)


def user_may_edit_view(user: AbstractBaseUser | AnonymousUser, view) -> bool:
    if not user.is_authenticated:
        return False
    if view.visibility == "personal":
        return view.owner_id == user.pk
    return user_may_manage_shared_views(user)


def get_view_for_user(user: AbstractBaseUser, view_id: int):
    """The view to read, or 404 (no leak of another user's personal view)."""
    return get_object_or_404(views_readable_by(user), pk=view_id)


def get_view_for_edit(user: AbstractBaseUser, view_id: int):
    """The view to change: 404 when the user may not read it, 403 when they may only read it."""
    view = get_view_for_user(user, view_id)
    if not user_may_edit_view(user, view):
        raise PermissionDenied("Shared views are changed by leaders and admins.")
    return view


def accounts_actable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """May act, as a set: every account for leaders and admins, else the accounts one owns and
    those the acting rules grant (never those read through a task)."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user_sees_all_accounts(user):
        return Account.objects.all()
    granted = [extra(user) for extra in extra_actable_account_ids()]
    condition = Q(owner=user)
    for ids in granted:
        condition |= Q(pk__in=ids)
    return Account.objects.filter(condition)
