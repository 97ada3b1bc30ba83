"""The REST API under /api/v1/ (django-ninja): bulk upserts, usage events and KPI reads.

Operations are thin: parse, call a service or selector, answer. Request bodies are read as JSON
here and judged by the import's validators (accounts.importer), so the API and the CSV import
say the same thing about the same bad value; the OpenAPI schema documents them.

django-ninja rather than Django REST framework: function views with type hints (the house style),
the schema generated from those signatures, a thin request path for the events endpoint, and no
serializer layer that would have been a second copy of the import's rules (docs/api.md).
"""

import hashlib
import json
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, NinjaAPI, Path, Query
from ninja.errors import ValidationError

from accounts.access import accounts_visible_to
from accounts.importer.batch import BatchInvalid, batch_items
from accounts.importer.fields import cut
from accounts.importer.records import ACCOUNTS, CONTACTS, CONTRACTS, EVENTS, SURVEYS, TICKETS
from accounts.models import LifecycleStage
from api import schemas, services
from api.auth import ApiError, ApiKeyAuth, api_key_for_request
from api.models import Scope
from audit.forms import AuditFilterForm
from audit.models import ActorKind
from audit.selectors import audit_page
from metrics import report, selectors
from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Group
from metrics.selectors import AccountFilter

# PostgreSQL text cannot hold NUL: a parameter carrying one is refused before it reaches a query.
NO_NUL = r"^[^\x00]*$"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
_ERRORS = {
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    429: schemas.ErrorOut,
}
_WRITE_ERRORS = {**_ERRORS, 400: schemas.ErrorOut, 413: schemas.ErrorOut, 415: schemas.ErrorOut,
                 422: schemas.ProblemsOut}  # fmt: skip


def schema_access(view):
    """The schema and its docs page need a signed-in user or a valid API key, like every page;
    a browser without either is sent to the login page, a program gets a 401."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if "Authorization" in request.headers or request.path.endswith(".json"):
            try:
                api_key_for_request(request)
            except ApiError as error:
                return _error_response(error)
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return login_not_required(wrapped)


api = NinjaAPI(
    title="Northstar API",
    version="1",
    description=(
        "Push accounts, contacts, contracts, tickets, survey responses and usage events; read "
        "KPIs from the nightly snapshots. Authenticate with `Authorization: Bearer <key>` (keys "
        "are created in the admin). Validation follows kpi-spec section 2, exactly as the CSV "
        "import does. See docs/api.md."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=schema_access,
)


# -- Errors: one sentence each, never a traceback ----------------------------------------------


def _error_response(error: ApiError) -> JsonResponse:
    return JsonResponse({"detail": error.detail}, status=error.status, headers=error.headers)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> JsonResponse:
    return _error_response(error)


def _problems_response(detail: str, problems: list[dict[str, Any]]) -> JsonResponse:
    return JsonResponse({"detail": detail, "problems": problems}, status=422)


@api.exception_handler(BatchInvalid)
def _batch_invalid(request: HttpRequest, error: BatchInvalid) -> JsonResponse:
    problems = [vars(problem) for problem in error.problems]
    return _problems_response(f"{len(problems)} problem(s); nothing was written.", problems)


@api.exception_handler(ValidationError)
def _parameters_invalid(request: HttpRequest, error: ValidationError) -> JsonResponse:
    problems = [
        {
            "item": None,
            "field": ".".join(str(part) for part in problem.get("loc", ())[1:]) or "(request)",
            "message": problem.get("msg", "is invalid"),
        }
        for problem in error.errors
    ]
    return _problems_response("The request's parameters are invalid.", problems)


@api.exception_handler(services.IdempotencyKeyReused)
def _idempotency_reused(request: HttpRequest, error: services.IdempotencyKeyReused):
    return _problems_response(
        "This Idempotency-Key was already used with a different request body.",
        [{"item": None, "field": "Idempotency-Key", "message": "already used with another body"}],
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, error: RequestDataTooBig) -> JsonResponse:
    return _error_response(
        ApiError(413, "The request body is too large: send fewer items per request.")
    )


@api.exception_handler(DataError)
def _refused_value(request: HttpRequest, error: DataError) -> JsonResponse:
    # The validators refuse what PostgreSQL would; this is the net under them, never a 500.
    message = cut(str(error).splitlines()[0])
    return _problems_response(
        "The database refused a value; nothing was written.",
        [{"item": None, "field": "(request)", "message": message}],
    )


@api.exception_handler(OperationalError)
def _busy(request: HttpRequest, error: OperationalError) -> JsonResponse:
    # A lock timeout or a deadlock victim wrote nothing (its transaction was rolled back).
    return _error_response(
        ApiError(
            503, "The database is busy; nothing was written. Retry shortly.", {"Retry-After": "1"}
        )
    )


# -- Writes ------------------------------------------------------------------------------------


def _json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise ApiError(415, "Send the body as JSON, with Content-Type: application/json.")
    try:
        return json.loads(request.body, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _upsert(request: HttpRequest, kind) -> dict[str, Any]:
    result = services.records_upsert(kind=kind, items=batch_items(_json_body(request)))
    return {"kind": kind.name, "received": result.received, "written": result.written}


_UPSERT_NOTE = (
    "Upserted by external_id: a field left out keeps its stored value, null clears it. Any "
    "invalid item: 422 with every problem and its item index, and nothing is written."
)


@api.post(
    "/accounts",
    auth=ApiKeyAuth(Scope.WRITE_ACCOUNTS),
    response={200: schemas.WriteOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(ACCOUNTS, "Up to 1,000 accounts."),
    summary="Upsert accounts",
    description=_UPSERT_NOTE + " An owner_email names a user, created when missing.",
    tags=["write"],
)
def accounts_upsert(request: HttpRequest):
    return _upsert(request, ACCOUNTS)


@api.post(
    "/contacts",
    auth=ApiKeyAuth(Scope.WRITE_ACCOUNTS),
    response={200: schemas.WriteOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(CONTACTS, "Up to 1,000 contacts."),
    summary="Upsert contacts",
    description=_UPSERT_NOTE,
    tags=["write"],
)
def contacts_upsert(request: HttpRequest):
    return _upsert(request, CONTACTS)


@api.post(
    "/contracts",
    auth=ApiKeyAuth(Scope.WRITE_ACCOUNTS),
    response={200: schemas.WriteOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(CONTRACTS, "Up to 1,000 contracts."),
    summary="Upsert contracts",
    description=_UPSERT_NOTE,
    tags=["write"],
)
def contracts_upsert(request: HttpRequest):
    return _upsert(request, CONTRACTS)


@api.post(
    "/tickets",
    auth=ApiKeyAuth(Scope.WRITE_TICKETS),
    response={200: schemas.WriteOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(TICKETS, "Up to 1,000 tickets."),
    summary="Upsert tickets",
    description=_UPSERT_NOTE,
    tags=["write"],
)
def tickets_upsert(request: HttpRequest):
    return _upsert(request, TICKETS)


@api.post(
    "/survey-responses",
    auth=ApiKeyAuth(Scope.WRITE_SURVEYS),
    response={200: schemas.WriteOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(SURVEYS, "Up to 1,000 survey responses."),
    summary="Upsert survey responses",
    description=_UPSERT_NOTE,
    tags=["write"],
)
def survey_responses_upsert(request: HttpRequest):
    return _upsert(request, SURVEYS)


@api.post(
    "/events",
    auth=ApiKeyAuth(Scope.WRITE_USAGE),
    response={200: schemas.EventsOut, **_WRITE_ERRORS},
    openapi_extra=schemas.batch_body(EVENTS, "Up to 1,000 raw usage events."),
    summary="Record usage events",
    description=(
        "Rolls raw product events into the daily usage rows (one per account, user, feature "
        "and local day): each event adds its count (default 1) and minutes; a session_id adds "
        "one session the first time its row sees it. Send an Idempotency-Key header so that a "
        "retried request counts once; a replayed answer carries Idempotent-Replayed: true."
    ),
    tags=["write"],
)
def events_record(
    request: HttpRequest,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique printable ASCII string of up to 255 characters.",
    ),
):
    items = batch_items(_json_body(request))
    result = services.usage_events_record(
        api_key=request.auth,
        items=items,
        idempotency_key=idempotency_key,
        request_sha256=hashlib.sha256(request.body).hexdigest(),
    )
    response = JsonResponse(result.response)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# -- Reads -------------------------------------------------------------------------------------


def _json_text_response(text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(text, content_type="application/json", headers=headers or {})


def _paging_headers(request: HttpRequest, total: int, limit: int, offset: int) -> dict[str, str]:
    headers = {"X-Total-Count": str(total)}
    if offset + limit < total:
        query = request.GET.copy()
        query["offset"] = str(offset + limit)
        query["limit"] = str(limit)
        headers["Link"] = f'<{request.path}?{urlencode(sorted(query.items()))}>; rel="next"'
    return headers


@api.get(
    "/kpis",
    auth=ApiKeyAuth(Scope.READ_METRICS),
    response={404: schemas.ErrorOut, 422: schemas.ProblemsOut, **_ERRORS},
    openapi_extra=schemas.json_response(
        "The `kpis --format json` document (kpi-spec section 9) of the accounts the key's user "
        "may see; `accounts` lists one page of them (X-Total-Count, Link rel=next).",
        schemas.kpis_document_schema(),
    ),
    summary="Portfolio KPIs of a date",
    tags=["read"],
)
def kpis_read(
    request: HttpRequest,
    as_of: date | None = Query(None, description="Default: the newest snapshot's date."),
    segment: str = Query("", max_length=100, pattern=NO_NUL),
    region: str = Query("", max_length=100, pattern=NO_NUL),
    stage: LifecycleStage | None = Query(None, description="Lifecycle stage."),
    owner: str = Query("", max_length=254, pattern=NO_NUL, description="The owner's email."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    if as_of is None:
        run = selectors.latest_snapshot_run()
        if run is None:
            raise ApiError(404, "No snapshot yet. Compute one with: python manage.py "
                           "recompute_snapshots --date YYYY-MM-DD")  # fmt: skip
        as_of = run.as_of
    elif not selectors.snapshot_exists(as_of=as_of):
        raise ApiError(404, f"No snapshot for {as_of}. Compute it with: python manage.py "
                       f"recompute_snapshots --date {as_of}")  # fmt: skip
    account_filter = AccountFilter(
        segment=segment, region=region, lifecycle_stage=stage or "", owner_email=owner
    )
    accounts = account_filter.apply(accounts_visible_to(request.auth.user))
    total = selectors.account_snapshots(as_of=as_of, accounts=accounts).count()
    document = report.kpis_document(
        as_of=as_of, accounts=accounts, page=slice(offset, offset + limit)
    )
    headers = _paging_headers(request, total, limit, offset)
    return _json_text_response(report.to_json(document, indent=None), headers)


@api.get(
    "/accounts/{external_id}/snapshots",
    auth=ApiKeyAuth(Scope.READ_METRICS),
    response={404: schemas.ErrorOut, 422: schemas.ProblemsOut, **_ERRORS},
    openapi_extra=schemas.json_response(
        "One account's daily snapshots, oldest first, each with the keys of kpi-spec section 7.",
        schemas.snapshots_schema(),
    ),
    summary="An account's snapshot history",
    tags=["read"],
)
def account_snapshots_read(
    request: HttpRequest,
    external_id: str = Path(..., max_length=128, pattern=NO_NUL),
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    account = accounts_visible_to(request.auth.user).filter(external_id=external_id).first()
    if account is None:  # hidden or missing: the same answer, so nothing leaks
        raise ApiError(404, f"No account {external_id!r}.")
    rows = selectors.account_snapshot_history(account=account, date_from=date_from, date_to=date_to)
    total = rows.count()
    items = [{"as_of": row.as_of.isoformat(), **report.account_entry(row)}
             for row in rows[offset : offset + limit]]  # fmt: skip
    document = {
        "external_id": account.external_id,
        "currency": settings.CURRENCY,
        "count": total,
        "limit": limit,
        "offset": offset,
        "items": items,
    }
    headers = _paging_headers(request, total, limit, offset)
    return _json_text_response(report.to_json(document, indent=None), headers)


_DEFINITIONS = [("portfolio", kpi) for kpi in PORTFOLIO_KPIS] + [
    ("account", kpi) for kpi in ACCOUNT_KPIS
]


@api.get(
    "/kpi-definitions",
    auth=ApiKeyAuth(Scope.READ_METRICS),
    response={200: schemas.DefinitionsOut, 422: schemas.ProblemsOut, **_ERRORS},
    summary="The KPI registry's definitions",
    tags=["read"],
)
def kpi_definitions_read(
    request: HttpRequest,
    scope: str | None = Query(None, pattern="^(portfolio|account)$"),
    group: Group | None = Query(None),
    key: str = Query("", max_length=100),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    matching = [
        {
            "key": kpi.key,
            "scope": kpi_scope,
            "label": kpi.label,
            "unit": kpi.unit.value,
            "group": kpi.group.value,
            "definition": kpi.definition,
            "higher_is_better": kpi.higher_is_better,
        }
        for kpi_scope, kpi in _DEFINITIONS
        if (scope is None or kpi_scope == scope)
        and (group is None or kpi.group == group)
        and (not key or kpi.key == key)
    ]
    return {
        "count": len(matching),
        "limit": limit,
        "offset": offset,
        "items": matching[offset : offset + limit],
    }


@api.get(
    "/audit",
    auth=ApiKeyAuth(Scope.READ_AUDIT),
    response={200: schemas.AuditPageOut, 422: schemas.ProblemsOut, **_ERRORS},
    summary="The audit log",
    description=(
        "Entries newest first, filtered like the admins' audit page, a page at a time: pass the "
        "answer's next_cursor as cursor for the next page (also in Link rel=next); null at the "
        "end. The key's user must be staff."
    ),
    tags=["read"],
)
def audit_read(
    request: HttpRequest,
    actor_kind: ActorKind | None = Query(None),
    actor: str = Query("", max_length=200, pattern=NO_NUL, description="A name's start."),
    object_type: str = Query("", max_length=100, pattern=NO_NUL, description="accounts.account"),
    object_id: str = Query("", max_length=64, pattern=NO_NUL),
    action: str = Query("", max_length=64, pattern=NO_NUL, description="task.create or task"),
    date_from: date | None = Query(None, alias="from"),
    date_to: date | None = Query(None, alias="to"),
    cursor: str = Query("", max_length=100, pattern=NO_NUL),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    if not request.auth.user.is_staff:
        raise ApiError(403, "The audit log is for admins: this key's user is not staff.")
    form = AuditFilterForm(
        {"actor_kind": actor_kind or "", "actor": actor, "object_type": object_type,
         "object_id": object_id, "action": action, "date_from": date_from or "",
         "date_to": date_to or "", "cursor": cursor}
    )  # fmt: skip
    if not form.is_valid():
        problems = [{"item": None, "field": name, "message": " ".join(errors)}
                    for name, errors in form.errors.items()]  # fmt: skip
        return _problems_response("The request's parameters are invalid.", problems)
    entries, next_cursor = audit_page(
        filters=form.filters(), after=form.cleaned_data["cursor"], size=limit
    )
    headers = {}
    if next_cursor is not None:
        query = request.GET.copy()
        query["cursor"] = str(next_cursor)
        headers["Link"] = f'<{request.path}?{urlencode(sorted(query.items()))}>; rel="next"'
    document = {
        "limit": limit,
        "next_cursor": next_cursor and str(next_cursor),
        "items": [_audit_item(entry) for entry in entries],
    }
    return JsonResponse(document, headers=headers, encoder=DjangoJSONEncoder)


def _audit_item(entry) -> dict[str, Any]:
    content_type = entry.content_type
    return {
        "id": entry.pk,
        "at": entry.at,
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "actor": entry.actor_label,
        "ip": entry.ip,
        "action": entry.action,
        "object_type": content_type and f"{content_type.app_label}.{content_type.model}",
        "object_id": entry.object_id,
        "object": entry.object_label,
        "changes": entry.changes,
        "details": entry.details,
    }
