"""One validator per record kind (kpi-spec section 2): the import and the API both use these.

A kind lists its columns (parser, whether required, staging SQL type), its upsert key and the
checks that span several columns of one record. References to other records (an account's
external_id) need the database and the rest of the import, so the loader checks those.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from accounts.importer import fields as f
from accounts.models import TicketPriority

Problem = tuple[str, str]  # (column, message)


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    sql_type: str
    required: bool = False
    # Value stored when the cell is empty and the database column does not take NULL.
    empty: Any = None
    # An admin's own field (accounts.CustomField): stored under its key in the `custom` JSON.
    custom: bool = False


@dataclass(frozen=True)
class RecordKind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_checks: tuple[Callable[[dict[str, Any]], list[Problem]], ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    # Cached: the API looks these up for every field of every item.
    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @cached_property
    def required_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        return self._columns_by_name[name]

    @cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    def clean(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        """Parse one record given as {column: text}; return its values and its problems."""
        columns = [self.column(name) for name in raw]
        values, problems = self.clean_values(columns, list(raw.values()))
        return dict(zip(raw, values, strict=True)), problems

    def clean_values(
        self, columns: list[Column], texts: list[str]
    ) -> tuple[list[Any], list[Problem]]:
        """Parse one record's cells in the order of `columns` (the fast path of the import)."""
        values: list[Any] = []
        problems: list[Problem] = []
        for column, cell in zip(columns, texts, strict=True):
            text = cell.strip()
            if "\x00" in text:  # PostgreSQL text cannot hold it; JSON and CSV both can carry it
                problems.append((column.name, "contains a NUL character, which cannot be stored"))
                values.append(None)
                continue
            if not text:
                if column.required:
                    problems.append((column.name, "is required"))
                values.append(column.empty)
                continue
            try:
                values.append(column.parse(text))
            except ValueError as exc:
                problems.append((column.name, str(exc)))
                values.append(None)
        if self.row_checks:  # each check skips the columns that did not parse
            named = {column.name: value for column, value in zip(columns, values, strict=True)}
            for check in self.row_checks:
                problems.extend(check(named))
        return values, problems


def duplicate_problem(kind: "RecordKind", first: str, key: tuple) -> Problem:
    """A key seen before in the same file or request (`first` names where: "line 3", "item 0")."""
    values = f.cut(", ".join(map(str, key)))
    return ", ".join(kind.key), f"duplicate of {first} ({values}); each key may appear once"


def _not_before(later: str, earlier: str) -> Callable[[dict[str, Any]], list[Problem]]:
    def check(values: dict[str, Any]) -> list[Problem]:
        later_value, earlier_value = values.get(later), values.get(earlier)
        if later_value is not None and earlier_value is not None and later_value < earlier_value:
            return [(later, f"must not be before {earlier}")]
        return []

    return check


def _score_in_kind_range(values: dict[str, Any]) -> list[Problem]:
    from surveys.models import SCORE_RANGES  # surveys owns the ranges; read them, don't copy

    kind, score = values.get("kind"), values.get("score")
    if kind is None or score is None:
        return []
    low, high = SCORE_RANGES[kind]
    if not low <= score <= high:
        return [("score", f"must be between {low} and {high} for {kind}, got {score}")]
    return []


EXTERNAL_ID = Column("external_id", f.text(128), "text", required=True)

# Answers given on the public survey page are stored as `survey-page-<invitation id>`: the prefix
# is theirs, so an import or an API key cannot take the id a customer's answer will need.
SURVEY_PAGE_PREFIX = "survey-page-"


def _survey_external_id(raw: str) -> str:
    value = f.text(128)(raw)
    if value.lower().startswith(SURVEY_PAGE_PREFIX):
        raise ValueError(
            f"{f.shown(value)} starts with {SURVEY_PAGE_PREFIX!r}, which is reserved for answers "
            "given on the survey page; use another external_id"
        )
    return value


ACCOUNT_REF = Column("account_external_id", f.text(128), "text", required=True)

ACCOUNTS = RecordKind(
    name="accounts",
    key=("external_id",),
    columns=(
        EXTERNAL_ID,
        Column("name", f.text(255), "text", required=True),
        Column("segment", f.text(100), "text", empty=""),
        Column("industry", f.text(100), "text", empty=""),
        Column("region", f.text(100), "text", empty=""),
        Column("owner_email", f.email, "text"),
        Column("created_on", f.parse_date, "date"),
        Column("trial_started_on", f.parse_date, "date"),
        Column("converted_on", f.parse_date, "date"),
        Column("onboarded_on", f.parse_date, "date"),
        # Linked after the file is upserted (accounts.importer.hierarchy): may name a later row.
        Column("parent_external_id", f.text(128), "text"),
    ),
)

CONTACTS = RecordKind(
    name="contacts",
    key=("external_id",),
    columns=(
        EXTERNAL_ID,
        ACCOUNT_REF,
        Column("name", f.text(255), "text", empty=""),
        Column("email", f.email, "text", empty=""),
        Column("title", f.text(255), "text", empty=""),
        Column("is_champion", f.parse_bool, "boolean", empty=False),
        Column("left_on", f.parse_date, "date"),
    ),
)

CONTRACTS = RecordKind(
    name="contracts",
    key=("external_id",),
    columns=(
        EXTERNAL_ID,
        ACCOUNT_REF,
        Column("plan", f.text(100), "text", empty=""),
        Column("start_date", f.parse_date, "date", required=True),
        Column("end_date", f.parse_date, "date"),
        Column("mrr", f.money, "numeric(14,2)", required=True),
        Column("seats", f.non_negative_int, "integer"),
        Column("one_time_fee", f.money, "numeric(14,2)"),
    ),
    row_checks=(_not_before("end_date", "start_date"),),
)

TICKETS = RecordKind(
    name="tickets",
    key=("external_id",),
    columns=(
        EXTERNAL_ID,
        ACCOUNT_REF,
        Column("subject", f.text(500), "text", empty=""),
        Column("priority", f.choice(tuple(TicketPriority.values)), "text", empty=""),
        Column("opened_at", f.parse_timestamp, "timestamptz", required=True),
        Column("first_response_at", f.parse_timestamp, "timestamptz"),
        Column("resolved_at", f.parse_timestamp, "timestamptz"),
        Column("resolved_on_first_contact", f.parse_bool, "boolean"),
    ),
    row_checks=(
        _not_before("first_response_at", "opened_at"),
        _not_before("resolved_at", "opened_at"),
    ),
)

USAGE = RecordKind(
    name="usage",
    key=("account_external_id", "user_id", "date", "feature"),
    columns=(
        ACCOUNT_REF,
        Column("user_id", f.text(128), "text", required=True),
        Column("date", f.parse_date, "date", required=True),
        Column("feature", f.text(100), "text", required=True),
        Column("events", f.non_negative_bigint, "bigint", required=True),
        Column("minutes", f.non_negative_float, "double precision"),
        Column("sessions", f.non_negative_int, "integer"),
    ),
)

SURVEYS = RecordKind(
    name="surveys",
    key=("external_id",),
    columns=(
        Column("external_id", _survey_external_id, "text", required=True),
        ACCOUNT_REF,
        Column("contact_external_id", f.text(128), "text"),
        Column("kind", f.choice(("nps", "csat", "ces")), "text", required=True),
        Column("score", f.integer_in(-(2**15), 2**15 - 1), "smallint", required=True),
        Column("comment", f.text(10_000), "text", empty=""),
        Column("responded_at", f.parse_timestamp, "timestamptz", required=True),
    ),
    row_checks=(_score_in_kind_range,),
)

COSTS = RecordKind(
    name="costs",
    key=("month",),
    columns=(
        Column("month", f.parse_month, "date", required=True),
        Column("sales_marketing_spend", f.money, "numeric(14,2)"),
        Column("retention_spend", f.money, "numeric(14,2)"),
    ),
)

# Raw product events (POST /api/v1/events), rolled into usage rows: one row per end user, local
# day and feature (kpi-spec section 2). Not a CSV file; its columns share usage's rules.
EVENTS = RecordKind(
    name="events",
    key=(),
    columns=(
        ACCOUNT_REF,
        USAGE.column("user_id"),
        USAGE.column("feature"),
        Column("occurred_at", f.parse_timestamp, "timestamptz", required=True),
        # int, not bigint: a day's sum of many counts must still fit the bigint column.
        Column("count", f.non_negative_int, "bigint", empty=1),
        USAGE.column("minutes"),
        Column("session_id", f.text(128), "text"),
    ),
)

# Import order: a record's references are loaded before it.
KINDS: tuple[RecordKind, ...] = (ACCOUNTS, CONTACTS, CONTRACTS, TICKETS, USAGE, SURVEYS, COSTS)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
