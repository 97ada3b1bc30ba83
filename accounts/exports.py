"""CSV export of the accounts list: the same rows as the page, safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from accounts.models import Account

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it text. Tab and carriage return too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    ("external_id", "External id"),
    ("name", "Account"),
    ("owner", "Owner"),
    ("segment", "Segment"),
    ("region", "Region"),
    ("lifecycle_stage", "Lifecycle stage"),
    ("mrr", "MRR"),
    ("arr", "ARR"),
    ("seats", "Seats"),
    ("health_score", "Health score"),
    ("health_band", "Health band"),
    ("health_change", "Health change (30 days)"),
    ("renewal_on", "Renewal date"),
    ("days_to_renewal", "Days to renewal"),
    ("nps", "NPS (180 days)"),
    ("open_tickets", "Open tickets"),
)


def csv_safe(value) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would run it as a formula.
    Numbers come from our own columns, never from user text, so a negative one stays a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return formula_safe(str(value))


def formula_safe(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would run it as a formula; every
    CSV export of user text goes through this one rule."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def row_values(account: Account) -> list[str]:
    owner = (account.owner.get_full_name() or account.owner.email) if account.owner else ""
    values = {key: getattr(account, key, None) for key, _ in COLUMNS}
    values["owner"] = owner
    return [csv_safe(values[key]) for key, _ in COLUMNS]


class _Echo:
    """A file-like object whose write returns the line, for a streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(accounts: Iterable[Account]) -> Iterator[str]:
    """The header and one line per account, produced as the rows are read."""
    writer = csv.writer(_Echo())
    yield writer.writerow([header for _, header in COLUMNS])
    for account in accounts:
        yield writer.writerow(row_values(account))
