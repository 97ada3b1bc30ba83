"""Admins' own fields on accounts and contacts: typed, imported as columns named after their
key, kept in the record's `custom` values; a column matching no field is still refused."""

import pytest
from django.core.exceptions import ValidationError

from accounts.importer.batch import BatchInvalid, batch_upsert
from accounts.importer.records import ACCOUNTS
from accounts.models import Account, Contact, CustomField
from tests.accounts.test_import import assert_refused, assert_succeeded, csv
from tests.factories import AccountFactory


@pytest.fixture
def fields(db):
    CustomField.objects.create(target="accounts", key="tier", label="Tier", field_type="choice",
                               choices=["Gold", "Silver"])  # fmt: skip
    CustomField.objects.create(target="accounts", key="employees", label="Employees",
                               field_type="number")  # fmt: skip
    CustomField.objects.create(target="accounts", key="signed_on", label="Signed on",
                               field_type="date")  # fmt: skip
    CustomField.objects.create(target="contacts", key="decision_maker", label="Decision maker",
                               field_type="boolean")  # fmt: skip


def test_custom_columns_are_imported_into_the_records_values(fields, csv_dir, write_csv,
                                                              run_import):  # fmt: skip
    write_csv(csv_dir, "accounts.csv", csv(
        "external_id,name,tier,employees,signed_on",
        "A1,Acme,gold,1200,2024-05-01",
        "A2,Globex,,,",
    ))  # fmt: skip
    write_csv(csv_dir, "contacts.csv", csv(
        "external_id,account_external_id,decision_maker", "C1,A1,yes",
    ))  # fmt: skip

    assert_succeeded(run_import(csv_dir))

    assert Account.objects.get(external_id="A1").custom == {
        "tier": "Gold",  # the list's spelling
        "employees": 1200,
        "signed_on": "2024-05-01",
    }
    assert Account.objects.get(external_id="A2").custom == {}
    assert Contact.objects.get(external_id="C1").custom == {"decision_maker": True}


def test_a_file_changes_only_the_custom_values_it_carries(fields, csv_dir, write_csv, run_import):
    AccountFactory(external_id="A1", custom={"tier": "Gold", "employees": 10, "note": "kept"})
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,employees,tier", "A1,Acme,11,"))

    assert_succeeded(run_import(csv_dir))

    # employees replaced, tier emptied (removed), a key the file does not carry kept.
    assert Account.objects.get(external_id="A1").custom == {"employees": 11, "note": "kept"}


def test_importing_the_same_file_twice_changes_nothing(fields, csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,tier", "A1,Acme,Silver"))
    assert_succeeded(run_import(csv_dir))

    again = run_import(csv_dir)

    assert_succeeded(again)
    assert "1 rows, 0 inserted or changed" in again.stdout


def test_a_bad_custom_value_is_reported_at_its_line(fields, csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", csv(
        "external_id,name,tier,employees,signed_on",
        "A1,Acme,Bronze,many,2024-13-01",
    ))  # fmt: skip

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:2: tier: 'Bronze' is not one of Gold, Silver",
        "accounts.csv:2: employees: 'many' is not a number",
        "accounts.csv:2: signed_on: '2024-13-01' is not a valid calendar date",
    )


def test_a_column_matching_no_field_is_still_refused(fields, csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,teir", "A1,Acme,Gold"))

    run = run_import(csv_dir)

    assert run.error is not None
    assert run.problems[0].startswith("accounts.csv:1: teir: unknown column (expected: ")
    assert "employees, signed_on, tier)" in run.problems[0]


def test_the_api_takes_custom_fields_through_the_same_validator(fields):
    batch_upsert(ACCOUNTS, [{"external_id": "A1", "name": "Acme", "employees": 7.5}])
    assert Account.objects.get(external_id="A1").custom == {"employees": 7.5}

    with pytest.raises(BatchInvalid) as refused:
        batch_upsert(ACCOUNTS, [{"external_id": "A1", "name": "Acme", "tier": "Platinum"}])
    assert refused.value.problems[0].message == "'Platinum' is not one of Gold, Silver"


def test_a_field_cannot_take_the_key_of_a_built_in_column(db):
    field = CustomField(target="accounts", key="segment", label="Segment", field_type="text")

    with pytest.raises(ValidationError, match="already a column of accounts"):
        field.full_clean()


def test_a_list_field_needs_its_values(db):
    field = CustomField(target="accounts", key="tier", label="Tier", field_type="choice")

    with pytest.raises(ValidationError, match="List the allowed values"):
        field.full_clean()


def test_the_custom_values_filter_by_containment(fields):
    AccountFactory(external_id="G", custom={"tier": "Gold"})
    AccountFactory(external_id="S", custom={"tier": "Silver"})

    found = Account.objects.filter(custom__contains={"tier": "Gold"})

    assert [account.external_id for account in found] == ["G"]
