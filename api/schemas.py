"""The API's OpenAPI shapes. Request bodies are derived from the record kinds' columns (the
validator is the single source of what a field is); read documents from the KPI registry."""

from datetime import datetime
from typing import Any

from ninja import Schema

from accounts.importer.batch import MAX_ITEMS
from accounts.importer.records import RecordKind
from accounts.models import TicketPriority
from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Kpi, Unit
from surveys.models import SurveyKind

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "timestamptz": {"type": "string", "format": "date-time"},
    "numeric(14,2)": {"type": "number"},
    "double precision": {"type": "number"},
    "integer": {"type": "integer"},
    "smallint": {"type": "integer"},
    "bigint": {"type": "integer"},
    "boolean": {"type": "boolean"},
}
_ENUMS = {("tickets", "priority"): TicketPriority.values, ("surveys", "kind"): SurveyKind.values}


def _field_schema(kind: RecordKind, name: str) -> dict[str, Any]:
    column = kind.column(name)
    schema = dict(_JSON_TYPES[column.sql_type])
    if (kind.name, name) in _ENUMS:
        schema["enum"] = list(_ENUMS[(kind.name, name)])
    if column.required:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def item_schema(kind: RecordKind) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: _field_schema(kind, name) for name in kind.column_names},
        "required": list(kind.required_names),
        "additionalProperties": False,
    }


def batch_body(kind: RecordKind, description: str) -> dict[str, Any]:
    """`openapi_extra` for an operation whose body is {"items": [...]} of `kind`'s records."""
    body = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": item_schema(kind),
                "minItems": 1,
                "maxItems": MAX_ITEMS,
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    }
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": body}},
        }
    }


def _kpi_value_schema(kpi: Kpi) -> dict[str, Any]:
    if kpi.unit == Unit.TEXT:
        value: dict[str, Any] = {"type": "string"}
    elif kpi.unit in (Unit.COUNT, Unit.FLAG, Unit.DAYS):
        value = {"type": "integer"}
    else:
        value = {"type": "number"}
    return {"anyOf": [value, {"type": "null"}], "description": kpi.definition}


_COMPONENT = {
    "type": "object",
    "properties": {
        "metric": {"type": "string"},
        **{key: {"type": ["number", "null"]} for key in ("value", "score", "weight")},
        "contribution": {"type": ["number", "null"]},
    },
}


def account_entry_schema(*, with_date: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = (
        {"as_of": {"type": "string", "format": "date"}} if with_date else {}
    )
    properties["external_id"] = {"type": "string"}
    properties.update({kpi.key: _kpi_value_schema(kpi) for kpi in ACCOUNT_KPIS})
    properties["health_components"] = {"type": "array", "items": _COMPONENT}
    return {"type": "object", "properties": properties}


def kpis_document_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "period_start": {"type": "string", "format": "date"},
            "period_end": {"type": "string", "format": "date"},
            "currency": {"type": "string"},
            "portfolio": {
                "type": "object",
                "properties": {kpi.key: _kpi_value_schema(kpi) for kpi in PORTFOLIO_KPIS},
            },
            "accounts": {"type": "array", "items": account_entry_schema()},
        },
    }


def snapshots_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "external_id": {"type": "string"},
            "currency": {"type": "string"},
            "count": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "items": {"type": "array", "items": account_entry_schema(with_date=True)},
        },
    }


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a 200 answer the view writes itself (money as numbers)."""
    return {
        "responses": {
            200: {"description": description, "content": {"application/json": {"schema": schema}}}
        }
    }


class ErrorOut(Schema):
    detail: str


class ProblemOut(Schema):
    item: int | None
    field: str
    message: str


class ProblemsOut(Schema):
    detail: str
    problems: list[ProblemOut]


class WriteOut(Schema):
    kind: str
    received: int
    written: int


class EventsOut(Schema):
    received: int
    usage_rows: int


class DefinitionOut(Schema):
    key: str
    scope: str
    label: str
    unit: str
    group: str
    definition: str
    higher_is_better: bool | None


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor: str
    ip: str | None
    action: str
    object_type: str | None
    object_id: str
    object: str
    changes: dict[str, Any]
    details: dict[str, Any]


class AuditPageOut(Schema):
    limit: int
    next_cursor: str | None
    items: list[AuditEntryOut]


class DefinitionsOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[DefinitionOut]
