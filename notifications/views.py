"""The bell and the notifications page, the preferences, the digest's one-click unsubscribe
(public: a signed link) and Slack's interactivity endpoint (public: Slack's signature)."""

import json
from urllib.parse import parse_qs

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import selectors, services, slack
from notifications.forms import PreferenceForm


@require_GET
@never_cache
def bell(request: HttpRequest) -> JsonResponse:
    """The header's bell, fetched by static/js/bell.js: the unread count and latest items."""
    reading = selectors.bell(request.user)
    return JsonResponse(
        {
            "unread": reading["unread"],
            "items": [
                {
                    "id": n.pk,
                    "title": n.title,
                    "detail": n.detail,
                    "read": n.read_at is not None,
                    "url": reverse("account_detail", args=[n.account_id]),
                    "created": n.created_at.isoformat(),
                }
                for n in reading["latest"]
            ],
        }
    )


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notifications = Paginator(selectors.page(request.user, unread_only=unread_only), 50)
    page = notifications.get_page(request.GET.get("page"))
    return render(request, "notifications/list.html",
                  {"page": page, "unread_only": unread_only})  # fmt: skip


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark read: the ids posted, or every one ("all"). JSON for the bell, else back."""
    ids = None if request.POST.get("all") else [
        int(pk) for pk in request.POST.getlist("id") if pk.isdigit()
    ]  # fmt: skip
    count = services.mark_read(user=request.user, notification_ids=ids)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"marked": count})
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notification_list")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification_preferences")
        return render(request, "notifications/preferences.html", {"form": form}, status=400)
    return render(request, "notifications/preferences.html", {"form": form})


@login_not_required
@csrf_exempt  # RFC 8058: mail clients post the one-click unsubscribe without a token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (a link scanner must not unsubscribe anyone); POST unsubscribes."""
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"done": False})
    if not services.unsubscribe(token):
        return render(request, "notifications/unsubscribe.html", {"bad": True}, status=400)
    return render(request, "notifications/unsubscribe.html", {"done": True})


@login_not_required
@csrf_exempt  # Slack's signature, checked below, stands for the token
@require_POST
def slack_interactivity(request: HttpRequest) -> HttpResponse:
    """A button in a Slack message: verified by Slack's signature (five-minute window), then the
    same services as the page; the message is answered in the thread's place."""
    if not slack.signature_valid(body=request.body, headers=dict(request.headers)):
        return JsonResponse({"error": "Invalid or stale Slack signature."}, status=401)
    try:
        payload = json.loads(parse_qs(request.body.decode())["payload"][0])
        action = payload["actions"][0]
        notification_id = int(action["value"])
        slack_user_id = payload["user"]["id"]
    except (KeyError, IndexError, ValueError, TypeError, UnicodeDecodeError):
        return JsonResponse({"error": "Not a Slack block action."}, status=400)
    try:
        text = services.slack_action(
            action_id=action.get("action_id", ""),
            notification_id=notification_id,
            slack_user_id=slack_user_id,
        )
    except services.SlackActionRefused as refused:
        return JsonResponse({"response_type": "ephemeral", "replace_original": False,
                             "text": str(refused)})  # fmt: skip
    except services.Notification.DoesNotExist:
        return JsonResponse({"response_type": "ephemeral", "text": "That alert is gone."})
    if payload.get("response_url"):
        slack.webhook_client(payload["response_url"]).send(text=text, replace_original=False)
    return JsonResponse({"response_type": "ephemeral", "replace_original": False, "text": text})
