"""Receivers of Django's signals (connected in apps.py): sign-ins and role changes."""

from django.contrib.auth.models import Group

from audit import services
from audit.context import Actor, client_address
from audit.models import ActorKind


def signed_in(sender, request, user, **kwargs) -> None:
    ip = client_address(request) if request is not None else None
    services.record("user.sign_in", obj=user, actor=Actor.user(user, ip))


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """A refused password (or a locked-out pair): the name tried, never the password."""
    username = str(credentials.get("username", ""))[:150]
    ip = client_address(request) if request is not None else None
    actor = Actor(ActorKind.ANONYMOUS, label=username or "anonymous", ip=ip)
    # Single sign-on says how and why it refused (accounts.sso_views); a password never shows.
    details = {k: str(credentials[k])[:300] for k in ("method", "reason") if k in credentials}
    services.record(
        "user.sign_in_failed",
        label=username,
        actor=actor,
        details={"username": username, **details},
    )


def roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """A user's groups (the roles CSM, Leader, Admin) changed, from either side of the
    relation: one entry per user with the roles added or removed."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        # Clearing sends no ids afterwards; read them before they go.
        related = instance.user_set if reverse else instance.groups
        pk_set = set(related.values_list("pk", flat=True))
        action = "post_remove"
    if not pk_set:
        return
    verb = "roles_added" if action == "post_add" else "roles_removed"
    if reverse:  # group.user_set.add(users): one entry per user
        users = model.objects.filter(pk__in=pk_set)
        for user in users:
            services.record(f"user.{verb}", obj=user, changes=_roles(verb, [instance.name]))
        return
    names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    services.record(f"user.{verb}", obj=instance, changes=_roles(verb, names))


def _roles(verb: str, names: list[str]) -> dict:
    return {"groups": [None, names] if verb == "roles_added" else [names, None]}
