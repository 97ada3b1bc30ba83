"""/ingest/: public endpoints that sources post to, each authenticated by the source's own
scheme (a Segment write key, a Stripe signature) instead of a login; no CSRF token, as no
browser posts here."""

import base64
import binascii
import gzip
import io
import zlib

import orjson
import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.importer.batch import BatchInvalid
from connectors import segment
from connectors.forms import InboxMapForm
from connectors.models import Connector, ConnectorKind, InboxItem
from connectors.replay import inbox_item_create_account, inbox_item_map
from connectors.segment_services import segment_messages_record
from connectors.selectors import inbox_open, segment_connector_for_key
from connectors.services import ConnectorInvalid, connector_secrets
from connectors.stripe_services import stripe_event_apply
from connectors.syncs import SYNCS, connector_sync_locked
from connectors.zendesk_services import zendesk_signature_valid, zendesk_ticket_apply
from core.refusals import Refused, limit

UNKNOWN_KEY = "Unknown write key: send it as the HTTP Basic user."
MAX_BODY = 4 * 1024 * 1024  # decompressed; Segment's own limit is 500 KB a batch


def _answer(status: int, body: dict, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _json_body(request: HttpRequest) -> object:
    raw = request.body
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            raw = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_BODY + 1)
        except (OSError, EOFError, zlib.error):
            raise Refused(400, "The body is not valid gzip.") from None
    if len(raw) > MAX_BODY:
        raise Refused(413, f"The body exceeds {MAX_BODY // 1024 // 1024} MB; send smaller batches.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Refused(400, f"The body is not valid JSON: {exc}") from None


def _write_key(request: HttpRequest, body: object) -> str:
    """The write key as the SDKs send it: the HTTP Basic user, else `writeKey` in the body."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            return base64.b64decode(credentials).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise Refused(401, "The Authorization header is not valid Basic auth.") from None
    key = body.get("writeKey") if isinstance(body, dict) else None
    return key if isinstance(key, str) else ""


def _rate_limit(request: HttpRequest, connector: Connector) -> None:
    """SEGMENT_RATE_LIMIT_PER_MINUTE requests a minute per write key, counted in Redis."""
    rate = f"{settings.SEGMENT_RATE_LIMIT_PER_MINUTE}/m"
    limit(request, group="segment", key=str(connector.pk), rate=rate,
          message=f"Rate limit exceeded ({rate})")  # fmt: skip


@csrf_exempt
@login_not_required
@require_POST
def segment_ingest(request: HttpRequest, call: str = "") -> JsonResponse:
    """Segment's HTTP Tracking API: /v1/batch, /v1/track, ...; 200 {"success": true} as
    Segment answers, with what was applied, skipped as duplicates, refused and unmatched."""
    try:
        try:
            body = _json_body(request)
        except Refused:
            if not request.headers.get("Authorization"):  # strangers learn nothing of the body
                raise Refused(401, UNKNOWN_KEY) from None
            raise
        connector = segment_connector_for_key(_write_key(request, body))
        if connector is None:
            raise Refused(401, UNKNOWN_KEY)
        _rate_limit(request, connector)
        if call == "" and isinstance(body, dict):
            call = "batch" if "batch" in body else ""
        try:
            messages = segment.messages_of(call, body)
        except ValueError as exc:
            raise Refused(400, f"{exc}.") from None
    except Refused as refused:
        return _answer(refused.status, {"success": False, "error": refused.detail}, refused.headers)
    delivery = segment_messages_record(connector=connector, messages=messages)
    return _answer(200, {"success": True, **delivery.as_dict()})


@csrf_exempt
@login_not_required
@require_POST
def stripe_webhook(request: HttpRequest, connector_id: int) -> JsonResponse:
    """A Stripe event, accepted only with a valid Stripe-Signature for this connector's
    signing secret (stripe.Webhook.construct_event checks it and its timestamp)."""
    connector = get_object_or_404(
        Connector, pk=connector_id, kind=ConnectorKind.STRIPE, is_active=True
    )
    secret = connector_secrets(connector).get("signing_secret", "")
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), secret
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        return _answer(400, {"error": f"Refused: {exc}"})
    delivery = stripe_event_apply(connector=connector, event=event.to_dict())
    return _answer(200, {"received": True, **delivery.as_dict()})


@csrf_exempt
@login_not_required
@require_POST
def zendesk_webhook(request: HttpRequest, connector_id: int) -> JsonResponse:
    """A Zendesk trigger's webhook (new or solved ticket), signed with the webhook's secret:
    the body names the ticket ({"ticket_id": N}); the ticket itself is read from Zendesk."""
    connector = get_object_or_404(
        Connector, pk=connector_id, kind=ConnectorKind.ZENDESK, is_active=True
    )
    secret = connector_secrets(connector).get("signing_secret", "")
    valid = zendesk_signature_valid(
        request.body,
        request.headers.get("X-Zendesk-Webhook-Signature-Timestamp", ""),
        request.headers.get("X-Zendesk-Webhook-Signature", ""),
        secret,
    )
    if not valid:
        return _answer(400, {"error": "Refused: no valid X-Zendesk-Webhook-Signature."})
    try:
        body = orjson.loads(request.body)
        ticket_id = int(body.get("ticket_id") or body["ticket"]["id"])
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return _answer(400, {"error": 'The body must be {"ticket_id": <id>}.'})
    delivery = zendesk_ticket_apply(connector=connector, ticket_id=ticket_id)
    return _answer(200, {"received": True, **delivery.as_dict()})


# --- The inbox (admins) -----------------------------------------------------------------------

INBOX_PAGE = 50


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("The connectors' inbox is for admins.")


@require_GET
def connector_inbox(request: HttpRequest) -> HttpResponse:
    """Every record a connector could not apply, newest first, with its reason and payload."""
    _require_admin(request)
    page = Paginator(inbox_open(), INBOX_PAGE).get_page(request.GET.get("page"))
    return render(request, "connectors/inbox.html", {"page": page, "form": InboxMapForm()})


@require_POST
def inbox_map(request: HttpRequest, item_id: int) -> HttpResponse:
    """Map the item's id to an account (or create it) once: later records of that id follow."""
    _require_admin(request)
    item = get_object_or_404(InboxItem, pk=item_id)
    form = InboxMapForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("connector_inbox")
    try:
        if form.cleaned_data.get("account"):
            account = form.cleaned_data["account"]
            replay = inbox_item_map(item=item, account=account)
        else:
            account, replay = inbox_item_create_account(
                item=item, name=form.cleaned_data["new_account_name"]
            )
    except (ConnectorInvalid, BatchInvalid) as exc:
        problems = getattr(exc, "problems", None)
        messages.error(
            request,
            "; ".join(f"{p.field}: {p.message}" for p in problems) if problems else str(exc),
        )
        return redirect("connector_inbox")
    again = replay.refused + replay.unmatched
    messages.success(
        request, f"{item.match_id} now maps to {account.name} ({account.external_id}); "
        f"{replay.received} waiting record(s) replayed: {replay.applied} applied"
        + (f", {again} back in the inbox" if again else "") + "; later ones follow."
    )  # fmt: skip
    return redirect("connector_inbox")


DRY_RUN_SHOWN = 1000  # records listed on the page; the summary line counts every one


def connector_dry_run(request: HttpRequest, connector_id: int) -> HttpResponse:
    """Preview a pulled connector's sync (the service of `connectors sync --dry-run`): GET shows
    the button, POST runs the sync inside a transaction that is rolled back and lists what would
    change, record by record. Nothing is written, not even the delivery log."""
    _require_admin(request)
    connector = get_object_or_404(Connector, pk=connector_id, kind__in=list(SYNCS))
    context: dict = {"connector": connector, "shown": DRY_RUN_SHOWN}
    if request.method == "POST":
        try:
            summary = connector_sync_locked(connector=connector, dry_run=True)
        except Exception as exc:  # the source's error (a bad key, a 5xx): said, not raised
            context["error"] = f"{type(exc).__name__}: {exc}"
        else:
            context.update(
                line=summary.line(dry_run=True),
                # "record: what it becomes", as the command prints it, in two columns
                diffs=[diff.partition(": ")[::2] for diff in summary.changes.diffs[:DRY_RUN_SHOWN]],
                more_diffs=max(0, len(summary.changes.diffs) - DRY_RUN_SHOWN),
                refusals=summary.delivery.refusals[:DRY_RUN_SHOWN],
                more_refusals=max(0, len(summary.delivery.refusals) - DRY_RUN_SHOWN),
            )
    elif request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(request, "connectors/dry_run.html", context)
