"""The audit log's page for admins: every entry, filtered, a page at a time, and its CSV."""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.forms import AuditFilterForm
from audit.selectors import AuditFilter, audit_entries, audit_page
from core.exports import csv_response

PAGE_SIZE = 50
CSV_HEADER = ["at", "actor_kind", "actor_id", "actor", "ip", "action", "object_type",
              "object_id", "object", "changes", "details"]  # fmt: skip


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("The audit log is for admins.")


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest first; filters by actor, object, action and dates; a link to the next page."""
    _require_admin(request)
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    filters = form.filters() if valid else AuditFilter()
    entries, next_cursor = audit_page(
        filters=filters, after=form.cleaned_data.get("cursor") if valid else None, size=PAGE_SIZE
    )
    query = {k: v for k, v in request.GET.items() if k != "cursor" and v}
    context = {
        "form": form,
        "entries": entries,
        "next_url": f"?{urlencode({**query, 'cursor': str(next_cursor)})}" if next_cursor else "",
        "export_url": f"export/?{urlencode(query)}",
        "paged": bool(request.GET.get("cursor")),
        "retention_days": settings.AUDIT_RETENTION_DAYS,
    }
    return render(request, "audit/log.html", context, status=200 if valid else 400)


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """Every entry the filters match as CSV (itself recorded as an export)."""
    _require_admin(request)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "entries": [], "retention_days": settings.AUDIT_RETENTION_DAYS}
        return render(request, "audit/log.html", context, status=400)
    rows = (
        (e.at, e.actor_kind, e.actor_id, e.actor_label, e.ip, e.action,
         e.content_type and f"{e.content_type.app_label}.{e.content_type.model}", e.object_id,
         e.object_label, e.changes and _json(e.changes), e.details and _json(e.details))
        for e in audit_entries(filters=form.filters()).iterator(chunk_size=2000)
    )  # fmt: skip
    return csv_response("audit-log.csv", CSV_HEADER, rows)


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)
