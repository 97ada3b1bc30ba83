"""Admins' own fields on accounts and contacts: how the import and the API read them.

A kind's record validator (accounts.importer.records) gains one column per CustomField of its
target, parsed by the field's type, so a custom value is judged by the same code path as a
built-in one and a column matching no field is still an unknown column. The extended kinds are
built once per set of definitions and kept, so the API's per-kind caches stay valid.
"""

from dataclasses import replace
from functools import cache

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
