"""/inapp/v1/<public key>/: the endpoints the in-app widget (static/northstar-inapp.js) calls
from a customer's product, on another origin.

No login and no CSRF token: the public key names the workspace's embedding, the browser's
Origin must be one the key lists (CORS: the answer carries Access-Control-Allow-Origin for that
origin only), requests are rate limited per key and per end user, and no cookie is read or set.
The widget posts JSON as text/plain, a "simple" request, so no preflight is needed; a preflight
is answered all the same for clients that send application/json.
"""

import logging
from datetime import date

import orjson
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.refusals import Refused, limit
from surveys import inapp, services
from surveys.forms import ResponseForm
from surveys.models import InAppKey

logger = logging.getLogger("northstar.surveys.inapp")

MAX_BODY = 16 * 1024
MAX_FIELD = 254


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _key_and_origin(request: HttpRequest, public_key: str) -> tuple[InAppKey, str]:
    key = InAppKey.objects.filter(public_key=public_key, is_active=True).first()
    if key is None:
        raise Refused(404, "Unknown or inactive in-app key.")
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if not origin or origin not in key.origins:
        raise Refused(403, "This origin may not use this key: add it to the key's origins.")
    return key, origin


def _limit(request: HttpRequest, key: InAppKey, who: str) -> None:
    """INAPP_RATE_LIMIT_PER_MINUTE per key, and a tenth of it (at least 10) per end user."""
    per_key = settings.INAPP_RATE_LIMIT_PER_MINUTE
    per_user = max(10, per_key // 10)
    for group, name, rate in (
        ("inapp-key", str(key.pk), per_key),
        ("inapp-user", f"{key.pk}:{who}", per_user),
    ):
        limit(request, group=group, key=name, rate=f"{rate}/m", message="Too many requests")


def _body(request: HttpRequest) -> dict:
    if len(request.body) > MAX_BODY:
        raise Refused(413, f"The body exceeds {MAX_BODY // 1024} kB.")
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise Refused(400, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Refused(400, "The body must be a JSON object.")
    return body


def _text(body: dict, name: str, *, required: bool) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise Refused(400, f"{name}: this field is required.")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Refused(400, f"{name}: must be a string.")
    value = str(value).strip()
    if len(value) > MAX_FIELD or "\x00" in value:
        raise Refused(400, f"{name}: at most {MAX_FIELD} characters, no null characters.")
    return value


def _identity(body: dict) -> inapp.Identity:
    email = _text(body, "email", required=True)
    try:
        validate_email(email)
    except ValidationError:
        raise Refused(400, "email: enter a valid email address.") from None
    signed_up = _text(body, "signedUpAt", required=False)
    try:
        signed_up_on = date.fromisoformat(signed_up[:10]) if signed_up else None
    except ValueError:
        raise Refused(400, "signedUpAt: use an ISO date such as 2026-01-31.") from None
    return inapp.Identity(
        account_external_id=_text(body, "accountId", required=True),
        email=email,
        user_hash=_text(body, "userHash", required=False),
        signed_up_on=signed_up_on,
    )


def _endpoint(handler):
    """Key, origin, method and refusals, the same for each endpoint; errors as JSON."""

    @login_not_required
    @csrf_exempt
    @never_cache
    def view(request: HttpRequest, public_key: str) -> HttpResponse:
        try:
            key, origin = _key_and_origin(request, public_key)
        except Refused as refused:
            return JsonResponse({"error": refused.detail}, status=refused.status)
        if request.method == "OPTIONS":
            response = _cors(HttpResponse(status=204), origin)
            response["Access-Control-Allow-Methods"] = "POST"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "600"
            return response
        if request.method != "POST":
            return _cors(JsonResponse({"error": "Use POST."}, status=405), origin)
        try:
            body = _body(request)
            response = handler(request, key, body)
        except Refused as refused:
            response = JsonResponse({"error": refused.detail}, status=refused.status)
            for name, value in refused.headers.items():
                response[name] = value
        return _cors(response, origin)

    return view


@_endpoint
def ask(request: HttpRequest, key: InAppKey, body: dict) -> HttpResponse:
    """The question for the identified user, or {"question": null}: the same answer whether
    the user is unknown, not targeted or asked recently, so the key reveals nobody."""
    identity = _identity(body)
    _limit(request, key, identity.email.lower())
    try:
        invitation = inapp.question_for(key, identity)
    except inapp.IdentityRefused:
        raise Refused(401, "userHash: missing or wrong for this user.") from None
    payload = inapp.question_payload(invitation) if invitation else None
    return JsonResponse({"question": payload})


def _invitation(request: HttpRequest, key: InAppKey, body: dict):
    token = _text(body, "token", required=True)
    _limit(request, key, f"token:{token}")
    invitation = inapp.inapp_invitation(token)
    if invitation is None:
        raise Refused(404, "Unknown question.")
    return invitation


@_endpoint
def answer(request: HttpRequest, key: InAppKey, body: dict) -> HttpResponse:
    """Record the answer through the same form and service as the emailed page."""
    invitation = _invitation(request, key, body)
    data = {"score": str(body.get("score", "")), "comment": str(body.get("comment") or "")}
    form = ResponseForm(data, survey=invitation.survey)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    try:
        services.response_record(
            invitation_id=invitation.pk,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except services.InvitationClosed as closed:
        raise Refused(410, f"This question is closed ({closed.reason}).") from None
    return JsonResponse({"recorded": True})


@_endpoint
def dismiss(request: HttpRequest, key: InAppKey, body: dict) -> HttpResponse:
    invitation = _invitation(request, key, body)
    return JsonResponse({"dismissed": inapp.dismiss(invitation)})
