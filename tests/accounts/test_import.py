"""`manage.py import_data DIR`: the CSV contract of kpi-spec section 2.

Every refused import is checked twice: for the exact `file:line: column: message` lines it prints,
and for writing nothing at all, not even the valid files of the same import.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.importer import loader
from accounts.models import Account, Contact, Contract, CostMonth, ImportLog, Ticket, UsageDaily
from core.workspace import workspace_zone
from surveys.models import SurveyResponse
from tests.conftest import ImportRun
from tests.factories import AccountFactory, ContactFactory, UsageDailyFactory, UserFactory

User = get_user_model()

# The valid background of most refusals: two accounts (one naming a new owner, who must not be
# created either) and a contact of each.
ACCOUNTS = """
    external_id,name,owner_email
    A1,Acme,new.owner@customer.example
    A2,Globex,
"""
CONTACTS = """
    external_id,account_external_id
    C1,A1
    C2,A2
"""


def csv(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def fresh_workspace_zone():
    """The importer caches the workspace zone; some tests change TIME_ZONE."""
    workspace_zone.cache_clear()
    yield
    workspace_zone.cache_clear()


def assert_refused(run: ImportRun, *expected: str) -> None:
    """The import failed, printed exactly these problems (each given by its start, in order) and
    wrote nothing at all."""
    assert run.error is not None, run.stdout
    shown = [problem[: len(start)] for problem, start in zip(run.problems, expected, strict=False)]
    assert shown == list(expected), run.problems
    assert len(run.problems) == len(expected), run.problems
    assert str(run.error) == (
        f"Import failed with {len(expected)} problem(s); nothing was written."
    )
    assert run.changed_counts == {}


def assert_succeeded(run: ImportRun) -> None:
    assert run.error is None, run.stderr
    assert run.problems == []


# One small bad file per rule of kpi-spec section 2: (file, content, expected problem starts).
RULES = {
    # Wrong types, for each kind of value.
    "date, not a date": (
        "accounts.csv",
        csv("external_id,name,created_on", "A1,Acme,", "A2,Globex,", "A3,Initech,01/02/2024"),
        ["accounts.csv:4: created_on: '01/02/2024' is not a date (YYYY-MM-DD)"],
    ),
    "date, not in the calendar": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", "K1,A1,2024-02-30,100"),
        ["contracts.csv:2: start_date: '2024-02-30' is not a valid calendar date"],
    ),
    "date, of a contact": (
        "contacts.csv",
        csv("external_id,account_external_id,left_on", "C1,A1,last week"),
        ["contacts.csv:2: left_on: 'last week' is not a date (YYYY-MM-DD)"],
    ),
    "timestamp, not ISO 8601": (
        "tickets.csv",
        csv("external_id,account_external_id,opened_at", "T1,A1,2024-03-01 9am"),
        ["tickets.csv:2: opened_at: '2024-03-01 9am' is not an ISO 8601 timestamp"],
    ),
    "timestamp, not in the calendar": (
        "surveys.csv",
        csv(
            "external_id,account_external_id,kind,score,responded_at",
            "S1,A1,nps,9,2024-02-30T10:00:00Z",
        ),
        ["surveys.csv:2: responded_at: '2024-02-30T10:00:00Z' is not a valid timestamp"],
    ),
    "integer, with a fraction": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr,seats", "K1,A1,2024-01-01,1,2.5"),
        ["contracts.csv:2: seats: '2.5' is not a whole number"],
    ),
    "integer, words": (
        "usage.csv",
        csv("account_external_id,user_id,date,feature,events", "A1,u1,2024-03-01,x,many"),
        ["usage.csv:2: events: 'many' is not a whole number"],
    ),
    "integer, sessions": (
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events,sessions",
            "A1,u1,2024-03-01,x,1,1.5",
        ),
        ["usage.csv:2: sessions: '1.5' is not a whole number"],
    ),
    "integer, score": (
        "surveys.csv",
        csv(
            "external_id,account_external_id,kind,score,responded_at",
            "S1,A1,nps,nine,2024-03-01T10:00:00Z",
        ),
        ["surveys.csv:2: score: 'nine' is not a whole number"],
    ),
    "decimal, with a thousands separator": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", 'K1,A1,2024-01-01,"1,000.00"'),
        ["contracts.csv:2: mrr: '1,000.00' is not an amount"],
    ),
    "decimal, one-time fee": (
        "contracts.csv",
        csv(
            "external_id,account_external_id,start_date,mrr,one_time_fee", "K1,A1,2024-01-01,1,ten"
        ),
        ["contracts.csv:2: one_time_fee: 'ten' is not an amount"],
    ),
    "decimal, with a currency sign": (
        "costs.csv",
        csv("month,sales_marketing_spend", "2024-01,$5000"),
        ["costs.csv:2: sales_marketing_spend: '$5000' is not an amount"],
    ),
    "decimal, minutes": (
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events,minutes",
            "A1,u1,2024-03-01,x,1,half",
        ),
        ["usage.csv:2: minutes: 'half' is not a number"],
    ),
    "boolean, of a contact": (
        "contacts.csv",
        csv("external_id,account_external_id,is_champion", "C1,A1,maybe"),
        ["contacts.csv:2: is_champion: 'maybe' is not a boolean (true/false, 1/0, yes/no)"],
    ),
    "boolean, of a ticket": (
        "tickets.csv",
        csv(
            "external_id,account_external_id,opened_at,resolved_on_first_contact",
            "T1,A1,2024-03-01T10:00:00Z,y",
        ),
        ["tickets.csv:2: resolved_on_first_contact: 'y' is not a boolean"],
    ),
    "month, out of range": (
        "costs.csv",
        csv("month,retention_spend", "2024-13,1"),
        ["costs.csv:2: month: '2024-13' is not a month (YYYY-MM)"],
    ),
    "month, a full date": (
        "costs.csv",
        csv("month,retention_spend", "2024-01-01,1"),
        ["costs.csv:2: month: '2024-01-01' is not a month (YYYY-MM)"],
    ),
    "email, of a contact": (
        "contacts.csv",
        csv("external_id,account_external_id,email", "C1,A1,ada at acme"),
        ["contacts.csv:2: email: 'ada at acme' is not an email address"],
    ),
    # Amounts and counts are never negative.
    "negative mrr": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", "K1,A1,2024-01-01,-5"),
        ["contracts.csv:2: mrr: must be >= 0, got -5"],
    ),
    "negative seats": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr,seats", "K1,A1,2024-01-01,5,-1"),
        ["contracts.csv:2: seats: must be >= 0, got -1"],
    ),
    "negative one-time fee": (
        "contracts.csv",
        csv(
            "external_id,account_external_id,start_date,mrr,one_time_fee",
            "K1,A1,2024-01-01,5,-0.50",
        ),
        ["contracts.csv:2: one_time_fee: must be >= 0, got -0.50"],
    ),
    "negative events": (
        "usage.csv",
        csv("account_external_id,user_id,date,feature,events", "A1,u1,2024-03-01,x,-3"),
        ["usage.csv:2: events: must be >= 0, got -3"],
    ),
    "negative minutes": (
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events,minutes",
            "A1,u1,2024-03-01,x,1,-1.5",
        ),
        ["usage.csv:2: minutes: must be >= 0, got -1.5"],
    ),
    "negative sessions": (
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events,sessions",
            "A1,u1,2024-03-01,x,1,-1",
        ),
        ["usage.csv:2: sessions: must be >= 0, got -1"],
    ),
    "negative sales and marketing spend": (
        "costs.csv",
        csv("month,sales_marketing_spend", "2024-01,-100"),
        ["costs.csv:2: sales_marketing_spend: must be >= 0, got -100"],
    ),
    "negative retention spend": (
        "costs.csv",
        csv("month,retention_spend", "2024-01,-1"),
        ["costs.csv:2: retention_spend: must be >= 0, got -1"],
    ),
    # Rules across the columns of one row.
    "contract ending before it starts": (
        "contracts.csv",
        csv(
            "external_id,account_external_id,start_date,end_date,mrr",
            "K1,A1,2024-02-01,2024-01-31,100",
        ),
        ["contracts.csv:2: end_date: must not be before start_date"],
    ),
    "ticket answered before it was opened": (
        "tickets.csv",
        csv(
            "external_id,account_external_id,opened_at,first_response_at",
            "T1,A1,2024-03-01T10:00:00Z,2024-03-01T09:59:59Z",
        ),
        ["tickets.csv:2: first_response_at: must not be before opened_at"],
    ),
    "ticket resolved before it was opened, as instants rather than wall-clock digits": (
        "tickets.csv",
        csv(
            "external_id,account_external_id,opened_at,resolved_at",
            "T1,A1,2024-03-01T10:00:00+01:00,2024-03-01T09:30:00+02:00",
        ),
        ["tickets.csv:2: resolved_at: must not be before opened_at"],
    ),
    "nps above 10": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,nps,11,2024-03-01"),
        ["surveys.csv:2: score: must be between 0 and 10 for nps, got 11"],
    ),
    "nps below 0": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,nps,-1,2024-03-01"),
        ["surveys.csv:2: score: must be between 0 and 10 for nps, got -1"],
    ),
    "csat below 1": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,csat,0,2024-03-01"),
        ["surveys.csv:2: score: must be between 1 and 5 for csat, got 0"],
    ),
    "csat above 5": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,csat,6,2024-03-01"),
        ["surveys.csv:2: score: must be between 1 and 5 for csat, got 6"],
    ),
    "ces below 1": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,ces,0,2024-03-01"),
        ["surveys.csv:2: score: must be between 1 and 7 for ces, got 0"],
    ),
    "ces above 7": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,ces,8,2024-03-01"),
        ["surveys.csv:2: score: must be between 1 and 7 for ces, got 8"],
    ),
    # Closed vocabularies.
    "unknown priority": (
        "tickets.csv",
        csv(
            "external_id,account_external_id,priority,opened_at",
            "T1,A1,critical,2024-03-01T10:00:00Z",
        ),
        ["tickets.csv:2: priority: 'critical' is not one of low, normal, high, urgent"],
    ),
    "unknown survey kind": (
        "surveys.csv",
        csv("external_id,account_external_id,kind,score,responded_at", "S1,A1,csi,3,2024-03-01"),
        ["surveys.csv:2: kind: 'csi' is not one of nps, csat, ces"],
    ),
    # The header.
    "required column missing from the header": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date", "K1,A1,2024-01-01"),
        ["contracts.csv:1: mrr: required column is missing from the header"],
    ),
    "unknown column (a typo) in the header": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr,seat", "K1,A1,2024-01-01,1,5"),
        [
            "contracts.csv:1: seat: unknown column (expected: external_id, account_external_id, "
            "plan, start_date, end_date, mrr, seats, one_time_fee)"
        ],
    ),
    "the same column twice in the header": (
        "costs.csv",
        csv("month,retention_spend,retention_spend", "2024-01,1,2"),
        ["costs.csv:1: retention_spend: appears more than once in the header"],
    ),
    "a file without header": (
        "costs.csv",
        csv("2024-01,100,20"),
        [
            "costs.csv:1: 2024-01: unknown column (expected: month, sales_marketing_spend, ",
            "costs.csv:1: 100: unknown column",
            "costs.csv:1: 20: unknown column",
            "costs.csv:1: month: required column is missing from the header",
        ],
    ),
    # Required values.
    "required value empty": (
        "accounts.csv",
        csv("external_id,name", "A1,Acme", "A2,Globex", "A3,  "),
        ["accounts.csv:4: name: is required"],
    ),
    "required value empty in usage": (
        "usage.csv",
        csv("account_external_id,user_id,date,feature,events", "A1,u1,2024-03-01,x,"),
        ["usage.csv:2: events: is required"],
    ),
    # References.
    "dangling account of a contact": (
        "contacts.csv",
        csv("external_id,account_external_id", "C1,A1", "C2,A2", "C3,nobody"),
        ["contacts.csv:4: account_external_id: unknown account 'nobody'"],
    ),
    "dangling account of a contract": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", "K1,nobody,2024-01-01,1"),
        ["contracts.csv:2: account_external_id: unknown account 'nobody'"],
    ),
    "dangling account of a ticket": (
        "tickets.csv",
        csv("external_id,account_external_id,opened_at", "T1,nobody,2024-03-01T10:00:00Z"),
        ["tickets.csv:2: account_external_id: unknown account 'nobody'"],
    ),
    "dangling account of usage": (
        "usage.csv",
        csv("account_external_id,user_id,date,feature,events", "nobody,u1,2024-03-01,x,1"),
        ["usage.csv:2: account_external_id: unknown account 'nobody'"],
    ),
    "dangling account of a survey": (
        "surveys.csv",
        csv(
            "external_id,account_external_id,kind,score,responded_at", "S1,nobody,nps,9,2024-03-01"
        ),
        ["surveys.csv:2: account_external_id: unknown account 'nobody'"],
    ),
    "dangling contact of a survey": (
        "surveys.csv",
        csv(
            "external_id,account_external_id,contact_external_id,kind,score,responded_at",
            "S1,A1,C9,nps,9,2024-03-01",
        ),
        ["surveys.csv:2: contact_external_id: unknown contact 'C9'"],
    ),
    "contact of another account in a survey": (
        "surveys.csv",
        csv(
            "external_id,account_external_id,contact_external_id,kind,score,responded_at",
            "S1,A1,C2,nps,9,2024-03-01",
        ),
        ["surveys.csv:2: contact_external_id: contact 'C2' belongs to account 'A2'"],
    ),
    "invalid owner email": (
        "accounts.csv",
        csv("external_id,name,owner_email", "A1,Acme,", "A2,Globex,", "A3,Initech,owner@"),
        ["accounts.csv:4: owner_email: 'owner@' is not an email address"],
    ),
    # Keys.
    "duplicate external id in a file, naming both lines": (
        "accounts.csv",
        csv("external_id,name", "A1,Acme", "A2,Globex", "A1,Acme again"),
        ["accounts.csv:4: external_id: duplicate of line 2 (A1); each key may appear once"],
    ),
    "duplicate month of costs": (
        "costs.csv",
        csv("month,retention_spend", "2024-01,1", "2024-02,1", "2024-01,2"),
        ["costs.csv:4: month: duplicate of line 2 (2024-01-01); each key may appear once"],
    ),
    # The shape of the file.
    "a row with too many values": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", "K1,A1,2024-01-01,1,extra"),
        ["contracts.csv:2: (row): expected 4 values, found 5"],
    ),
    "a row with too few values": (
        "contracts.csv",
        csv("external_id,account_external_id,start_date,mrr", "K1,A1,2024-01-01,1", "K2,A1"),
        ["contracts.csv:3: (row): expected 4 values, found 2"],
    ),
    "an unclosed quote": (
        "contracts.csv",
        csv("external_id,account_external_id,plan,start_date,mrr", 'K1,A1,"Pro,2024-01-01,1'),
        ["contracts.csv:2: (row): malformed CSV: "],
    ),
    "an empty file": (
        "costs.csv",
        "",
        ["costs.csv:1: (header): the file is empty: a header row is required"],
    ),
}


@pytest.mark.parametrize(("filename", "content", "expected"), RULES.values(), ids=RULES.keys())
def test_a_row_breaking_a_rule_is_reported_and_nothing_is_written(
    csv_dir, write_csv, run_import, filename, content, expected
):
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(csv_dir, "contacts.csv", CONTACTS)
    write_csv(csv_dir, filename, content)

    assert_refused(run_import(csv_dir), *expected)


def test_a_value_breaking_no_rule_of_the_same_shape_is_accepted(csv_dir, write_csv, run_import):
    """The counterpart of the refusals above: their boundaries are inside the rules."""
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(
        csv_dir,
        "contracts.csv",
        """
        external_id,account_external_id,start_date,end_date,mrr,seats,one_time_fee
        K1,A1,2024-01-01,2024-01-01,0,0,0
        """,
    )
    write_csv(
        csv_dir,
        "tickets.csv",
        """
        external_id,account_external_id,opened_at,first_response_at,resolved_at
        T1,A1,2024-03-01T10:00:00+01:00,2024-03-01T09:00:00Z,2024-03-01T11:30:00+02:00
        """,
    )
    write_csv(
        csv_dir,
        "surveys.csv",
        """
        external_id,account_external_id,kind,score,responded_at
        S1,A1,nps,0,2024-03-01
        S2,A1,nps,10,2024-03-01
        S3,A1,csat,1,2024-03-01
        S4,A1,csat,5,2024-03-01
        S5,A1,ces,1,2024-03-01
        S6,A1,ces,7,2024-03-01
        """,
    )

    assert_succeeded(run_import(csv_dir))
    assert Contract.objects.get().mrr == Decimal("0.00")
    assert SurveyResponse.objects.count() == 6


def test_a_survey_may_name_a_contact_already_in_the_database(csv_dir, write_csv, run_import):
    contact = ContactFactory(external_id="C7", account__external_id="A7")
    write_csv(
        csv_dir,
        "surveys.csv",
        """
        external_id,account_external_id,contact_external_id,kind,score,responded_at
        S1,A7,C7,nps,9,2024-03-01
        """,
    )

    assert_succeeded(run_import(csv_dir))
    assert SurveyResponse.objects.get().contact == contact


def test_a_contact_in_the_database_of_another_account_is_refused(csv_dir, write_csv, run_import):
    ContactFactory(external_id="C7", account__external_id="A7")
    AccountFactory(external_id="A8")
    write_csv(
        csv_dir,
        "surveys.csv",
        """
        external_id,account_external_id,contact_external_id,kind,score,responded_at
        S1,A8,C7,nps,9,2024-03-01
        """,
    )

    assert_refused(
        run_import(csv_dir),
        "surveys.csv:2: contact_external_id: contact 'C7' belongs to account 'A7'",
    )


def test_an_account_reference_is_valid_when_the_account_is_in_the_same_import(
    csv_dir, write_csv, run_import
):
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(
        csv_dir,
        "contracts.csv",
        """
        external_id,account_external_id,start_date,mrr
        K1,A2,2024-01-01,100
        """,
    )

    assert_succeeded(run_import(csv_dir))
    assert Contract.objects.get().account.name == "Globex"


def test_an_account_reference_is_valid_when_the_account_is_in_the_database(
    csv_dir, write_csv, run_import
):
    AccountFactory(external_id="OLD-1")
    write_csv(
        csv_dir,
        "tickets.csv",
        """
        external_id,account_external_id,opened_at
        T1,OLD-1,2024-03-01T10:00:00Z
        """,
    )

    assert_succeeded(run_import(csv_dir))
    assert Ticket.objects.get().account.external_id == "OLD-1"


def test_columns_may_come_in_any_order(csv_dir, write_csv, run_import):
    write_csv(
        csv_dir,
        "accounts.csv",
        """
        name,external_id
        Acme,A1
        """,
    )
    write_csv(
        csv_dir,
        "contacts.csv",
        """
        name,account_external_id,external_id
        Ada,A1,C1
        """,
    )
    write_csv(
        csv_dir,
        "surveys.csv",
        """
        score,kind,responded_at,contact_external_id,account_external_id,external_id
        9,nps,2024-03-01,C1,A1,S1
        """,
    )

    assert_succeeded(run_import(csv_dir))
    response = SurveyResponse.objects.get()
    assert (response.account.name, response.contact.name) == ("Acme", "Ada")


def test_a_file_in_another_encoding_is_reported_at_the_record_holding_the_first_bad_byte(
    csv_dir, write_csv, run_import
):
    write_csv(csv_dir, "contacts.csv", CONTACTS)
    write_csv(
        csv_dir,
        "accounts.csv",
        'external_id,name\nA1,"Acme\nWorks"\nA2,Globex\nA3,Café\n'.encode("latin-1"),
    )

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:4: (encoding): not valid UTF-8 (byte 0xe9); save the file as UTF-8",
        "contacts.csv:2: account_external_id: unknown account 'A1'",
        "contacts.csv:3: account_external_id: unknown account 'A2'",
    )


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 1 << 20])
def test_the_first_bad_byte_is_found_across_chunk_boundaries(tmp_path, chunk_bytes):
    """The file is checked in chunks, not read whole: a character cut by a chunk's end is
    still a character, and the offset is the file's, not the chunk's."""
    good = "name,Zoë,Łódź,日本\n".encode()
    path = tmp_path / "accounts.csv"
    path.write_bytes(good + b"Caf\xe9\n")
    assert loader._first_bad_byte(path, chunk_bytes) == (len(good) + 3, 0xE9)
    path.write_bytes(good + "é".encode()[:1])  # cut off at the end of the file
    assert loader._first_bad_byte(path, chunk_bytes) == (len(good), 0xC3)
    path.write_bytes(good)
    assert loader._first_bad_byte(path, chunk_bytes) is None


def test_a_byte_order_mark_and_windows_line_ends_are_accepted(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", "\ufeffexternal_id,name\r\nA1,Acme\r\n".encode("utf-8"))

    assert_succeeded(run_import(csv_dir))
    assert Account.objects.get().external_id == "A1"


def test_blank_lines_are_skipped(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", "external_id,name\n\nA1,Acme\n\n\nA2,Globex\n")

    assert_succeeded(run_import(csv_dir))
    assert Account.objects.count() == 2


def test_blank_lines_before_the_header_are_skipped(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", "\n\nexternal_id,name\nA1,Acme\n")
    write_csv(
        csv_dir,
        "usage.csv",
        "\naccount_external_id,user_id,date,feature,events\nA1,u,2024-03-01,x,1\n",
    )

    assert_succeeded(run_import(csv_dir))
    assert (Account.objects.count(), UsageDaily.objects.count()) == (1, 1)


def test_header_names_ignore_case_and_surrounding_spaces(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", "External_ID , Name\nA1,Acme\n")

    assert_succeeded(run_import(csv_dir))
    assert Account.objects.get().name == "Acme"


def test_line_numbers_count_records_not_physical_lines(csv_dir, write_csv, run_import):
    write_csv(
        csv_dir,
        "tickets.csv",
        """
        external_id,account_external_id,subject,opened_at
        T1,A1,"Question about
        invoices,
        three lines long",2024-03-01T10:00:00Z
        T2,A1,"Another ""quoted""
        question",2024-03-01T11:00:00Z
        T3,A1,Bad date,2024-03-32T10:00:00Z
        """,
    )
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)

    assert_refused(
        run_import(csv_dir),
        "tickets.csv:4: opened_at: '2024-03-32T10:00:00Z' is not a valid timestamp",
    )


def test_every_problem_of_every_file_is_reported_in_one_run(csv_dir, write_csv, run_import):
    write_csv(
        csv_dir,
        "accounts.csv",
        """
        external_id,name,created_on
        A1,Acme,2024-01-01
        A2,Globex,2024-13-01
        A3,,
        """,
    )
    write_csv(
        csv_dir,
        "contracts.csv",
        """
        external_id,account_external_id,start_date,end_date,mrr
        K1,A1,2024-02-01,,-10
        K2,A1,2024-02-01,2024-01-01,10
        K3,A1,2024-02-01,,10
        """,
    )
    write_csv(
        csv_dir,
        "tickets.csv",
        """
        external_id,account_external_id,priority,opened_at
        T1,A1,urgent,2024-03-01T10:00:00Z
        T2,A1,asap,yesterday
        """,
    )
    write_csv(csv_dir, "costs.csv", "month,retention_spend\n2024-1,5\n")

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:3: created_on: '2024-13-01' is not a valid calendar date",
        "accounts.csv:4: name: is required",
        "contracts.csv:2: mrr: must be >= 0, got -10",
        "contracts.csv:3: end_date: must not be before start_date",
        "tickets.csv:3: priority: 'asap' is not one of low, normal, high, urgent",
        "tickets.csv:3: opened_at: 'yesterday' is not an ISO 8601 timestamp",
        "costs.csv:2: month: '2024-1' is not a month (YYYY-MM)",
    )


def test_duplicate_keys_are_reported_alongside_problems_of_other_files(
    csv_dir, write_csv, run_import
):
    write_csv(csv_dir, "accounts.csv", "external_id,name,created_on\nA1,Acme,someday\n")
    write_csv(csv_dir, "costs.csv", "month,retention_spend\n2024-01,1\n2024-01,2\n")

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:2: created_on: 'someday' is not a date (YYYY-MM-DD)",
        "costs.csv:3: month: duplicate of line 2 (2024-01-01); each key may appear once",
    )


def test_a_problem_in_the_last_file_undoes_everything_the_earlier_files_wrote(
    full_import, write_csv, run_import
):
    AccountFactory(external_id="A1", name="Old name", segment="SMB")
    write_csv(full_import, "costs.csv", "month,retention_spend\n2024-01,1\n2024-02,-1\n")

    assert_refused(run_import(full_import), "costs.csv:3: retention_spend: must be >= 0, got -1")
    acme = Account.objects.get(external_id="A1")
    assert (acme.name, acme.segment, acme.owner) == ("Old name", "SMB", None)
    assert not User.objects.filter(email="new.owner@customer.example").exists()


def test_a_folder_without_any_known_file_is_refused(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "acounts.csv", ACCOUNTS)

    run = run_import(csv_dir)

    assert run.error is not None
    assert run.problems == [
        f"{csv_dir}: no import files found (expected any of accounts.csv, contacts.csv, "
        "contracts.csv, tickets.csv, usage.csv, surveys.csv, costs.csv)"
    ]
    assert run.changed_counts == {}


def test_a_path_that_is_not_a_folder_is_refused(csv_dir, run_import):
    run = run_import(csv_dir / "missing")

    assert str(run.error) == f"{csv_dir / 'missing'}: not a directory"


# A complete small import: every file, every column, the awkward values included.
FULL = {
    "accounts.csv": """
        external_id,name,segment,industry,region,owner_email,created_on,trial_started_on,converted_on,onboarded_on
        A1,Acme Corp,Enterprise,Retail,EMEA,New.Owner@Customer.example,2023-01-10,,,2023-02-20
        A2,"Globex, Inc.",,,,alice@northstar.example,,2024-03-01,,
        A3,Initech,SMB,,,,,,,
        """,
    "contacts.csv": """
        external_id,account_external_id,name,email,title,is_champion,left_on
        C1,A1,Ada Lovelace,Ada@Acme.example,VP Operations,true,
        C2,A1,Charles Babbage,,,0,2024-05-31
        C3,A2,Hank Scorpio,,,YES,
        C4,A2,Frank Grimes,,,no,
        C5,A3,,,,1,
        C6,A3,,,,False,
        C7,A3,,,,,
        """,
    "contracts.csv": """
        external_id,account_external_id,plan,start_date,end_date,mrr,seats,one_time_fee
        K1,A1,Enterprise,2023-02-01,2024-01-31,5000,50,2500.005
        K2,A1,Enterprise,2024-02-01,,6200.5,,
        """,
    "tickets.csv": '''
        external_id,account_external_id,subject,priority,opened_at,first_response_at,resolved_at,resolved_on_first_contact
        T1,A1,"Fails, ""again""",HIGH,2024-03-01T09:15Z,2024-03-01T10:00Z,2024-03-02T16:30Z,false
        T2,A2,"Question about
        invoices",,2024-03-01T23:30:00-05:00,,,
        ''',
    "usage.csv": """
        account_external_id,user_id,date,feature,events,minutes,sessions
        A1,u-1,2024-03-01,dashboards,42,35.5,3
        A1,u-1,2024-03-01,reports,7,12,1
        A2,u-9,2024-03-01,dashboards,0,,
        """,
    "surveys.csv": """
        external_id,account_external_id,contact_external_id,kind,score,comment,responded_at
        S1,A1,C1,nps,9,"Great support, fast answers.",2024-03-05T10:00:00Z
        S2,A2,,CSAT,1,,2024-03-06T08:30:00+01:00
        S3,A1,C2,ces,7,,2024-03-07 12:00:00
        """,
    "costs.csv": """
        month,sales_marketing_spend,retention_spend
        2024-01,42000,8000.5
        2024-02,,
        """,
}


@pytest.fixture
def full_import(csv_dir, write_csv, alice):
    for name, content in FULL.items():
        write_csv(csv_dir, name, content)
    return csv_dir


def test_a_full_import_stores_every_file(full_import, run_import, alice):
    run = run_import(full_import)

    assert_succeeded(run)
    acme = Account.objects.get(external_id="A1")
    assert (acme.name, acme.segment, acme.industry, acme.region) == (
        "Acme Corp",
        "Enterprise",
        "Retail",
        "EMEA",
    )
    assert (acme.created_on, acme.trial_started_on, acme.onboarded_on) == (
        date(2023, 1, 10),
        None,
        date(2023, 2, 20),
    )
    # A paying contract that started long ago: the import derives the lifecycle stage.
    assert acme.lifecycle_stage == "active"
    globex = Account.objects.get(external_id="A2")
    assert (globex.name, globex.segment, globex.created_on) == ("Globex, Inc.", "", None)
    assert globex.lifecycle_stage == "trial"
    assert Account.objects.get(external_id="A3").lifecycle_stage == "prospect"


def test_an_owner_email_creates_a_user_without_a_usable_password(full_import, run_import):
    assert_succeeded(run_import(full_import))

    owner = Account.objects.get(external_id="A1").owner
    assert owner.email == "new.owner@customer.example"
    assert not owner.has_usable_password()
    assert Account.objects.get(external_id="A3").owner is None


def test_an_owner_email_names_an_existing_user_whatever_its_case(csv_dir, write_csv, run_import):
    carol = UserFactory(username="carol", email="Carol.Smith@Northstar.example")
    users = User.objects.count()
    write_csv(
        csv_dir,
        "accounts.csv",
        "external_id,name,owner_email\nA1,Acme,CAROL.smith@northstar.EXAMPLE\n",
    )

    assert_succeeded(run_import(csv_dir))
    assert Account.objects.get().owner == carol
    assert User.objects.count() == users


def test_an_import_stores_contacts_with_booleans_in_every_spelling(full_import, run_import):
    assert_succeeded(run_import(full_import))

    champions = dict(Contact.objects.values_list("external_id", "is_champion"))
    assert champions == {
        "C1": True,
        "C2": False,
        "C3": True,
        "C4": False,
        "C5": True,
        "C6": False,
        "C7": False,  # empty: the column does not take null
    }
    ada = Contact.objects.get(external_id="C1")
    assert (ada.account.external_id, ada.name, ada.email, ada.title, ada.left_on) == (
        "A1",
        "Ada Lovelace",
        "ada@acme.example",
        "VP Operations",
        None,
    )
    assert Contact.objects.get(external_id="C2").left_on == date(2024, 5, 31)
    assert Contact.objects.get(external_id="C5").name == ""


def test_an_import_stores_money_as_decimals_with_two_places(full_import, run_import):
    assert_succeeded(run_import(full_import))

    first, second = Contract.objects.order_by("external_id")
    assert (first.mrr, first.seats, first.one_time_fee) == (
        Decimal("5000.00"),
        50,
        Decimal("2500.01"),  # rounded half-up to cents
    )
    assert (first.start_date, first.end_date) == (date(2023, 2, 1), date(2024, 1, 31))
    assert str(second.mrr) == "6200.50"
    assert (second.end_date, second.seats, second.one_time_fee, second.plan) == (
        None,
        None,
        None,
        "Enterprise",
    )
    amounts = [
        first.mrr,
        first.one_time_fee,
        second.mrr,
        *CostMonth.objects.filter(month=date(2024, 1, 1))
        .values_list("sales_marketing_spend", "retention_spend")
        .get(),
    ]
    assert {amount.as_tuple().exponent for amount in amounts} == {-2}
    costs = list(
        CostMonth.objects.order_by("month").values_list(
            "month", "sales_marketing_spend", "retention_spend"
        )
    )
    assert costs == [
        (date(2024, 1, 1), Decimal("42000.00"), Decimal("8000.50")),
        (date(2024, 2, 1), None, None),
    ]


def test_an_import_stores_tickets_with_utc_timestamps(full_import, run_import):
    assert_succeeded(run_import(full_import))

    first = Ticket.objects.get(external_id="T1")
    assert (first.subject, first.priority, first.resolved_on_first_contact) == (
        'Fails, "again"',
        "high",
        False,
    )
    assert first.opened_at == datetime(2024, 3, 1, 9, 15, tzinfo=UTC)
    assert first.first_response_at == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert first.resolved_at == datetime(2024, 3, 2, 16, 30, tzinfo=UTC)
    second = Ticket.objects.get(external_id="T2")
    assert (second.subject, second.priority) == ("Question about\ninvoices", "")
    assert second.opened_at == datetime(2024, 3, 2, 4, 30, tzinfo=UTC)
    assert (second.first_response_at, second.resolved_at, second.resolved_on_first_contact) == (
        None,
        None,
        None,
    )


def test_an_import_stores_usage_and_surveys(full_import, run_import):
    assert_succeeded(run_import(full_import))

    usage = list(
        UsageDaily.objects.order_by("account__external_id", "feature").values_list(
            "account__external_id", "user_id", "date", "feature", "events", "minutes", "sessions"
        )
    )
    assert usage == [
        ("A1", "u-1", date(2024, 3, 1), "dashboards", 42, 35.5, 3),
        ("A1", "u-1", date(2024, 3, 1), "reports", 7, 12.0, 1),
        ("A2", "u-9", date(2024, 3, 1), "dashboards", 0, None, None),
    ]
    surveys = list(
        SurveyResponse.objects.order_by("external_id").values_list(
            "external_id",
            "account__external_id",
            "contact__external_id",
            "kind",
            "score",
            "comment",
            "responded_at",
        )
    )
    assert surveys == [
        (
            "S1",
            "A1",
            "C1",
            "nps",
            9,
            "Great support, fast answers.",
            datetime(2024, 3, 5, 10, tzinfo=UTC),
        ),
        ("S2", "A2", None, "csat", 1, "", datetime(2024, 3, 6, 7, 30, tzinfo=UTC)),
        ("S3", "A1", "C2", "ces", 7, "", datetime(2024, 3, 7, 12, tzinfo=UTC)),
    ]


def test_the_command_prints_a_summary_with_rows_per_file(full_import, run_import):
    run = run_import(full_import)

    assert_succeeded(run)
    lines = run.stdout.splitlines()
    assert lines[:7] == [
        "accounts.csv: 3 rows, 3 inserted or changed",
        "contacts.csv: 7 rows, 7 inserted or changed",
        "contracts.csv: 2 rows, 2 inserted or changed",
        "tickets.csv: 2 rows, 2 inserted or changed",
        "usage.csv: 3 rows, 3 inserted or changed",
        "surveys.csv: 3 rows, 3 inserted or changed",
        "costs.csv: 2 rows, 2 inserted or changed",
    ]
    assert lines[7].startswith("Imported 22 rows in ")
    assert dict(ImportLog.objects.values_list("kind", "rows")) == {
        "accounts": 3,
        "contacts": 7,
        "contracts": 2,
        "tickets": 2,
        "usage": 3,
        "surveys": 3,
        "costs": 2,
    }


DATA_MODELS = (Account, Contact, Contract, Ticket, UsageDaily, SurveyResponse, CostMonth, User)


def table_contents() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in DATA_MODELS}


def test_importing_the_same_folder_twice_changes_nothing(full_import, run_import):
    assert_succeeded(run_import(full_import))
    before = table_contents()

    second = run_import(full_import)

    assert_succeeded(second)
    assert table_contents() == before
    assert all(line.endswith(" 0 inserted or changed") for line in second.stdout.splitlines()[:7])


def test_a_changed_value_updates_that_row_only(full_import, write_csv, run_import):
    assert_succeeded(run_import(full_import))
    before = table_contents()
    write_csv(
        full_import,
        "contracts.csv",
        """
        external_id,account_external_id,plan,start_date,end_date,mrr,seats,one_time_fee
        K1,A1,Enterprise,2023-02-01,2024-01-31,5000,50,2500.005
        K2,A1,Enterprise,2024-02-01,,7000,,
        """,
    )

    run = run_import(full_import)

    assert_succeeded(run)
    assert "contracts.csv: 2 rows, 1 inserted or changed" in run.stdout.splitlines()
    after = table_contents()
    changed = [row for row in after["Contract"] if row not in before["Contract"]]
    assert [(row["external_id"], row["mrr"]) for row in changed] == [("K2", Decimal("7000.00"))]
    assert {name: rows for name, rows in after.items() if name != "Contract"} == {
        name: rows for name, rows in before.items() if name != "Contract"
    }


def test_a_new_row_in_a_second_import_is_added(full_import, write_csv, run_import):
    assert_succeeded(run_import(full_import))
    write_csv(full_import, "costs.csv", "month,retention_spend\n2024-03,10\n")

    assert_succeeded(run_import(full_import))
    assert list(CostMonth.objects.order_by("month").values_list("month", flat=True)) == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]


def test_a_file_omitting_an_optional_column_keeps_its_stored_values(
    full_import, write_csv, run_import
):
    assert_succeeded(run_import(full_import))
    acme_before = Account.objects.filter(external_id="A1").values().get()
    write_csv(
        full_import,
        "accounts.csv",
        """
        external_id,name
        A1,Acme Corporation
        """,
    )
    write_csv(full_import, "costs.csv", "month,retention_spend\n2024-01,9000\n")

    assert_succeeded(run_import(full_import))
    acme_after = Account.objects.filter(external_id="A1").values().get()
    assert acme_after == {**acme_before, "name": "Acme Corporation"}
    assert CostMonth.objects.get(month=date(2024, 1, 1)).sales_marketing_spend == Decimal(
        "42000.00"
    )
    assert CostMonth.objects.get(month=date(2024, 1, 1)).retention_spend == Decimal("9000.00")


def test_an_empty_optional_cell_in_a_second_import_clears_the_stored_value(
    full_import, write_csv, run_import
):
    assert_succeeded(run_import(full_import))
    write_csv(full_import, "accounts.csv", "external_id,name,owner_email,segment\nA1,Acme,,\n")

    assert_succeeded(run_import(full_import))
    acme = Account.objects.get(external_id="A1")
    assert (acme.owner, acme.segment) == (None, "")


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def import_ticket_opened_at(csv_dir, write_csv, run_import, opened_at: str) -> datetime:
    AccountFactory(external_id="A1")
    write_csv(
        csv_dir,
        "tickets.csv",
        f"external_id,account_external_id,opened_at\nT1,A1,{opened_at}\n",
    )
    assert_succeeded(run_import(csv_dir))
    return Ticket.objects.get().opened_at


@pytest.mark.parametrize(
    ("opened_at", "stored"),
    [
        ("2024-03-01T23:30:00", datetime(2024, 3, 2, 4, 30, tzinfo=UTC)),  # EST, UTC-5
        ("2024-07-01 12:00", datetime(2024, 7, 1, 16, 0, tzinfo=UTC)),  # EDT, UTC-4
        ("2024-03-01", datetime(2024, 3, 1, 5, 0, tzinfo=UTC)),  # local midnight
        ("2024-03-01T23:30:00Z", datetime(2024, 3, 1, 23, 30, tzinfo=UTC)),
        ("2024-03-01T23:30:00+01:00", datetime(2024, 3, 1, 22, 30, tzinfo=UTC)),
    ],
)
def test_a_timestamp_without_offset_is_in_the_workspace_time_zone(
    new_york, csv_dir, write_csv, run_import, opened_at, stored
):
    assert import_ticket_opened_at(csv_dir, write_csv, run_import, opened_at) == stored


@pytest.mark.parametrize(
    ("opened_at", "stored"),
    [
        ("2024-03-01T23:30:00-05:00", datetime(2024, 3, 2, 4, 30, tzinfo=UTC)),
        ("2024-03-01T23:30:00-0500", datetime(2024, 3, 2, 4, 30, tzinfo=UTC)),
        ("2024-03-01T23:30:00Z", datetime(2024, 3, 1, 23, 30, tzinfo=UTC)),
        ("2024-03-01T23:30:00z", datetime(2024, 3, 1, 23, 30, tzinfo=UTC)),
        ("2024-03-01T23:30:00.250+00:00", datetime(2024, 3, 1, 23, 30, 0, 250000, tzinfo=UTC)),
        ("2024-03-01T23:30:00", datetime(2024, 3, 1, 23, 30, tzinfo=UTC)),  # workspace is UTC
    ],
)
def test_a_timestamp_with_an_offset_is_stored_as_that_instant(
    csv_dir, write_csv, run_import, opened_at, stored
):
    assert import_ticket_opened_at(csv_dir, write_csv, run_import, opened_at) == stored


USAGE = """
    account_external_id,user_id,date,feature,events,minutes,sessions
    A1,u-1,2024-03-01,dashboards,42,35.5,3
    A1,u-1,2024-03-01,reports,7,,
    A1,u-2,2024-03-02,dashboards,0,0,0
    A2,u-1,2024-03-01,dashboards,1,1.25,1
"""


def usage_rows(*, exclude_account: str | None = None) -> list[tuple]:
    rows = UsageDaily.objects.exclude(account__external_id=exclude_account)
    return list(
        rows.order_by("account__external_id", "user_id", "date", "feature").values_list(
            "account__external_id", "user_id", "date", "feature", "events", "minutes", "sessions"
        )
    )


@pytest.fixture
def staged_kinds(monkeypatch) -> list[str]:
    """The kinds that went through the staging table (the others were copied directly)."""
    kinds: list[str] = []
    original = loader._load_through_staging

    def spy(cursor, kind, *args):
        kinds.append(kind.name)
        return original(cursor, kind, *args)

    monkeypatch.setattr(loader, "_load_through_staging", spy)
    return kinds


def test_usage_copied_into_an_empty_table_equals_usage_merged_into_a_full_one(
    csv_dir, write_csv, run_import, staged_kinds
):
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(csv_dir, "usage.csv", USAGE)
    assert_succeeded(run_import(csv_dir))
    assert staged_kinds == ["accounts"]  # usage took the direct COPY
    copied = usage_rows()
    UsageDaily.objects.all().delete()
    UsageDailyFactory(account__external_id="OTHER")

    run = run_import(csv_dir)

    assert_succeeded(run)
    assert staged_kinds == ["accounts", "accounts", "usage"]
    assert "usage.csv: 4 rows, 4 inserted or changed" in run.stdout.splitlines()
    assert usage_rows(exclude_account="OTHER") == copied
    assert copied[1] == ("A1", "u-1", date(2024, 3, 1), "reports", 7, None, None)


@pytest.mark.parametrize("table", ["empty", "not empty"])
def test_a_load_of_past_months_puts_every_row_in_its_months_partition(
    csv_dir, write_csv, run_import, staged_kinds, table
):
    """Not the default partition: it would grow one index with the whole load and leave
    retention no month to drop (both the direct COPY and the staged upsert)."""
    if table == "not empty":
        UsageDailyFactory(account__external_id="OTHER", date=date(2016, 1, 5))
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    days = [date(2016, 11, 30), date(2016, 12, 1), date(2017, 2, 14), date(2016, 11, 2)]
    write_csv(
        csv_dir,
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events",
            *(f"A1,u-{n},{day},dashboards,1" for n, day in enumerate(days)),
        ),
    )

    assert_succeeded(run_import(csv_dir))

    assert ("usage" in staged_kinds) == (table == "not empty")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM accounts_usagedaily "
            "WHERE date >= '2016-11-01' GROUP BY 1 ORDER BY 1"
        )
        placed = cursor.fetchall()
    assert placed == [
        ("accounts_usagedaily_p201611", 2),
        ("accounts_usagedaily_p201612", 1),
        ("accounts_usagedaily_p201702", 1),
    ]


def test_usage_with_a_duplicate_key_into_an_empty_table_reports_the_lines(
    csv_dir, write_csv, run_import
):
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(
        csv_dir,
        "usage.csv",
        """
        account_external_id,user_id,date,feature,events
        A1,u-1,2024-03-01,dashboards,1
        A1,u-2,2024-03-01,dashboards,1
        A1,u-1,2024-03-01,dashboards,2
        """,
    )

    assert_refused(
        run_import(csv_dir),
        "usage.csv:4: account_external_id, user_id, date, feature: duplicate of line 2 "
        "(A1, u-1, 2024-03-01, dashboards); each key may appear once",
    )


def test_usage_with_a_duplicate_key_and_a_bad_row_reports_each_problem_once(
    csv_dir, write_csv, run_import
):
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    # Enough rows after the duplicate for the database to see it while the file is being read.
    rows = [f"A1,u-{n},2024-03-01,dashboards,1" for n in range(2000)]
    write_csv(
        csv_dir,
        "usage.csv",
        csv(
            "account_external_id,user_id,date,feature,events",
            "A1,u-0,2024-03-01,dashboards,1",
            *rows,
            "A1,u-x,2024-03-01,dashboards,-1",
        ),
    )

    run = run_import(csv_dir)

    assert run.error is not None
    assert run.problems.count("usage.csv:2003: events: must be >= 0, got -1") == 1, run.problems
    assert run.changed_counts == {}


@pytest.mark.parametrize("table", ["empty", "not empty"])
def test_usage_problems_are_the_same_on_the_direct_and_the_staged_path(
    csv_dir, write_csv, run_import, table
):
    if table == "not empty":
        UsageDailyFactory()
    write_csv(csv_dir, "accounts.csv", ACCOUNTS)
    write_csv(
        csv_dir,
        "usage.csv",
        """
        account_external_id,user_id,date,feature,events,minutes,sessions
        A1,u-1,2024-03-01,dashboards,1,,
        A9,u-1,2024-03-01,dashboards,1,,
        A1,u-1,2024-03-02,dashboards,-1,x,
        A1,u-1,2024-03-03,dashboards,1,,1,
        """,
    )

    assert_refused(
        run_import(csv_dir),
        "usage.csv:3: account_external_id: unknown account 'A9'",
        "usage.csv:4: events: must be >= 0, got -1",
        "usage.csv:4: minutes: 'x' is not a number",
        "usage.csv:5: (row): expected 7 values, found 8",
    )
