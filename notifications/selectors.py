"""Reads of the notifications app: the bell's count and latest items (two queries)."""

from notifications.models import Notification

BELL_ITEMS = 8


def bell(user) -> dict:
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    latest = list(
        Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:BELL_ITEMS]
    )
    return {"unread": unread, "latest": latest}


def page(user, *, unread_only: bool = False):
    notifications = Notification.objects.filter(user=user).select_related("account")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-pk")
