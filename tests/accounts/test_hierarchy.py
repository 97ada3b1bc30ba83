"""Parent accounts (kpi-spec section 2, `parent_external_id`): a parent names an account in the
database or in the same import, and parents form no cycle and no chain deeper than 5 levels."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.importer.batch import BatchInvalid, batch_upsert
from accounts.importer.records import ACCOUNTS
from accounts.models import Account, AccountAncestor
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


# The closure table (AccountAncestor): every account's ancestors with their distance, kept by
# the database's triggers whichever way a parent changes; the access rule reads it.


def ancestors() -> set[tuple[str, str, int]]:
    links = AccountAncestor.objects.values_list(
        "account__external_id", "ancestor__external_id", "depth"
    )
    return set(links)


def walked_up() -> set[tuple[str, str, int]]:
    """The same rows computed the slow way, from the parents themselves."""
    rows = set()
    for account in Account.objects.select_related("parent"):
        depth, ancestor = 1, account.parent
        while ancestor is not None:
            rows.add((account.external_id, ancestor.external_id, depth))
            depth, ancestor = depth + 1, ancestor.parent
    return rows


def test_the_import_fills_the_closure_with_every_ancestor_and_its_distance(
    csv_dir, write_csv, run_import
):
    write_csv(
        csv_dir,
        "accounts.csv",
        csv(
            "external_id,name,parent_external_id",
            "EU,Acme Europe,GROUP",
            "DE,Acme Germany,EU",
            "BERLIN,Acme Berlin,DE",
            "GROUP,Acme Group,",
            "SOLO,Solo,",
        ),
    )

    assert_succeeded(run_import(csv_dir))
    assert ancestors() == {
        ("EU", "GROUP", 1),
        ("DE", "EU", 1), ("DE", "GROUP", 2),
        ("BERLIN", "DE", 1), ("BERLIN", "EU", 2), ("BERLIN", "GROUP", 3),
    }  # fmt: skip


def test_moving_a_subsidiary_moves_everything_below_it(db):
    old, new = AccountFactory(external_id="OLD"), AccountFactory(external_id="NEW")
    eu = AccountFactory(external_id="EU", parent=old)
    AccountFactory(external_id="DE", parent=eu)

    eu.parent = new
    eu.save()

    assert ancestors() == {("EU", "NEW", 1), ("DE", "EU", 1), ("DE", "NEW", 2)}
    Account.objects.filter(pk=new.pk).update(parent=old)  # a bulk UPDATE, no save()
    assert ancestors() == walked_up()
    assert ("DE", "OLD", 3) in ancestors()


def test_detaching_or_deleting_an_account_takes_its_rows_out(db):
    group = AccountFactory(external_id="GROUP")
    eu = AccountFactory(external_id="EU", parent=group)
    AccountFactory(external_id="DE", parent=eu)

    Account.objects.filter(pk=eu.pk).update(parent=None)
    assert ancestors() == {("DE", "EU", 1)}

    eu.delete()  # its child is detached (SET_NULL), then it goes
    assert ancestors() == set()
    assert not AccountAncestor.objects.exists()


def test_the_closure_equals_the_parents_on_a_random_forest(db):
    """200 accounts given random parents up to five levels, then a hundred random moves and
    detachments: the triggers' table is always what walking up the parents gives."""
    rng = random.Random(2026)
    levels: dict[int, list[Account]] = {1: AccountFactory.create_batch(20)}
    for level in range(2, 6):
        levels[level] = [AccountFactory(parent=rng.choice(levels[level - 1])) for _ in range(45)]
    for _ in range(100):
        level = rng.randint(2, 5)
        account = rng.choice(levels[level])
        # A parent one level up keeps every chain within five levels.
        parent = None if rng.random() < 0.2 else rng.choice(levels[level - 1])
        Account.objects.filter(pk=account.pk).update(parent=parent)
    assert ancestors() == walked_up()
    assert len(walked_up()) > 200
