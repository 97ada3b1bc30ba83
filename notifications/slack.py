"""Slack, through its own SDK: Block Kit messages for a notification, sent by bot token (to a
channel or the user's direct messages) or by an incoming webhook, and the signature check of
interactivity requests (slack-sdk's SignatureVerifier). Settings (docs/notifications.md):
SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL, SLACK_CHANNEL, SLACK_SIGNING_SECRET, SLACK_API_URL."""

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from notifications.models import Notification, Signal

TIMEOUT = 10
ACK, SNOOZE = "northstar_ack", "northstar_snooze"


def configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN or settings.SLACK_WEBHOOK_URL)


def _retries() -> list:
    # A 429 waits for its Retry-After (up to twice), a dropped connection is retried once;
    # anything longer is the delivery task's backoff, so a worker is never held for long.
    return [RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler()]


def web_client() -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=TIMEOUT,
        retry_handlers=_retries(),
    )


def webhook_client(url: str | None = None) -> WebhookClient:
    return WebhookClient(
        url or settings.SLACK_WEBHOOK_URL, timeout=TIMEOUT, retry_handlers=_retries()
    )


def _money(value) -> str:
    from web.templatetags.northstar import money

    return money(value)


def blocks(notification: Notification, *, url: str) -> list[dict]:
    """The message: what happened and to which account (a link), why (the alert's own
    explanation), the account's MRR, and buttons to acknowledge or snooze an alert."""
    lines = [f"*<{url}|{notification.title}>*"]
    if notification.detail:
        lines.append(notification.detail)
    message = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"MRR {_money(notification.mrr)} · "
                    f"{Signal(notification.signal).label} · Northstar",
                }
            ],
        },
    ]
    if notification.alert_id:
        message.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACK,
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "value": str(notification.pk),
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "action_id": SNOOZE,
                        "text": {"type": "plain_text", "text": "Snooze 3 days"},
                        "value": str(notification.pk),
                    },
                ],
            }
        )
    return message


def send(notification: Notification, *, url: str, dm_user_id: str = "") -> None:
    """Post it: by bot to the user's DMs (their Slack member id) or SLACK_CHANNEL, else to the
    webhook's channel. Raises slack_sdk's errors for the caller's retry."""
    text = f"{notification.title} (MRR {_money(notification.mrr)})"
    if settings.SLACK_BOT_TOKEN:
        channel = dm_user_id or settings.SLACK_CHANNEL
        if not channel:
            raise ValueError("No Slack channel: set SLACK_CHANNEL or the user's Slack member id.")
        web_client().chat_postMessage(
            channel=channel, text=text, blocks=blocks(notification, url=url)
        )
        return
    response = webhook_client().send(text=text, blocks=blocks(notification, url=url))
    if response.status_code != 200:
        raise ConnectionError(f"Slack webhook answered {response.status_code}: {response.body}")


def signature_valid(*, body: bytes, headers: dict) -> bool:
    """Slack's v0 signature over the raw body, with its 5-minute replay window."""
    if not settings.SLACK_SIGNING_SECRET:
        return False
    return SignatureVerifier(settings.SLACK_SIGNING_SECRET).is_valid_request(body, headers)


def user_email(slack_user_id: str) -> str:
    """The email of a Slack member (users.info; needs the users:read.email scope)."""
    profile = web_client().users_info(user=slack_user_id)["user"].get("profile", {})
    return (profile.get("email") or "").strip()
