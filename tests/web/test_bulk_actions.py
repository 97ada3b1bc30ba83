"""Bulk actions from the accounts list (issue 16): reassign owner, set a lifecycle stage, set a
custom field, send a survey, create a task for each; each one transaction and one record, undone
from its record for a day, and only by the roles that may.

alice (a CSM) owns Acme and Globex, bob (a CSM) owns Initech; the leader sees all three.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, BulkAction, CustomField
from playbooks.models import Task
from surveys.models import Invitation, InvitationStatus
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.factories import default_survey

START = "/accounts/bulk/new/"


@pytest.fixture
def book(alice, bob):
    return {
        "acme": AccountFactory(name="Acme", owner=alice, lifecycle_stage="active"),
        "globex": AccountFactory(name="Globex", owner=alice, lifecycle_stage="onboarding"),
        "initech": AccountFactory(name="Initech", owner=bob, lifecycle_stage="active"),
    }


@pytest.fixture
def tier(db):
    return CustomField.objects.create(
        target="accounts", key="tier", label="Tier", field_type="choice", choices=["Gold", "Silver"]
    )


def ids(*accounts) -> str:
    return ",".join(str(account.pk) for account in accounts)


def run(client, kind: str, accounts, **values):
    """Post step two (the confirmation) of a bulk action on these accounts."""
    data = {"kind": kind, "account_ids": ids(*accounts), "confirm": "1", **values}
    return client.post(START, data)


def latest() -> BulkAction:
    return BulkAction.objects.latest("pk")


def undo(client, action: BulkAction):
    return client.post(f"/accounts/bulk/{action.pk}/undo/")


def test_step_one_shows_the_count_and_changes_nothing(client, leader, book):
    client.force_login(leader)
    response = client.post(START, {"kind": "stage", "ids": [book["acme"].pk, book["initech"].pk]})
    assert response.status_code == 200
    assert "Set lifecycle stage: 2 accounts" in response.content.decode()
    assert not BulkAction.objects.exists()
    assert Account.objects.get(pk=book["acme"].pk).lifecycle_stage == "active"


def test_everything_the_filter_matches_is_chosen_by_the_lists_own_filter(client, leader, book):
    client.force_login(leader)
    response = client.post(f"{START}?q=Globex", {"kind": "owner", "scope": "filter"})
    assert response.status_code == 200
    assert f'value="{book["globex"].pk}"' in response.content.decode()  # only Globex
    assert "1 account" in response.content.decode()


def test_a_leader_reassigns_owners_in_one_update_and_undoes_it(client, leader, bob, book):
    client.force_login(leader)
    with CaptureQueriesContext(connection) as queries:
        response = run(client, "owner", [book["acme"], book["globex"]], owner=str(bob.pk))
    action = latest()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/bulk/{action.pk}/"
    updates = [q for q in queries if q["sql"].startswith('UPDATE "accounts_account"')]
    assert len(updates) == 1  # set-based: one statement for every account
    assert set(Account.objects.filter(owner=bob).values_list("name", flat=True)) == {
        "Acme", "Globex", "Initech",
    }  # fmt: skip
    assert action.performed_by == leader
    assert action.old_values == {str(book["acme"].pk): book["acme"].owner_id,
                                 str(book["globex"].pk): book["globex"].owner_id}  # fmt: skip

    assert undo(client, action).status_code == 302
    assert Account.objects.get(pk=book["acme"].pk).owner == book["acme"].owner
    assert Account.objects.get(pk=book["globex"].pk).owner == book["globex"].owner
    action.refresh_from_db()
    assert action.undone_by == leader
    assert action.undo_kept_ids == []


def test_a_bulk_action_and_its_undo_are_one_audit_entry_each(client, leader, bob, book):
    from audit.models import AuditEntry

    client.force_login(leader)
    run(client, "owner", [book["acme"], book["globex"]], owner=str(bob.pk))
    action = latest()
    undo(client, action)

    entries = AuditEntry.objects.filter(action__startswith="bulk.owner").order_by("pk")
    assert [(e.action, e.actor_id, e.object_id) for e in entries] == [
        ("bulk.owner", leader.pk, str(action.pk)),
        ("bulk.owner.undo", leader.pk, str(action.pk)),
    ]
    assert entries[0].details["accounts"] == 2 and entries[1].details["restored"] == 2


def test_undo_keeps_a_value_changed_since_and_says_so(client, leader, bob, book):
    client.force_login(leader)
    run(client, "stage", [book["acme"], book["globex"]], stage="churned")
    Account.objects.filter(pk=book["globex"].pk).update(lifecycle_stage="trial")  # later work
    action = latest()
    undo(client, action)
    assert Account.objects.get(pk=book["acme"].pk).lifecycle_stage == "active"
    assert Account.objects.get(pk=book["globex"].pk).lifecycle_stage == "trial"
    action.refresh_from_db()
    assert action.undo_kept_ids == [book["globex"].pk]
    page = client.get(f"/accounts/bulk/{action.pk}/").content.decode()
    assert "1 account had changed since and kept its newer value" in page
    assert "Kept its newer value" in page


def test_a_custom_field_is_set_and_cleared_and_undo_restores_each_old_value(
    client, leader, book, tier
):
    Account.objects.filter(pk=book["acme"].pk).update(custom={"tier": "Silver", "seats": 3})
    client.force_login(leader)
    run(client, "field", [book["acme"], book["globex"]], field="tier", field_value="Gold")
    assert Account.objects.get(pk=book["acme"].pk).custom == {"tier": "Gold", "seats": 3}
    assert Account.objects.get(pk=book["globex"].pk).custom == {"tier": "Gold"}
    undo(client, latest())
    assert Account.objects.get(pk=book["acme"].pk).custom == {"tier": "Silver", "seats": 3}
    assert Account.objects.get(pk=book["globex"].pk).custom == {}

    run(client, "field", [book["acme"]], field="tier", field_value="")  # empty clears it
    assert Account.objects.get(pk=book["acme"].pk).custom == {"seats": 3}


def test_a_value_the_field_refuses_is_shown_at_the_field_and_nothing_is_written(
    client, leader, book, tier
):
    client.force_login(leader)
    response = run(client, "field", [book["acme"]], field="tier", field_value="Platinum")
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not BulkAction.objects.exists()
    assert Account.objects.get(pk=book["acme"].pk).custom == {}


def test_a_task_for_each_goes_to_each_owner_and_undo_keeps_worked_tasks(
    client, leader, alice, bob, book
):
    client.force_login(leader)
    accounts = [book["acme"], book["globex"], book["initech"]]
    run(client, "task", accounts, title="Plan the QBR", due_on="2099-01-15", priority="high")
    action = latest()
    tasks = Task.objects.filter(pk__in=action.created_ids)
    assert {(t.account.name, t.assignee.username) for t in tasks} == {
        ("Acme", "alice"), ("Globex", "alice"), ("Initech", "bob"),
    }  # fmt: skip
    done = tasks.get(account=book["initech"])
    done.status, done.completed_at = "done", timezone.now()
    done.save()
    undo(client, action)
    assert list(Task.objects.filter(pk__in=action.created_ids)) == [done]
    action.refresh_from_db()
    assert action.undo_kept_ids == [done.pk]


def test_a_survey_to_her_own_accounts_by_a_csm_and_undo_withdraws_unanswered_invitations(
    client, alice, book
):
    survey = default_survey("nps")
    ContactFactory(account=book["acme"])
    ContactFactory(account=book["globex"])
    client.force_login(alice)
    response = run(client, "survey", [book["acme"], book["globex"]], survey=str(survey.pk))
    assert response.status_code == 302
    action = latest()
    assert len(action.created_ids) == 2
    undo(client, action)
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert statuses == {InvitationStatus.EXPIRED}


def test_a_csm_bulk_editing_accounts_she_does_not_own_changes_nothing(client, alice, book):
    client.force_login(alice)
    before = list(Account.objects.order_by("pk").values_list("owner_id", "lifecycle_stage"))
    # Stages and owners are for leaders and admins, even on her own accounts.
    assert run(client, "stage", [book["acme"]], stage="churned").status_code == 403
    assert run(client, "owner", [book["acme"]], owner="none").status_code == 403
    # Tasks on bob's account, alone or mixed with her own: 404, hidden, nothing created.
    assert run(client, "task", [book["initech"]], title="x", due_on="2099-01-01").status_code == 404
    mixed = run(client, "task", [book["acme"], book["initech"]], title="x", due_on="2099-01-01")
    assert mixed.status_code == 404
    assert client.post(START, {"kind": "task", "ids": [book["initech"].pk]}).status_code == 404
    assert not Task.objects.exists()
    assert not BulkAction.objects.exists()
    assert before == list(Account.objects.order_by("pk").values_list("owner_id", "lifecycle_stage"))


def test_undo_after_a_day_is_refused(client, leader, book):
    client.force_login(leader)
    run(client, "stage", [book["acme"]], stage="churned")
    action = latest()
    BulkAction.objects.filter(pk=action.pk).update(
        performed_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    response = undo(client, action)
    assert response.status_code == 302
    assert Account.objects.get(pk=book["acme"].pk).lifecycle_stage == "churned"
    action.refresh_from_db()
    assert action.undone_at is None
    page = client.get(f"/accounts/bulk/{action.pk}/").content.decode()
    assert "can be undone for a day only" in page
    assert "bulk-undo" not in page


def test_a_second_undo_is_refused(client, leader, book):
    client.force_login(leader)
    run(client, "stage", [book["acme"]], stage="churned")
    action = latest()
    undo(client, action)
    Account.objects.filter(pk=book["acme"].pk).update(lifecycle_stage="churned")
    undo(client, action)
    assert Account.objects.get(pk=book["acme"].pk).lifecycle_stage == "churned"


def test_a_csm_sees_only_her_own_records_and_a_leader_everyones(client, alice, bob, leader, book):
    client.force_login(alice)
    run(client, "task", [book["acme"]], title="Call", due_on="2099-01-01")
    mine = latest()
    client = Client()
    client.force_login(bob)
    assert client.get(f"/accounts/bulk/{mine.pk}/").status_code == 404
    assert "Call" not in client.get("/accounts/bulk/").content.decode()
    assert undo(client, mine).status_code == 404
    client.force_login(leader)
    assert client.get(f"/accounts/bulk/{mine.pk}/").status_code == 200
    assert "Call" in client.get("/accounts/bulk/").content.decode()


def test_the_list_offers_each_role_its_actions(client, alice, leader, book):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'name="ids"' in page
    assert '<option value="task">' in page and '<option value="owner">' not in page
    client.force_login(leader)
    page = client.get("/").content.decode()
    assert '<option value="owner">' in page and '<option value="stage">' in page


def test_the_records_pages_cost_a_fixed_number_of_queries(
    client, leader, book, django_assert_max_num_queries
):
    client.force_login(leader)
    many = [AccountFactory(owner=None) for _ in range(20)]
    run(client, "owner", [*many, book["acme"]], owner="none")
    action = latest()
    with django_assert_max_num_queries(10):
        assert client.get(f"/accounts/bulk/{action.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/accounts/bulk/").status_code == 200
