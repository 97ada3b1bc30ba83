"""Bulk upserts: the import's validator judges every item, with the import's messages; a request
with any invalid item writes nothing; upserts by external_id are idempotent."""

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.importer.batch import cell_text
from accounts.models import Account, Contact, Contract, ImportLog, LifecycleStage, Ticket
from surveys.models import SurveyResponse
from tests.api.conftest import bearer, post_items, problems
from tests.conftest import table_counts
from tests.factories import AccountFactory, ContactFactory, ContractFactory, UserFactory

FILES = {
    "accounts": "accounts.csv",
    "contacts": "contacts.csv",
    "contracts": "contracts.csv",
    "tickets": "tickets.csv",
    "survey-responses": "surveys.csv",
}
CONTRACT = {"external_id": "K1", "account_external_id": "A1", "start_date": "2024-01-01",
            "mrr": 100}  # fmt: skip
TICKET = {"external_id": "T1", "account_external_id": "A1", "opened_at": "2024-03-01T09:00:00Z"}
SURVEY = {"external_id": "S1", "account_external_id": "A1", "kind": "nps", "score": 9,
          "responded_at": "2024-03-01T12:00:00Z"}  # fmt: skip

# (endpoint, item, field, message): every rule of kpi-spec section 2 a request can break.
RULES = [
    ("accounts", {"external_id": "X", "name": None}, "name", "is required"),
    ("accounts", {"external_id": None, "name": "X"}, "external_id", "is required"),
    ("accounts", {"external_id": "X", "name": "x" * 256}, "name",
     "longer than 255 characters (256)"),
    ("accounts", {"external_id": "X", "name": "X", "owner_email": "not-an-email"},
     "owner_email", "'not-an-email' is not an email address"),
    ("accounts", {"external_id": "X", "name": "X", "created_on": "2024-02-30"},
     "created_on", "'2024-02-30' is not a valid calendar date"),
    ("accounts", {"external_id": "X", "name": "X", "converted_on": "01/02/2024"},
     "converted_on", "'01/02/2024' is not a date (YYYY-MM-DD)"),
    ("accounts", {"external_id": "X", "name": "Nul\u0000"}, "name",
     "contains a NUL character, which cannot be stored"),
    ("contacts", {"external_id": "C", "account_external_id": "nobody"},
     "account_external_id", "unknown account 'nobody'"),
    ("contacts", {"external_id": "C", "account_external_id": "A1", "is_champion": "maybe"},
     "is_champion", "'maybe' is not a boolean (true/false, 1/0, yes/no)"),
    ("contacts", {"external_id": "C", "account_external_id": "A1", "email": "a@"},
     "email", "'a@' is not an email address"),
    ("contracts", {**CONTRACT, "mrr": -10}, "mrr", "must be >= 0, got -10"),
    ("contracts", {**CONTRACT, "mrr": "ten"}, "mrr", "'ten' is not an amount"),
    ("contracts", {**CONTRACT, "mrr": 1e15}, "mrr",
     "1000000000000000.0 is too large (at most 999999999999.99)"),
    ("contracts", {**CONTRACT, "mrr": None}, "mrr", "is required"),
    ("contracts", {**CONTRACT, "seats": -1}, "seats", "must be >= 0, got -1"),
    ("contracts", {**CONTRACT, "seats": 2.5}, "seats", "'2.5' is not a whole number"),
    ("contracts", {**CONTRACT, "one_time_fee": -0.01}, "one_time_fee",
     "must be >= 0, got -0.01"),
    ("contracts", {**CONTRACT, "start_date": None}, "start_date", "is required"),
    ("contracts", {**CONTRACT, "end_date": "2023-12-31"}, "end_date",
     "must not be before start_date"),
    ("tickets", {**TICKET, "priority": "critical"}, "priority",
     "'critical' is not one of low, normal, high, urgent"),
    ("tickets", {**TICKET, "opened_at": "yesterday"}, "opened_at",
     "'yesterday' is not an ISO 8601 timestamp"),
    ("tickets", {**TICKET, "first_response_at": "2024-03-01T08:59:59Z"}, "first_response_at",
     "must not be before opened_at"),
    ("tickets", {**TICKET, "resolved_at": "2024-02-29T10:00:00Z"}, "resolved_at",
     "must not be before opened_at"),
    ("tickets", {**TICKET, "resolved_on_first_contact": "sometimes"},
     "resolved_on_first_contact", "'sometimes' is not a boolean (true/false, 1/0, yes/no)"),
    ("survey-responses", {**SURVEY, "score": 11}, "score",
     "must be between 0 and 10 for nps, got 11"),
    ("survey-responses", {**SURVEY, "kind": "csat", "score": 0}, "score",
     "must be between 1 and 5 for csat, got 0"),
    ("survey-responses", {**SURVEY, "kind": "ces", "score": 8}, "score",
     "must be between 1 and 7 for ces, got 8"),
    ("survey-responses", {**SURVEY, "kind": "star"}, "kind",
     "'star' is not one of nps, csat, ces"),
    ("survey-responses", {**SURVEY, "score": 9.5}, "score", "'9.5' is not a whole number"),
    ("survey-responses", {**SURVEY, "contact_external_id": "C2"}, "contact_external_id",
     "contact 'C2' belongs to account 'A2'"),
    ("survey-responses", {**SURVEY, "contact_external_id": "ghost"}, "contact_external_id",
     "unknown contact 'ghost'"),
    ("survey-responses", {**SURVEY, "responded_at": None}, "responded_at", "is required"),
]  # fmt: skip


@pytest.fixture
def references(db):
    """Account A1, and contact C2 of account A2, for the items to point at."""
    AccountFactory(external_id="A1")
    ContactFactory(external_id="C2", account=AccountFactory(external_id="A2"))


def csv_text(item: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(item.keys())
    writer.writerow(cell_text(value) for value in item.values())
    return out.getvalue()


@pytest.mark.parametrize(
    ("path", "item", "field", "message"),
    RULES,
    ids=[f"{path}-{field}-{message[:30]}" for path, _i, field, message in RULES],
)
def test_every_rule_answers_422_with_the_imports_message_and_writes_nothing(
    client, key, references, csv_dir, write_csv, run_import, path, item, field, message
):
    before = table_counts()
    response = post_items(client, path, [item], key)
    assert problems(response) == [(0, field, message)]
    assert response.json()["detail"] == "1 problem(s); nothing was written."
    assert table_counts() == before
    # The import says the same about the same value, on the record's line (2).
    write_csv(csv_dir, FILES[path], csv_text(item))
    assert run_import(csv_dir).problems == [f"{FILES[path]}:2: {field}: {message}"]


def test_every_problem_of_every_item_is_reported_with_its_index(client, key, references):
    items = [
        {**CONTRACT, "external_id": "ok-1"},
        {**CONTRACT, "external_id": "bad-1", "mrr": -1, "seats": "many"},
        {**CONTRACT, "external_id": "ok-2"},
        {**CONTRACT, "external_id": "bad-2", "account_external_id": "ghost"},
    ]
    response = post_items(client, "contracts", items, key)
    assert problems(response) == [
        (1, "mrr", "must be >= 0, got -1"),
        (1, "seats", "'many' is not a whole number"),
        (3, "account_external_id", "unknown account 'ghost'"),
    ]
    assert response.json()["detail"] == "3 problem(s); nothing was written."
    assert not Contract.objects.exists()


def test_a_key_given_twice_in_one_request_is_refused_like_a_duplicate_line(client, key, references):
    items = [CONTRACT, {**CONTRACT, "mrr": 200}, {**CONTRACT, "external_id": "K2"}]
    assert problems(post_items(client, "contracts", items, key)) == [
        (1, "external_id", "duplicate of item 0 (K1); each key may appear once")
    ]


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"external_id": "X", "name": "X", "segmnt": "SMB"}, "segmnt",
         "unknown field (expected: external_id, name, segment, industry, region, owner_email, "
         "created_on, trial_started_on, converted_on, onboarded_on, parent_external_id)"),
        ({"external_id": "X", "name": ["A", "B"]}, "name", "must be a single value, not a list"),
        ({"external_id": {"id": 1}, "name": "X"}, "external_id",
         "must be a single value, not an object"),
        ("X", "(item)", "must be an object of the record's fields"),
    ],
)  # fmt: skip
def test_what_json_can_say_and_a_file_cannot_is_refused_too(client, key, item, field, message):
    assert problems(post_items(client, "accounts", [item], key)) == [(0, field, message)]


NOT_AN_ENVELOPE = 'must be an object {"items": [...]} and nothing else'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"items": []}, "must hold 1 to 1,000 items, got 0"),
        ({"items": [{"external_id": str(n), "name": "X"} for n in range(1001)]},
         "must hold 1 to 1,000 items, got 1,001"),
        ([{"external_id": "X", "name": "X"}], NOT_AN_ENVELOPE),
        ({"items": [], "extra": 1}, NOT_AN_ENVELOPE),
    ],
)  # fmt: skip
def test_a_body_of_the_wrong_shape_or_size_is_refused(client, key, body, message):
    response = client.post(
        "/api/v1/accounts", data=json.dumps(body), content_type="application/json",
        headers=bearer(key),
    )  # fmt: skip
    assert problems(response)[0][2] == message
    assert not Account.objects.exists()


def test_a_body_that_is_not_json_gets_400(client, key):
    response = client.post(
        "/api/v1/accounts", data="{items: [", content_type="application/json", headers=bearer(key)
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON: ")


def test_a_body_that_is_not_sent_as_json_gets_415(client, key):
    response = client.post("/api/v1/accounts", data={"items": "x"}, headers=bearer(key))
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "Send the body as JSON, with Content-Type: application/json."
    )


def test_nan_is_not_a_number_here(client, key, references):
    body = '{"items": [{"external_id": "K1", "account_external_id": "A1", "mrr": NaN}]}'
    response = client.post(
        "/api/v1/contracts", data=body, content_type="application/json", headers=bearer(key)
    )
    assert response.status_code == 400


def test_valid_items_are_stored_with_json_types_or_the_imports_spellings(client, key, references):
    contracts = [
        {**CONTRACT, "mrr": 1200.5, "seats": 10, "end_date": "2024-12-31", "one_time_fee": "99"},
        {**CONTRACT, "external_id": "K2", "mrr": "300.456", "plan": None},
    ]
    contacts = [
        {"external_id": "C1", "account_external_id": "A1", "is_champion": True},
        {"external_id": "C3", "account_external_id": "A1", "is_champion": "yes"},
        {"external_id": "C4", "account_external_id": "A1", "is_champion": 0},
    ]
    assert post_items(client, "contracts", contracts, key).json() == {
        "kind": "contracts",
        "received": 2,
        "written": 2,
    }
    assert post_items(client, "contacts", contacts, key).status_code == 200
    k1, k2 = Contract.objects.order_by("external_id")
    assert (k1.mrr, k1.seats, k1.end_date, k1.one_time_fee) == (
        Decimal("1200.50"), 10, date(2024, 12, 31), Decimal("99.00"),
    )  # fmt: skip
    assert (k2.mrr, k2.plan) == (Decimal("300.46"), "")
    assert dict(Contact.objects.filter(account__external_id="A1").values_list(
        "external_id", "is_champion")) == {"C1": True, "C3": True, "C4": False}  # fmt: skip


def test_tickets_and_survey_responses_are_stored(client, key, references):
    ticket = {**TICKET, "priority": "HIGH", "resolved_at": "2024-03-01T10:00:00+01:00"}
    survey = {**SURVEY, "contact_external_id": None, "comment": "Great"}
    assert post_items(client, "tickets", [ticket], key).status_code == 200
    assert post_items(client, "survey-responses", [survey], key).status_code == 200
    stored = Ticket.objects.get()
    assert (stored.priority, stored.resolved_at) == ("high", datetime(2024, 3, 1, 9, tzinfo=UTC))
    response = SurveyResponse.objects.get()
    assert (response.kind, response.score, response.comment) == ("nps", 9, "Great")


def test_sending_the_same_items_twice_changes_nothing(client, key, references):
    items = [{**CONTRACT, "external_id": f"K{n}"} for n in range(5)]
    assert post_items(client, "contracts", items, key).json()["written"] == 5
    before = list(Contract.objects.order_by("pk").values())
    assert post_items(client, "contracts", items, key).json()["written"] == 0
    assert list(Contract.objects.order_by("pk").values()) == before


def test_a_changed_value_updates_that_record_only(client, key, references):
    items = [{**CONTRACT, "external_id": f"K{n}"} for n in range(3)]
    post_items(client, "contracts", items, key)
    items[1] = {**items[1], "mrr": 250}
    assert post_items(client, "contracts", items, key).json()["written"] == 1
    assert dict(Contract.objects.values_list("external_id", "mrr")) == {
        "K0": Decimal("100.00"), "K1": Decimal("250.00"), "K2": Decimal("100.00"),
    }  # fmt: skip


def test_a_field_left_out_keeps_its_value_and_null_clears_it(client, key):
    post_items(client, "accounts", [{"external_id": "A", "name": "A", "segment": "SMB",
                                     "region": "EMEA"}], key)  # fmt: skip
    post_items(client, "accounts", [{"external_id": "A", "name": "A2", "region": None}], key)
    account = Account.objects.get(external_id="A")
    assert (account.name, account.segment, account.region) == ("A2", "SMB", "")


def test_items_with_different_fields_each_keep_what_they_leave_out(client, key):
    first = [
        {"external_id": "A", "name": "A", "segment": "SMB"},
        {"external_id": "B", "name": "B", "region": "EMEA"},
    ]
    post_items(client, "accounts", first, key)
    second = [
        {"external_id": "A", "name": "A", "region": "US"},
        {"external_id": "B", "name": "B", "segment": "ENT"},
    ]
    response = post_items(client, "accounts", second, key)
    assert response.json()["written"] == 2
    assert sorted(Account.objects.values_list("external_id", "segment", "region")) == [
        ("A", "SMB", "US"),
        ("B", "ENT", "EMEA"),
    ]


def test_an_owner_email_names_a_user_created_without_a_password_when_missing(client, key):
    carol = UserFactory(email="Carol@Northstar.example")
    items = [
        {"external_id": "A", "name": "A", "owner_email": "carol@northstar.example"},
        {"external_id": "B", "name": "B", "owner_email": "new.csm@northstar.example"},
    ]
    assert post_items(client, "accounts", items, key).status_code == 200
    owners = dict(Account.objects.values_list("external_id", "owner__email"))
    assert owners == {"A": carol.email, "B": "new.csm@northstar.example"}
    assert not get_user_model().objects.get(email="new.csm@northstar.example").has_usable_password()


def test_a_contract_write_refreshes_the_accounts_lifecycle_stage(client, key, references):
    assert Account.objects.get(external_id="A1").lifecycle_stage == LifecycleStage.PROSPECT
    post_items(client, "contracts", [{**CONTRACT, "start_date": "2020-01-01"}], key)
    assert Account.objects.get(external_id="A1").lifecycle_stage == LifecycleStage.ACTIVE


def test_a_write_moves_the_freshness_line_of_its_kind(
    client, key, references, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_items(client, "tickets", [TICKET], key)
    log = ImportLog.objects.get(kind="tickets")
    assert (log.source, log.rows) == ("api", 1)


def test_a_thousand_items_take_a_fixed_number_of_statements(
    client, key, references, django_assert_max_num_queries
):
    items = [{**CONTRACT, "external_id": f"K{n}", "mrr": n} for n in range(1000)]
    with django_assert_max_num_queries(20):
        response = post_items(client, "contracts", items, key)
    assert response.json() == {"kind": "contracts", "received": 1000, "written": 1000}
    assert Contract.objects.count() == 1000


def test_a_request_refused_by_the_database_writes_nothing(client, key, references):
    """Rows the validator cannot see together: a contract moved to an account whose existing
    contract constraint still holds. Here, simply: an existing contract stays as it was when
    any item of the batch is invalid."""
    ContractFactory(external_id="K1", account=Account.objects.get(external_id="A1"))
    items = [{**CONTRACT, "mrr": 999}, {**CONTRACT, "external_id": "K2", "mrr": -1}]
    assert post_items(client, "contracts", items, key).status_code == 422
    assert Contract.objects.get(external_id="K1").mrr == Decimal("1000.00")


def test_a_body_over_the_upload_limit_gets_413_and_writes_nothing(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    items = [{"external_id": f"A{n}", "name": "x" * 100} for n in range(20)]
    response = post_items(client, "accounts", items, key)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large: send fewer items per request."
    }
    assert not Account.objects.exists()
