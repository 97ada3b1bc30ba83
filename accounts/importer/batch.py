"""Records given as JSON objects (the API's bulk writes): the import's validators, reference
rules and set-based upsert, applied to a batch of up to 1,000 items in one transaction.

Each item goes through its kind's validator exactly as a CSV row does (a JSON value becomes the
text of a cell), so the API reports the import's messages, with the item's index in place of the
line. A batch with any problem writes nothing.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts import custom_fields
from accounts import sql as accounts_sql
from accounts.importer import fields as f
from accounts.importer import hierarchy
from accounts.importer.records import Column, Problem, RecordKind, duplicate_problem
from accounts.importer.references import References, create_missing_owners, reference_checks

MAX_ITEMS = 1_000
# A request writing fewer rows than this never looks at the table's statistics (one catalog
# query saved on the many small requests); larger ones may ANALYZE a young table.
ANALYZE_MIN_ROWS = 100
# Kinds whose writes can change an account's lifecycle stage (derived from its contracts).
_LIFECYCLE_KINDS = frozenset({"accounts", "contracts"})


@dataclass(frozen=True)
class ItemProblem:
    item: int | None  # the item's index in the request; None for the request as a whole
    field: str
    message: str


class BatchInvalid(Exception):
    """The batch has problems and nothing was written; `problems` lists every one."""

    def __init__(self, problems: list[ItemProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class CleanItem:
    index: int
    names: tuple[str, ...]  # the fields the item gave (required ones always), in column order
    values: list[Any]

    def full_row(self, kind: RecordKind) -> list[Any]:
        """Values of every column of the kind, an absent field taking the column's empty value."""
        given = dict(zip(self.names, self.values, strict=True))
        return [given.get(column.name, column.empty) for column in kind.columns]


def cell_text(value: Any) -> str:
    """A JSON value as the text of a CSV cell, so the same parser judges it: null is an empty
    cell, true/false and numbers are written as a file would hold them.

    A number is judged by its size before it is written out: `1e999999999` is 11 bytes of JSON
    and a billion digits of text, so a number past any column's range is refused here, for
    every kind and field, before anything formats it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        if abs(value) >= _NUMBER_LIMIT:
            raise ValueError(_out_of_range(value))
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
        if not number.is_finite() or not -f.DIGITS_MAX <= number.adjusted() < f.DIGITS_MAX:
            raise ValueError(_out_of_range(number))
        return format(number, "f")
    raise ValueError(
        f"must be a single value, not {'a list' if isinstance(value, list) else 'an object'}"
    )


_NUMBER_LIMIT = 10**f.DIGITS_MAX


def _out_of_range(number: int | Decimal) -> str:
    # str() of a Decimal is its short scientific form; an int is at most 4,300 digits (json).
    return (
        f"{f.cut(str(number))} is out of range: no field takes a number of 1e{f.DIGITS_MAX} or "
        f"more, or one closer to zero than 1e-{f.DIGITS_MAX}"
    )


def batch_items(body: Any) -> list[Any]:
    """The items of a request body `{"items": [...]}`: 1 to MAX_ITEMS of them."""
    if not isinstance(body, dict) or set(body) != {"items"} or not isinstance(body["items"], list):
        raise BatchInvalid(
            [ItemProblem(None, "(body)", 'must be an object {"items": [...]} and nothing else')]
        )
    items = body["items"]
    if not 1 <= len(items) <= MAX_ITEMS:
        raise BatchInvalid(
            [ItemProblem(None, "items", f"must hold 1 to {MAX_ITEMS:,} items, got {len(items):,}")]
        )
    return items


def batch_clean(kind: RecordKind, items: Sequence[Any]) -> list[CleanItem]:
    """Validate every item; raise BatchInvalid with every problem of every item, or return the
    parsed items."""
    kind = custom_fields.record_kind(kind)
    problems: list[ItemProblem] = []
    cleaned: list[CleanItem] = []
    for index, item in enumerate(items):
        clean, item_problems = _clean_item(kind, index, item)
        problems.extend(ItemProblem(index, field, message) for field, message in item_problems)
        if clean is not None:
            cleaned.append(clean)
    problems.extend(_duplicates(kind, cleaned))
    problems.extend(_reference_problems(kind, cleaned))
    if problems:
        problems.sort(key=lambda problem: -1 if problem.item is None else problem.item)
        raise BatchInvalid(problems)
    return cleaned


# (kind, fields given) -> (fields to parse in column order, their columns): a request's items
# mostly share one shape, so the plan is worked out once, not per item.
_plans: dict[tuple[int, frozenset[str]], tuple[tuple[str, ...], list[Column]]] = {}


def _plan(kind: RecordKind, given: frozenset[str]) -> tuple[tuple[str, ...], list[Column]]:
    # By the kind object: a kind with custom fields is built once per set of definitions and
    # kept (accounts.custom_fields), so its id is stable.
    plan = _plans.get((id(kind), given))
    if plan is None:
        names = tuple(n for n in kind.column_names if n in given or n in kind.required_names)
        plan = _plans[(id(kind), given)] = (names, [kind.column(name) for name in names])
    return plan


def _clean_item(kind: RecordKind, index: int, item: Any) -> tuple[CleanItem | None, list[Problem]]:
    if not isinstance(item, dict):
        return None, [("(item)", "must be an object of the record's fields")]
    known = kind._columns_by_name
    problems: list[Problem] = [
        (f.cut(name), f"unknown field (expected: {', '.join(kind.column_names)})")
        for name in item
        if name not in known
    ]
    names, columns = _plan(kind, frozenset(name for name in item if name in known))
    try:  # the common case: strings and numbers, converted in one pass
        texts = [v if v.__class__ is str else cell_text(v) for v in map(item.get, names)]
        bad_shape: set[str] = set()
    except ValueError:
        texts, bad_shape = [], set()
        for name in names:
            try:
                texts.append(cell_text(item.get(name)))
            except ValueError as exc:
                problems.append((name, str(exc)))
                bad_shape.add(name)
                texts.append("")
    values, value_problems = kind.clean_values(columns, texts)
    problems.extend(problem for problem in value_problems if problem[0] not in bad_shape)
    if problems:
        return None, problems
    return CleanItem(index, names, values), []


def _positions(names: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[int | None, ...]:
    return tuple(names.index(name) if name in names else None for name in wanted)


def _duplicates(kind: RecordKind, cleaned: list[CleanItem]) -> list[ItemProblem]:
    """Each key once per request, as once per file: the later items name the first."""
    if not kind.key:
        return []
    first: dict[tuple, int] = {}
    problems = []
    for clean in cleaned:
        key = tuple(clean.values[i] for i in _positions(clean.names, kind.key))
        if key in first:
            field, message = duplicate_problem(kind, f"item {first[key]}", key)
            problems.append(ItemProblem(clean.index, field, message))
        else:
            first[key] = clean.index
    return problems


_REFERENCES = ("account_external_id", "contact_external_id")


def _reference_problems(kind: RecordKind, cleaned: list[CleanItem]) -> list[ItemProblem]:
    """Accounts and contacts the items name must exist (a batch holds one kind, so only the
    database can hold them). Two indexed lookups for the whole batch."""
    if not set(_REFERENCES) & set(kind.column_names):
        return []
    accounts, contacts = set(), set()
    for clean in cleaned:
        account, contact = _positions(clean.names, _REFERENCES)
        if account is not None:
            accounts.add(clean.values[account])
        if contact is not None:
            contacts.add(clean.values[contact])
    accounts.discard(None)
    contacts.discard(None)
    references = References.among(accounts=accounts, contacts=contacts)
    checks_by_names = {}
    problems = []
    for clean in cleaned:
        if clean.names not in checks_by_names:
            checks_by_names[clean.names] = reference_checks(kind, clean.names, references)
        for check in checks_by_names[clean.names]:
            problems.extend(
                ItemProblem(clean.index, field, message) for field, message in check(clean.values)
            )
    return problems


@dataclass(frozen=True)
class BatchResult:
    received: int
    written: int  # rows inserted or changed


def batch_upsert(kind: RecordKind, items: Sequence[Any]) -> BatchResult:
    """Validate the items, then upsert them by key in one transaction through the import's
    staging table and set-based statements: a few statements per request, whatever its size.

    A field an item leaves out keeps its stored value, as a column a file leaves out does
    (null clears it). Items giving different sets of fields are upserted in groups of the same
    set, one staging pass each."""
    kind = custom_fields.record_kind(kind)
    cleaned = batch_clean(kind, items)
    groups: dict[tuple[str, ...], list[CleanItem]] = defaultdict(list)
    for clean in cleaned:
        groups[clean.names].append(clean)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for names, group in groups.items():
            accounts_sql.create_staging_table(cursor, kind)
            with cursor.copy(accounts_sql.copy_statement(kind, names)) as copy:
                for clean in group:
                    copy.write_row((clean.index, *clean.values))
            if kind.name == "accounts" and "owner_email" in names:
                create_missing_owners(accounts_sql.distinct_owner_emails(cursor))
            with_parents = kind.name == "accounts" and "parent_external_id" in names
            if with_parents:
                _raise_lined(hierarchy.staged_parent_problems(cursor))
            accounts_sql.analyze_staging_table(cursor, kind)
            written += accounts_sql.upsert(cursor, kind, names)
            if with_parents:
                linked, problems = hierarchy.link_staged_parents(cursor)
                _raise_lined(problems)
                written += linked
        if written >= ANALYZE_MIN_ROWS:
            accounts_sql.analyze_kind_if_changed(cursor, kind, written)
        if kind.name in _LIFECYCLE_KINDS:
            accounts_sql.refresh_lifecycle_stages(cursor, timezone.localdate())
    return BatchResult(received=len(cleaned), written=written)


def _raise_lined(problems: list[hierarchy.LinedProblem]) -> None:
    """Problems found in the staging table (its line is the item's index): nothing is written."""
    if problems:
        raise BatchInvalid(
            [ItemProblem(index, field, message) for index, (field, message) in problems]
        )
