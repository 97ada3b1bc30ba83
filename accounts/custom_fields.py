"""Admins' own fields on accounts and contacts: how the import and the API read them.

A kind's record validator (accounts.importer.records) gains one column per CustomField of its
target, parsed by the field's type, so a custom value is judged by the same code path as a
built-in one and a column matching no field is still an unknown column. The extended kinds are
built once per set of definitions and kept, so the API's per-kind caches stay valid.

The pages read the same definitions: filters on the accounts list (containment on the GIN index
for one-of-a-list and yes/no, ranges for numbers) and the 360 page's values and edit form, whose
input goes through the same parsers as a file's cell.
"""

from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache

from django.db.models import Q

from accounts.importer import fields as f
from accounts.importer.records import Column, RecordKind
from accounts.models import CustomField, CustomFieldType

Definition = tuple[str, str, tuple[str, ...]]  # (key, field type, choices)

_SQL_TYPES = {
    CustomFieldType.TEXT: "text",
    CustomFieldType.NUMBER: "numeric",
    CustomFieldType.DATE: "date",
    CustomFieldType.BOOLEAN: "boolean",
    CustomFieldType.CHOICE: "text",
}
TEXT_MAX = 1_000


def _parser(field_type: str, choices: tuple[str, ...]):
    return {
        CustomFieldType.TEXT: f.text(TEXT_MAX),
        CustomFieldType.NUMBER: f.number,
        CustomFieldType.DATE: f.parse_date,
        CustomFieldType.BOOLEAN: f.parse_bool,
        CustomFieldType.CHOICE: f.choice(choices),
    }[field_type]


def definitions(target: str) -> tuple[Definition, ...]:
    """The target's fields, in key order: one small query."""
    rows = CustomField.objects.filter(target=target).order_by("key")
    return tuple(
        (key, field_type, tuple(choices))
        for key, field_type, choices in rows.values_list("key", "field_type", "choices")
    )


@cache  # one entry per set of definitions ever seen: admins change them rarely
def _extended(kind: RecordKind, fields: tuple[Definition, ...]) -> RecordKind:
    extra = tuple(
        Column(key, _parser(field_type, choices), _SQL_TYPES[field_type], custom=True)
        for key, field_type, choices in fields
    )
    return replace(kind, columns=kind.columns + extra)


def record_kind(kind: RecordKind) -> RecordKind:
    """The kind with its custom fields as columns (kinds without any target are unchanged)."""
    if kind.name not in {"accounts", "contacts"} or any(c.custom for c in kind.columns):
        return kind
    fields = definitions(kind.name)
    return _extended(kind, fields) if fields else kind


# The pages: filters on the accounts list, values on the 360 page and their edit form.


@dataclass(frozen=True)
class FieldFilter:
    """One custom field's condition in a filter: a value it must hold (one of a list, yes/no)
    and/or a range of numbers."""

    key: str
    equals: str | bool | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    def condition(self) -> Q:
        """Equality by containment (`custom @> {"tier": "Gold"}`), served by the GIN
        jsonb_path_ops index; a range compares the JSON number (no index: it narrows the rows
        the other conditions and the access rule left, a few thousand at most)."""
        condition = Q()
        if self.equals is not None:
            condition &= Q(custom__contains={self.key: self.equals})
        # jsonb compares numbers numerically; a missing key is NULL and never matches.
        if self.low is not None:
            condition &= Q(**{f"custom__{self.key}__gte": _json_number(self.low)})
        if self.high is not None:
            condition &= Q(**{f"custom__{self.key}__lte": _json_number(self.high)})
        return condition


def filter_condition(filters: tuple[FieldFilter, ...]) -> Q:
    condition = Q()
    for one in filters:
        condition &= one.condition()
    return condition


def _json_number(value: Decimal) -> int | float:
    """A number as the import stores it in JSON: an integer when it is whole."""
    return int(value) if value == value.to_integral_value() else float(value)


def stored_value(field_type: str, value):
    """A parsed value (the import's parsers') as it is kept in `custom`: numbers as JSON numbers,
    dates as ISO text, yes/no as booleans."""
    if value is None or value == "":
        return None
    if field_type == CustomFieldType.NUMBER:
        return _json_number(value)
    if field_type == CustomFieldType.DATE:
        return value.isoformat()
    return value


def parse_value(field: CustomField, raw: str):
    """A typed value from a form's text by the import's own parser for the field (so a value
    typed on the 360 page is judged as one in a file is); ValueError says what is wrong."""
    return _parser(field.field_type, tuple(field.choices))(raw.strip())


@dataclass(frozen=True)
class FieldValue:
    """A custom field and its value on a record, typed for display (None when it has none)."""

    field: CustomField
    value: object


def field_values(fields: list[CustomField], custom: dict) -> list[FieldValue]:
    """The record's values of `fields`, in their order, typed: Decimal numbers, dates,
    booleans and texts (a stored value the field no longer parses is shown as it is)."""
    values = []
    for field in fields:
        stored = custom.get(field.key)
        if field.field_type == CustomFieldType.NUMBER and isinstance(stored, int | float):
            stored = Decimal(str(stored))
        elif field.field_type == CustomFieldType.DATE and isinstance(stored, str):
            with suppress(ValueError):
                stored = date.fromisoformat(stored)
        values.append(FieldValue(field, stored))
    return values
