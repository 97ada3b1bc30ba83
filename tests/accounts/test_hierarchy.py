"""Parent accounts (kpi-spec section 2, `parent_external_id`): a parent names an account in the
database or in the same import, and parents form no cycle and no chain deeper than 5 levels."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.importer.batch import BatchInvalid, batch_upsert
from accounts.importer.records import ACCOUNTS
from accounts.models import Account
from tests.accounts.test_import import assert_refused, assert_succeeded, csv
from tests.factories import AccountFactory


def parents() -> dict[str, str | None]:
    return {
        account.external_id: account.parent.external_id if account.parent else None
        for account in Account.objects.select_related("parent")
    }


def test_a_parent_may_come_later_in_the_same_file(csv_dir, write_csv, run_import):
    write_csv(
        csv_dir,
        "accounts.csv",
        csv(
            "external_id,name,parent_external_id",
            "EU,Acme Europe,GROUP",
            "DE,Acme Germany,EU",
            "GROUP,Acme Group,",
        ),
    )

    assert_succeeded(run_import(csv_dir))
    assert parents() == {"EU": "GROUP", "DE": "EU", "GROUP": None}


def test_a_parent_may_already_be_in_the_database(csv_dir, write_csv, run_import):
    AccountFactory(external_id="GROUP")
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,parent_external_id", "EU,Eu,GROUP"))

    assert_succeeded(run_import(csv_dir))
    assert parents()["EU"] == "GROUP"


def test_a_file_without_the_column_keeps_the_stored_parents(csv_dir, write_csv, run_import):
    group = AccountFactory(external_id="GROUP")
    AccountFactory(external_id="EU", parent=group)
    write_csv(csv_dir, "accounts.csv", csv("external_id,name", "EU,Renamed"))

    assert_succeeded(run_import(csv_dir))
    assert parents()["EU"] == "GROUP"


def test_an_empty_parent_cell_detaches_the_account(csv_dir, write_csv, run_import):
    group = AccountFactory(external_id="GROUP")
    AccountFactory(external_id="EU", parent=group)
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,parent_external_id", "EU,Eu,"))

    assert_succeeded(run_import(csv_dir))
    assert parents()["EU"] is None


def test_an_unknown_parent_is_reported_at_its_line(csv_dir, write_csv, run_import):
    write_csv(
        csv_dir,
        "accounts.csv",
        csv("external_id,name,parent_external_id", "A,A,", "B,B,NOPE"),
    )

    assert_refused(
        run_import(csv_dir), "accounts.csv:3: parent_external_id: unknown account 'NOPE'"
    )


def test_a_cycle_of_parents_is_reported_at_its_line_and_nothing_is_written(
    csv_dir, write_csv, run_import
):
    write_csv(
        csv_dir,
        "accounts.csv",
        csv("external_id,name,parent_external_id", "A,A,B", "B,B,C", "C,C,A"),
    )

    run = run_import(csv_dir)

    assert_refused(
        run,
        "accounts.csv:2: parent_external_id: parent 'B' makes a cycle of parents: A -> B -> C -> A",
        "accounts.csv:3: parent_external_id: parent 'C' makes a cycle",
        "accounts.csv:4: parent_external_id: parent 'A' makes a cycle",
    )


def test_an_account_cannot_be_its_own_parent(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,parent_external_id", "A,A,A"))

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:2: parent_external_id: parent 'A' makes a cycle of parents: A -> A",
    )


def test_a_cycle_through_accounts_already_stored_is_refused(csv_dir, write_csv, run_import):
    top = AccountFactory(external_id="TOP")
    AccountFactory(external_id="MID", parent=top)
    write_csv(csv_dir, "accounts.csv", csv("external_id,name,parent_external_id", "TOP,Top,MID"))

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:2: parent_external_id: parent 'MID' makes a cycle of parents: TOP -> MID",
    )


def chain_file(levels: int) -> str:
    rows = ["external_id,name,parent_external_id", "L1,L1,"]
    rows += [f"L{n},L{n},L{n - 1}" for n in range(2, levels + 1)]
    return csv(*rows)


def test_five_levels_of_parents_are_accepted(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", chain_file(5))

    assert_succeeded(run_import(csv_dir))
    assert parents()["L5"] == "L4"


def test_a_sixth_level_is_reported_at_its_line(csv_dir, write_csv, run_import):
    write_csv(csv_dir, "accounts.csv", chain_file(6))

    assert_refused(
        run_import(csv_dir),
        "accounts.csv:7: parent_external_id: parent 'L5' makes a chain deeper than 5 levels: "
        "L6 -> L5 -> L4 -> L3 -> L2 -> L1",
    )


def test_the_api_refuses_a_cycle_with_the_items_index(db):
    AccountFactory(external_id="A")
    items = [{"external_id": "B", "name": "B", "parent_external_id": "A"}]
    batch_upsert(ACCOUNTS, items)

    with pytest.raises(BatchInvalid) as refused:
        batch_upsert(ACCOUNTS, [{"external_id": "A", "name": "A", "parent_external_id": "B"}])

    problem = refused.value.problems[0]
    assert (problem.item, problem.field) == (0, "parent_external_id")
    assert "cycle" in problem.message
    assert parents() == {"A": None, "B": "A"}


def test_the_database_refuses_a_cycle_written_by_any_other_path(db):
    top = AccountFactory(external_id="TOP")
    AccountFactory(external_id="MID", parent=top)

    with pytest.raises(IntegrityError, match="cycle"), transaction.atomic():
        Account.objects.filter(external_id="TOP").update(
            parent=Account.objects.get(external_id="MID")
        )


def test_the_database_refuses_a_sixth_level(db):
    parent = None
    for n in range(1, 6):
        parent = AccountFactory(external_id=f"L{n}", parent=parent)

    with pytest.raises(IntegrityError, match="deeper than 5"), transaction.atomic():
        AccountFactory(external_id="L6", parent=parent)


def test_the_admin_form_explains_a_cycle_at_the_parent_field(db):
    top = AccountFactory(external_id="TOP")
    mid = AccountFactory(external_id="MID", parent=top)
    top.parent = mid

    with pytest.raises(ValidationError) as refused:
        top.full_clean()

    assert "cycle" in refused.value.message_dict["parent"][0]
