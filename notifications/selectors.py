"""Reads of the notifications app: the bell's count and latest items (two queries)."""

from notifications.models import ChannelChoice, Notification, NotificationPreference, Signal

BELL_ITEMS = 8


def in_app_signals(user) -> list[str]:
    """The signals the user shows in the app (all of them until they choose)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is None:
        return [signal.value for signal in Signal]
    return [s.value for s in Signal if preference.wants(s.value, ChannelChoice.APP)]


def _mine(user):
    return Notification.objects.filter(user=user, signal__in=in_app_signals(user))


def bell(user) -> dict:
    mine = _mine(user)
    unread = mine.filter(read_at__isnull=True).count()
    latest = list(mine.order_by("-created_at", "-pk")[:BELL_ITEMS])
    return {"unread": unread, "latest": latest}


def page(user, *, unread_only: bool = False):
    notifications = _mine(user).select_related("account")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-pk")
