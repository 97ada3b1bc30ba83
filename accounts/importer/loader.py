"""Loads a folder of CSV files (kpi-spec section 2) in one transaction: all of it, or nothing.

Each file is read once: every record is parsed by its kind's validator and streamed with COPY into
a temporary staging table; then duplicate keys are found in SQL and each kind is upserted with one
INSERT ... SELECT ... ON CONFLICT. Any problem anywhere rolls the whole import back, and every
problem is reported as `file:line: column: message` (line counts records; the header is line 1).
"""

import codecs
import csv
import io
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import custom_fields, partitions
from accounts import sql as accounts_sql
from accounts.importer import hierarchy
from accounts.importer.fields import cut
from accounts.importer.records import KINDS, RecordKind, duplicate_problem
from accounts.importer.references import References, create_missing_owners, reference_checks
from accounts.models import Account, ImportLog
from audit import services as audit

logger = logging.getLogger("northstar.import")

MAX_PROBLEMS_PER_FILE = 10_000
PROGRESS_EVERY = 100_000
DIRECT_KINDS = frozenset({"usage"})

ProgressCallback = Callable[[str, int, float], None]  # (file name, rows so far, seconds)


class ImportFailed(Exception):
    """The import found problems and wrote nothing; `problems` are ready-to-print lines."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportResult:
    rows: dict[str, int] = field(default_factory=dict)  # validated rows per file
    written: dict[str, int] = field(default_factory=dict)  # rows inserted or changed
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """What the references of later files may point at (the database plus earlier files), and
    the problems found so far."""

    references: References
    problems: list[str] = field(default_factory=list)

    def add(self, filename: str, line: int, column: str, message: str) -> None:
        # A header cell is the file's text: named, cut like every value a message quotes.
        self.problems.append(f"{filename}:{line}: {cut(column)}: {message}")

    def add_lined(self, filename: str, problems: list[hierarchy.LinedProblem]) -> None:
        for line, (column, message) in problems:
            self.add(filename, line, column, message)


def import_directory(directory: Path, *, progress: ProgressCallback | None = None) -> ImportResult:
    """Import every known file present in `directory`; raise ImportFailed and write nothing on
    any problem."""
    started = time.perf_counter()
    # Accounts and contacts also take a column per custom field an admin defined.
    files = [(custom_fields.record_kind(kind), directory / kind.filename) for kind in KINDS]
    files = [(kind, path) for kind, path in files if path.is_file()]
    known = {kind.filename for kind in KINDS}
    unknown = sorted(p.name for p in directory.glob("*.csv") if p.name not in known)
    if not files:
        names = ", ".join(kind.filename for kind in KINDS)
        raise ImportFailed([f"{directory}: no import files found (expected any of {names})"])

    context = _Context(references=References.everything())
    result = ImportResult(warnings=[f"{name}: not an import file; ignored" for name in unknown])
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, path in files:
            # Files after the first problem are still read, to report all problems at once.
            loaded = _load_directly(cursor, kind, path, context, progress)
            if loaded is None:
                loaded = _load_through_staging(cursor, kind, path, context, progress)
            result.rows[kind.name], result.written[kind.name] = loaded
            if not context.problems:  # the later files' joins plan with the new rows counted
                accounts_sql.analyze_kind_if_changed(cursor, kind, loaded[1])
        if context.problems:
            raise ImportFailed(context.problems)
        ImportLog.objects.bulk_create(
            ImportLog(kind=kind, rows=rows) for kind, rows in result.rows.items()
        )
        accounts_sql.refresh_lifecycle_stages(cursor, timezone.localdate())
        # One entry for the whole import, with its counts: never one per row.
        audit.record(
            "import.run",
            label=str(directory),
            details={"rows": result.rows, "written": result.written},
        )
    result.seconds = time.perf_counter() - started
    return result


def _load_through_staging(cursor, kind, path, context, progress) -> tuple[int, int]:
    """Validate into a staging table, then report duplicate keys or upsert: (rows, written)."""
    accounts_sql.create_staging_table(cursor, kind)
    sink = _Sink(accounts_sql.copy_statement(kind, _header_names(path)), _staged_row)
    names, rows = _stage_file(cursor, kind, path, context, progress, sink)
    # Checked even when other problems were found: every problem is reported in one run.
    _check_duplicates(cursor, kind, path, context)
    with_parents = kind.name == "accounts" and "parent_external_id" in names
    if with_parents:
        context.add_lined(path.name, hierarchy.staged_parent_problems(cursor))
    if context.problems:
        return rows, 0
    if kind.name == "accounts" and "owner_email" in names:
        create_missing_owners(accounts_sql.distinct_owner_emails(cursor))
    accounts_sql.analyze_staging_table(cursor, kind)
    written = accounts_sql.upsert(cursor, kind, names)
    if with_parents:
        linked, problems = hierarchy.link_staged_parents(cursor)
        context.add_lined(path.name, problems)
        written += linked
    return rows, written


def _load_directly(cursor, kind, path, context, progress) -> tuple[int, int] | None:
    """First loads of usage, the one table with millions of rows, skip the staging table: rows
    are copied straight into the empty table, so PostgreSQL maintains its index while Python
    parses the next rows, about twice as fast. A duplicate key inside the file breaks the unique
    index; the savepoint is then rolled back and the file goes the staged way, which reports the
    duplicates by line. Returns None when this path does not apply or was abandoned."""
    if kind.name not in DIRECT_KINDS or context.problems:
        return None
    if not accounts_sql.table_is_empty(cursor, kind):
        return None
    names = _header_names(path)
    if "account_external_id" not in names:
        return None
    account_index = names.index("account_external_id")
    account_ids = dict(Account.objects.values_list("external_id", "id"))

    def direct_row(line: int, values: list[Any]) -> list[Any]:
        values[account_index] = account_ids[values[account_index]]
        return values

    sink = _Sink(
        accounts_sql.copy_into_table_statement(kind, names),
        direct_row,
        _MonthPartitions(names.index("date")) if "date" in names else None,
    )
    problems_before = len(context.problems)
    try:
        with transaction.atomic():
            _names, rows = _stage_file(cursor, kind, path, context, progress, sink)
    except (IntegrityError, psycopg.errors.UniqueViolation):
        logger.info("%s has duplicate keys; loading it through staging to report them", path.name)
        # The staged pass reads the whole file again and reports its problems itself.
        del context.problems[problems_before:]
        return None
    return rows, (0 if context.problems else rows)


class _MonthPartitions:
    """The month partitions a direct usage load reaches, each created before its month's first
    row is written. Without it, a first load of history would fill the default partition: one
    index growing with the whole load (the import slows as it goes) and no month for retention
    to drop."""

    def __init__(self, date_index: int):
        self.date_index = date_index
        self.months = set(partitions.months())
        self.dates_seen: set[date] = set()  # a set lookup per row, not a date.replace()

    def missing(self, values: list[Any]) -> date | None:
        day = values[self.date_index]
        if day in self.dates_seen:
            return None
        self.dates_seen.add(day)
        month = day.replace(day=1)
        return None if month in self.months else month

    def create(self, cursor, month: date) -> None:
        partitions.ensure(month, month, cursor=cursor)
        self.months.add(month)


@dataclass(frozen=True)
class _Sink:
    """Where validated rows go: a COPY statement and how to shape each row for it, and the month
    partitions to create on the way (direct usage loads only)."""

    statement: Any
    row: Callable[[int, list[Any]], Sequence[Any]]
    partitions: _MonthPartitions | None = None


def _staged_row(line: int, values: list[Any]) -> tuple[Any, ...]:
    return (line, *values)


def _header_names(path: Path) -> list[str]:
    """The header's column names, as `_check_header` normalises them."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        # Blank lines before the header are skipped, as `_read_records` skips them.
        header = next((cells for cells in csv.reader(handle) if cells and cells != [""]), [])
    return [cell.strip().lower() for cell in header]


def _stage_file(
    cursor,
    kind: RecordKind,
    path: Path,
    context: _Context,
    progress: ProgressCallback | None,
    sink: _Sink,
) -> tuple[list[str], int]:
    """Validate one file record by record and COPY the valid ones into the sink."""
    name = path.name
    problems_before = len(context.problems)
    records = _read_records(path, context)
    header = next(records, None)
    if header is None:
        if len(context.problems) == problems_before:  # not already reported as undecodable
            context.add(name, 1, "(header)", "the file is empty: a header row is required")
        return [], 0
    names = _check_header(kind, name, header[1], context)
    if names is None:
        return [], 0

    columns = [kind.column(column_name) for column_name in names]
    ref_checks = reference_checks(kind, names, context.references)
    # Columns may come in any order: find the ids later files may refer to by name.
    id_index = names.index("external_id") if "external_id" in names else None
    account_index = names.index("account_external_id") if "account_external_id" in names else None
    width, rows, started = len(names), 0, time.perf_counter()
    with ExitStack() as open_copy:
        copy = open_copy.enter_context(cursor.copy(sink.statement))
        for line, cells in records:
            if len(cells) != width:
                context.add(name, line, "(row)", f"expected {width} values, found {len(cells)}")
                continue
            values, problems = kind.clean_values(columns, cells)
            for check in ref_checks:
                problems.extend(check(values))
            if problems:
                for column, message in problems:
                    context.add(name, line, column, message)
                if len(context.problems) - problems_before >= MAX_PROBLEMS_PER_FILE:
                    context.add(name, line, "(file)", "too many problems; stopped reading")
                    break
                continue
            rows += 1
            if kind.name == "accounts":
                context.references.account_ids.add(values[id_index])
            elif kind.name == "contacts":
                context.references.contact_accounts[values[id_index]] = values[account_index]
            month = sink.partitions.missing(values) if sink.partitions else None
            if month:  # the connection runs one statement at a time: end the COPY, go on after
                open_copy.close()
                sink.partitions.create(cursor, month)
                copy = open_copy.enter_context(cursor.copy(sink.statement))
            # Valid rows are written even after a problem, so that duplicate keys are still
            # found; the transaction is rolled back at the end anyway.
            copy.write_row(sink.row(line, values))
            if progress and rows % PROGRESS_EVERY == 0:
                progress(name, rows, time.perf_counter() - started)
    if progress and rows >= PROGRESS_EVERY:  # only large files get progress lines
        progress(name, rows, time.perf_counter() - started)
    return names, rows


def _read_records(path: Path, context: _Context) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) per CSV record; the header is line 1. Blank lines are skipped. Undecodable
    or malformed input becomes a problem at its line and ends the file. The file is streamed,
    never held in memory whole (a 50-million-row usage.csv is gigabytes)."""
    bad = _first_bad_byte(path)
    if bad is not None:
        offset, byte = bad
        with path.open("rb") as handle:
            prefix = handle.read(offset)
        line = _count_records(prefix.decode("utf-8-sig", errors="replace"))
        context.add(
            path.name,
            line,
            "(encoding)",
            f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8",
        )
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        line = 0
        try:
            for cells in reader:
                if not cells or cells == [""]:
                    continue
                line += 1
                yield line, cells
        except csv.Error as exc:
            context.add(path.name, line + 1, "(row)", f"malformed CSV: {exc}")


def _first_bad_byte(path: Path, chunk_bytes: int = 1 << 20) -> tuple[int, int] | None:
    """The offset and value of the file's first byte that is not UTF-8, read in chunks; None
    when the whole file decodes. Checked before any record is read, so that an undecodable
    file is reported alone, as one problem."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # of the chunk's first byte in the file
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, exc.object[exc.start]
            if not chunk:
                return None
            offset += len(chunk)


def _count_records(prefix: str) -> int:
    """The line (record number) on which the text after `prefix` starts."""
    try:
        records = sum(1 for cells in csv.reader(io.StringIO(prefix, newline="")) if cells)
    except csv.Error:  # the text before the bad byte is malformed too: count physical lines
        return prefix.count("\n") + 1
    return records + 1 if not prefix or prefix.endswith("\n") else max(records, 1)


def _check_header(
    kind: RecordKind, name: str, header: list[str], context: _Context
) -> list[str] | None:
    names = [cell.strip().lower() for cell in header]
    known = set(kind.column_names)
    ok = True
    for column in names:
        if column not in known:
            expected = ", ".join(kind.column_names)
            context.add(name, 1, column or "(empty)", f"unknown column (expected: {expected})")
            ok = False
    for column in {column for column in names if names.count(column) > 1}:
        context.add(name, 1, column, "appears more than once in the header")
        ok = False
    for column in kind.required_names:
        if column not in names:
            context.add(name, 1, column, "required column is missing from the header")
            ok = False
    return names if ok else None


def _check_duplicates(cursor, kind: RecordKind, path: Path, context: _Context) -> None:
    for lines, key in accounts_sql.duplicate_keys(cursor, kind):
        column, message = duplicate_problem(kind, f"line {lines[0]}", key)
        for line in lines[1:]:
            context.add(path.name, line, column, message)
