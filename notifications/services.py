"""Writes of the notifications app: the nightly fan-out, a detractor's notification, Slack
delivery with its retries, the digests, reading and the one-click unsubscribe.

Slack and email never hold up the nightly chain: the chain's step only inserts rows (one
statement) and queues delivery after commit; a broker or Slack outage leaves rows pending for
the next delivery run (every few minutes, by beat).
"""

import json
import logging
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from slack_sdk.errors import SlackApiError, SlackClientError

from accounts.access import user_ids_seeing_all_accounts, user_may_act_on, user_sees_all_accounts
from accounts.models import RENEWAL_WINDOW_DAYS
from core.sql import execute_logged
from core.workspace import workspace_zone
from healthscores.models import Alert, AlertReason
from healthscores.services import alert_acknowledge
from metrics.models import AccountSnapshot
from notifications import slack, sql
from notifications.models import (
    Digest,
    Notification,
    NotificationPreference,
    Signal,
    SlackState,
)

logger = logging.getLogger("northstar.notifications")
User = get_user_model()

SLACK_MAX_ATTEMPTS = 5
SLACK_BATCH = 50
SNOOZE_DAYS = 3
UNSUBSCRIBE_SALT = "northstar.notifications.unsubscribe"
DIGEST_BATCH = 200
# Each digest section, and the signals whose "email" channel it follows (None: always shown).
SECTION_SIGNALS = {
    "alerts": (Signal.ALERT, Signal.ENTERED_RED),
    "detractors": (Signal.DETRACTOR,),
    "tasks": (Signal.TASK_DUE,),
}
SECTIONS = (
    ("alerts", "New alerts"),
    ("detractors", "Unanswered detractors"),
    ("moved", "Health moved most"),
    ("renewals", f"Renewals in the next {RENEWAL_WINDOW_DAYS} days"),
    ("tasks", "Tasks due and overdue"),
)
PER_SECTION = 10


# The nightly fan-out


def notify_after_snapshot(as_of: date) -> int:
    """A step of the nightly chain (settings.AFTER_SNAPSHOT_STEPS): one notification per new
    alert of `as_of` and per task due the next day, for its user; Slack is queued after commit."""
    titles = {reason.value: reason.label for reason in AlertReason}
    titles["entered_red"] = "Health moved to red"

    with connection.cursor() as cursor:
        execute_logged(cursor, sql.FAN_OUT, {"as_of": as_of, "alert_title": json.dumps(titles)},
                       label="notifications.fan_out")  # fmt: skip
        rows = cursor.fetchall()
    if any(state == SlackState.PENDING for _pk, state in rows):
        transaction.on_commit(slack_delivery_enqueue)
    return len(rows)


def response_recorded_receiver(sender, response, **kwargs) -> None:
    """surveys.signals.response_recorded, after commit: a detractor's answer reaches the owner
    of its account at once (the alert it raised or joined is the notification's link)."""
    if not response.is_detractor or response.account.owner_id is None:
        return
    alert = (
        Alert.objects.filter(account_id=response.account_id, reason=AlertReason.DETRACTOR)
        .order_by("-created_at")
        .first()
    )
    owner_id = response.account.owner_id
    preference = NotificationPreference.objects.filter(user_id=owner_id).first()
    wants_slack = preference is not None and preference.wants(Signal.DETRACTOR, "slack")
    contact = f" from {response.contact}" if response.contact_id else ""
    said = f': "{response.comment}"' if response.comment else ""
    Notification.objects.get_or_create(
        user_id=owner_id,
        dedupe_key=f"response:{response.pk}",
        defaults={
            "signal": Signal.DETRACTOR,
            "account_id": response.account_id,
            "alert": alert,
            "title": f"Detractor: {response.get_kind_display()} {response.score}"
            f" ({response.account.name})"[:200],
            "detail": f"{response.get_kind_display()} {response.score}{contact}{said}"[:500],
            "mrr": _latest_mrr(response.account_id),
            "slack_state": SlackState.PENDING if wants_slack else SlackState.NOT_ROUTED,
        },
    )
    if wants_slack:
        slack_delivery_enqueue()


def _latest_mrr(account_id: int):
    row = AccountSnapshot.objects.filter(account_id=account_id).order_by("-as_of").first()
    return row.mrr if row else 0


# Slack


def slack_delivery_enqueue() -> None:
    from notifications.tasks import deliver_slack

    try:
        deliver_slack.apply_async(retry=False)
    except (OperationalError, OSError):
        logger.warning("broker unreachable: Slack messages wait for the next delivery run")


def _in_quiet_hours(preference: NotificationPreference | None, now: datetime) -> bool:
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return False
    local = now.astimezone(user_zone(preference)).time()
    start, end = preference.quiet_from, preference.quiet_until
    return start <= local < end if start < end else (local >= start or local < end)


def account_url(account_id: int) -> str:
    return settings.SITE_URL + reverse("account_detail", args=[account_id])


def slack_deliver(limit: int = SLACK_BATCH) -> dict:
    """Send up to `limit` pending Slack messages (locked, so two workers never send one twice),
    skipping users in their quiet hours and snoozed ones. A failure counts an attempt; after
    SLACK_MAX_ATTEMPTS the message is given up, with its error kept. Returns the counts."""
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    if not slack.configured():
        return counts
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(slack_state=SlackState.PENDING)
            .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
            .select_related("user__notification_preference")
            .order_by("pk")[:limit]
        )
        for notification in due:
            preference = getattr(notification.user, "notification_preference", None)
            if _in_quiet_hours(preference, now):
                counts["waiting"] += 1
                continue
            try:
                slack.send(
                    notification,
                    url=account_url(notification.account_id),
                    dm_user_id=preference.slack_user_id if preference else "",
                )
            except (SlackApiError, SlackClientError, ConnectionError, OSError, ValueError) as exc:
                notification.slack_attempts += 1
                notification.slack_error = str(exc)[:300]
                if notification.slack_attempts >= SLACK_MAX_ATTEMPTS:
                    notification.slack_state = SlackState.FAILED
                counts["failed"] += 1
            else:
                notification.slack_state = SlackState.SENT
                notification.slack_sent_at = timezone.now()
                notification.slack_error = ""
                counts["sent"] += 1
            notification.save(
                update_fields=["slack_state", "slack_attempts", "slack_error", "slack_sent_at"]
            )
    return counts


class SlackActionRefused(Exception):
    """The Slack user cannot be matched to a Northstar user allowed to act on the alert."""


def slack_action(*, action_id: str, notification_id: int, slack_user_id: str) -> str:
    """A button pressed in Slack: acknowledge the alert (the same service, so the same
    acknowledged_by/at trail as the page) or snooze the notification for SNOOZE_DAYS. The Slack
    member is matched by their linked member id, else by their Slack email. Returns the line to
    show in Slack."""
    notification = Notification.objects.select_related("alert", "account").get(pk=notification_id)
    user = (
        User.objects.filter(
            is_active=True, notification_preference__slack_user_id=slack_user_id
        ).first()
        if slack_user_id
        else None
    )
    if user is None and slack_user_id and settings.SLACK_BOT_TOKEN:
        email = slack.user_email(slack_user_id)
        user = User.objects.filter(is_active=True, email__iexact=email).first() if email else None
    if user is None or notification.alert is None:
        raise SlackActionRefused("Your Slack account is not linked to a Northstar user.")
    if not user_may_act_on(user, notification.account):
        raise SlackActionRefused("You may not act on this account in Northstar.")
    if action_id == slack.ACK:
        alert_acknowledge(alert=notification.alert, user=user)
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return f"Acknowledged by {user.get_full_name() or user.get_username()}."
    if action_id == slack.SNOOZE:
        Notification.objects.filter(pk=notification.pk).update(
            snoozed_until=timezone.now() + timedelta(days=SNOOZE_DAYS),
            slack_state=SlackState.PENDING,
        )
        return f"Snoozed for {SNOOZE_DAYS} days by {user.get_full_name() or user.get_username()}."
    raise SlackActionRefused("Unknown action.")


# The bell


def mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


# Digests


def user_zone(preference: NotificationPreference | None) -> zoneinfo.ZoneInfo:
    if preference is not None and preference.time_zone:
        try:
            return zoneinfo.ZoneInfo(preference.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return workspace_zone()


def default_digest(user) -> str:
    """Daily for CSMs, weekly for those who see every account (leaders, admins)."""
    return Digest.WEEKLY if user_sees_all_accounts(user) else Digest.DAILY


def _digests(user_ids, preferences: dict, see_all: set[int]) -> dict[int, str]:
    """Each user's digest: their saved choice, else default_digest's rule (for many users, from
    the set of those who see every account)."""
    return {
        pk: preferences[pk].digest
        if pk in preferences
        else (Digest.WEEKLY if pk in see_all else Digest.DAILY)
        for pk in user_ids
    }


def digest_due_user_ids(now: datetime) -> list[int]:
    """Active users with an email whose local digest hour is now and whose digest is due
    today (daily, or weekly on a Monday), not yet sent today. Users without a preference row
    get the defaults (8:00, daily for CSMs, weekly for leaders)."""
    preferences = {p.user_id: p for p in NotificationPreference.objects.all()}
    users = list(User.objects.filter(is_active=True).exclude(email="").values_list("pk", flat=True))
    digests = _digests(users, preferences, user_ids_seeing_all_accounts(users))
    due = []
    for pk in users:
        preference = preferences.get(pk)
        digest = digests[pk]
        hour = preference.digest_hour if preference else 8
        local = now.astimezone(user_zone(preference))
        if digest == Digest.OFF or local.hour != hour:
            continue
        if digest == Digest.WEEKLY and local.weekday() != 0:
            continue
        if preference and preference.last_digest_on == local.date():
            continue
        due.append(pk)
    return due


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe(token: str) -> bool:
    """One click: the signed link's user gets no more digests. False for a bad link."""
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"]
    except (signing.BadSignature, KeyError, TypeError):
        return False
    if not User.objects.filter(pk=user_id).exists():
        return False
    NotificationPreference.objects.update_or_create(
        user_id=user_id, defaults={"digest": Digest.OFF}
    )
    return True


def digest_sections(
    user_ids: list[int], *, today: date, since: datetime, see_all: set[int] | None = None
) -> dict[int, list]:
    """{user id: [(section key, title, [rows])]} for a batch of users, from one statement;
    `see_all`, those of them who see every account, when the caller knows it already."""
    see_all = user_ids_seeing_all_accounts(user_ids) if see_all is None else see_all
    as_of = today - timedelta(days=1)
    with connection.cursor() as cursor:
        execute_logged(cursor, sql.DIGEST_ROWS, {
            "user_ids": list(user_ids),
            "see_all": sorted(see_all & set(user_ids)),
            "as_of": as_of,
            "before": as_of - timedelta(days=max(1, (today - since.date()).days)),
            "since": since,
            "today": today,
            "renewal_days": RENEWAL_WINDOW_DAYS,
        }, label="notifications.digest_rows")  # fmt: skip
        rows = cursor.fetchall()
    grouped: dict[int, dict[str, list]] = {pk: {} for pk in user_ids}
    for user_id, section, account_id, name, line, arr, _weight in rows:
        items = grouped[user_id].setdefault(section, [])
        if len(items) < PER_SECTION:
            items.append({"account_id": account_id, "name": name, "line": line, "arr": arr,
                          "url": account_url(account_id)})  # fmt: skip
    return {
        pk: [(key, title, sections[key]) for key, title in SECTIONS if sections.get(key)]
        for pk, sections in grouped.items()
    }


def _digest_message(user, sections: list, *, today: date) -> EmailMultiAlternatives:
    unsubscribe_url = settings.SITE_URL + reverse(
        "notification_unsubscribe", args=[unsubscribe_token(user.pk)]
    )
    context = {"user": user, "sections": sections, "today": today,
               "unsubscribe_url": unsubscribe_url, "site_url": settings.SITE_URL}  # fmt: skip
    message = EmailMultiAlternatives(
        subject=f"Northstar digest for {today:%a %d %b}: "
        + (
            ", ".join(f"{len(rows)} {title.lower()}" for _k, title, rows in sections[:2]) or "quiet"
        ),
        body=render_to_string("notifications/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    return message


def _emailed_sections(sections: list, preference: NotificationPreference | None) -> list:
    """The sections whose signals the user keeps on the email channel."""
    if preference is None:
        return sections
    return [
        (key, title, rows)
        for key, title, rows in sections
        if key not in SECTION_SIGNALS
        or any(preference.wants(signal, "email") for signal in SECTION_SIGNALS[key])
    ]


def digests_send(user_ids: list[int], *, now: datetime | None = None) -> int:
    """Email the digest to each of `user_ids` over one SMTP connection, and mark each sent today
    (so a retry, or beat firing twice, sends nothing twice). Returns how many were sent."""
    now = now or timezone.now()
    users = {
        user.pk: user
        for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    }
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(users))
    }
    today = now.astimezone(workspace_zone()).date()
    see_all = user_ids_seeing_all_accounts(users)
    pending = [pk for pk in user_ids if pk in users and (
        pk not in preferences or preferences[pk].last_digest_on != today)]  # fmt: skip
    if not pending:
        return 0
    digest_of = _digests(pending, preferences, see_all)
    since_by_user = {
        pk: now - timedelta(days=7 if digest_of[pk] == Digest.WEEKLY else 1) for pk in pending
    }
    sections: dict[int, list] = {}
    for since in set(since_by_user.values()):
        batch = [pk for pk in pending if since_by_user[pk] == since]
        sections.update(digest_sections(batch, today=today, since=since, see_all=see_all))
    sent = []
    with get_connection() as mail:
        for pk in pending:
            wanted = _emailed_sections(sections[pk], preferences.get(pk))
            mail.send_messages([_digest_message(users[pk], wanted, today=today)])
            sent.append(pk)
    existing = set(preferences)
    NotificationPreference.objects.filter(user_id__in=[pk for pk in sent if pk in existing]).update(
        last_digest_on=today
    )
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=pk, digest=digest_of[pk], last_digest_on=today)
            for pk in sent
            if pk not in existing
        ],
        ignore_conflicts=True,
    )
    return len(sent)


def digests_enqueue(now: datetime | None = None) -> int:
    """Beat, hourly: queue the digests due this hour, DIGEST_BATCH users a task."""
    from notifications.tasks import send_digests

    due = digest_due_user_ids(now or timezone.now())
    for start in range(0, len(due), DIGEST_BATCH):
        send_digests.delay(due[start : start + DIGEST_BATCH])
    return len(due)


def preference_for(user) -> NotificationPreference:
    """The user's preferences, with the role's default digest when none are saved yet."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user, digest=default_digest(user))
