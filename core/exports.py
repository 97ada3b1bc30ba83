"""The one CSV writer of every export: a streaming response whose cells are safe to open in a
spreadsheet.

Rows are written as they are read (a generator over `.iterator()` rows), so an export of every
account costs the memory of one chunk, not of the file.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from audit import services as audit

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it text. Tab and carriage return too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


def formula_safe(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would run it as a formula; every
    CSV export of user text goes through this one rule."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: money rounded to cents, other numbers to two decimals, dates in
    ISO 8601 (times in the workspace zone), booleans as yes/no, None empty, and text that a
    spreadsheet would run as a formula prefixed with a quote. Numbers come from our own
    columns, never from user text, so a negative one stays a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return value
    return formula_safe(str(value))


class _Echo:
    """A write-only file for csv.writer: each row is handed straight to the response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The header and one line per row, each cell through `csv_cell`, produced as read."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(
    filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """The rows as a streamed CSV attachment named `filename`, recorded in the audit log with
    the request's filters (every export passes here, so none is left out)."""
    audit.record_export(filename)
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
