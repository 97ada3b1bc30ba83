"""Each action does what it says once, in order, on its day; a broken one does not stop the run."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import Note
from playbooks.actions import add_days
from playbooks.models import UNFINISHED, PlaybookAction, PlaybookRun, StepStatus, Task
from playbooks.services import playbooks_evaluate, run_execute
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import (
    AS_OF,
    TODAY,
    SnapshotFactory,
    days_back,
    history,
    make_playbook,
)

pytestmark = pytest.mark.django_db


def enrol_one(actions, *, owner=None, **account) -> PlaybookRun:
    """One account renewing in 30 days, entering a playbook with `actions`; returns the run."""
    playbook = make_playbook("renewal_within", days=90, actions=actions)
    acct = AccountFactory(owner=owner, **account)
    SnapshotFactory(account=acct, as_of=AS_OF, days_to_renewal=30)
    playbooks_evaluate(as_of=AS_OF)
    return PlaybookRun.objects.get(playbook=playbook, account=acct)


@pytest.fixture
def maya(db):
    return UserFactory(username="maya", first_name="Maya", last_name="Patel", groups=["CSM"])


def test_a_task_goes_to_the_owner_with_the_placeholders_filled_in(today_is, maya):
    run = enrol_one(
        [{"kind": "create_task", "title": "Prepare a QBR for {account}", "body": "{details}.",
          "due_in_days": 14, "priority": "high"}],
        owner=maya, name="Acme",
    )  # fmt: skip

    assert run_execute(run_id=run.pk) == "done"

    task = Task.objects.get()
    assert (task.title, task.assignee, task.priority) == ("Prepare a QBR for Acme", maya, "high")
    assert task.due_on == TODAY + timedelta(days=14)
    renewal = AS_OF + timedelta(days=30)
    assert task.description == f"Renewal on {renewal:%-d %b %Y}, in 30 days."
    assert (task.source, task.run, task.step) == ("playbook", run, run.steps.get())


def test_a_task_can_go_to_a_named_user(today_is, maya):
    named = UserFactory(username="named", groups=["CSM"])
    run = enrol_one(
        [{"kind": "create_task", "title": "Look", "assignee_rule": "user", "assignee": named}],
        owner=maya,
    )

    run_execute(run_id=run.pk)

    assert Task.objects.get().assignee == named


def test_the_least_loaded_csm_gets_the_task_and_stands_in_for_a_missing_owner(today_is, maya):
    busy = UserFactory(username="busy", groups=["CSM"])
    idle = UserFactory(username="idle", groups=["CSM"])
    for user, count in ((maya, 2), (busy, 3)):
        for _ in range(count):
            Task.objects.create(account=AccountFactory(), assignee=user, title="x",
                                due_on=TODAY, source="person")  # fmt: skip
    Task.objects.create(account=AccountFactory(), assignee=idle, title="done", due_on=TODAY,
                        source="person", status="done")  # fmt: skip
    run = enrol_one([{"kind": "create_task", "title": "Pooled", "assignee_rule": "least_loaded"}])
    unowned = enrol_one([{"kind": "create_task", "title": "Unowned"}], owner=None)

    run_execute(run_id=run.pk)
    run_execute(run_id=unowned.pk)

    assert Task.objects.get(title="Pooled").assignee == idle  # done tasks are no load
    assert Task.objects.get(title="Unowned").assignee == idle  # idle has 1 now, maya 2


def test_business_days_skip_weekends():
    friday = date(2025, 6, 13)
    assert add_days(friday, 2, business=True) == date(2025, 6, 17)
    assert add_days(friday, 2, business=False) == date(2025, 6, 15)
    assert add_days(date(2025, 6, 14), 0, business=True) == date(2025, 6, 16)


def test_the_owner_gets_an_email(today_is, maya):
    run = enrol_one(
        [{"kind": "email_owner", "title": "{account} renews soon", "body": "{details}"}],
        owner=maya, name="Acme",
    )  # fmt: skip

    run_execute(run_id=run.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [maya.email]
    assert mail.outbox[0].subject == "Acme renews soon"
    assert f"/accounts/{run.account_id}/" in mail.outbox[0].body


def test_an_email_to_a_missing_owner_is_skipped_with_the_reason(today_is):
    run = enrol_one([{"kind": "email_owner", "title": "Hi", "body": "x"}], owner=None)

    assert run_execute(run_id=run.pk) == "done"

    step = run.steps.get()
    assert step.status == StepStatus.SKIPPED
    assert "no active owner" in step.result
    assert mail.outbox == []


def test_setting_the_lifecycle_stage_and_adding_a_note(today_is, maya):
    run = enrol_one(
        [{"kind": "set_stage", "stage": "churned"},
         {"kind": "add_note", "body": "Renewal risk flagged for {owner}."}],
        owner=maya, lifecycle_stage="active",
    )  # fmt: skip

    run_execute(run_id=run.pk)

    run.account.refresh_from_db()
    assert run.account.lifecycle_stage == "churned"
    note = Note.objects.get(account=run.account)
    assert note.author is None
    assert note.body.startswith("Renewal risk flagged for Maya Patel.")
    assert run.playbook.name in note.body


def test_running_a_run_again_does_nothing_twice(today_is, maya):
    run = enrol_one(
        [{"kind": "create_task", "title": "Once"}, {"kind": "email_owner", "title": "Once",
                                                    "body": "x"}],
        owner=maya,
    )  # fmt: skip

    run_execute(run_id=run.pk)
    run_execute(run_id=run.pk)

    assert Task.objects.count() == 1
    assert len(mail.outbox) == 1
    assert [s.attempts for s in run.steps.all()] == [1, 1]


def test_a_step_not_yet_due_holds_back_the_later_ones_until_its_day(today_is, maya):
    run = enrol_one(
        [{"kind": "create_task", "title": "Now"},
         {"kind": "create_task", "title": "In two weeks", "day_offset": 14},
         {"kind": "create_task", "title": "Right after"}],
        owner=maya,
    )  # fmt: skip

    assert run_execute(run_id=run.pk) == "pending"
    assert list(Task.objects.values_list("title", flat=True)) == ["Now"]

    today_is(AS_OF + timedelta(days=14))
    assert run_execute(run_id=run.pk) == "done"
    assert set(Task.objects.values_list("title", flat=True)) == {
        "Now", "In two weeks", "Right after",
    }  # fmt: skip


def test_the_nightly_evaluation_queues_new_runs_and_runs_whose_steps_came_due(
    today_is, maya, queued_runs, django_capture_on_commit_callbacks
):
    waiting = enrol_one(
        [{"kind": "create_task", "title": "Now"},
         {"kind": "create_task", "title": "Later", "day_offset": 10}],
        owner=maya,
    )  # fmt: skip
    run_execute(run_id=waiting.pk)
    queued_runs.clear()
    today_is(AS_OF + timedelta(days=10))
    fresh = SnapshotFactory(as_of=AS_OF + timedelta(days=9), days_to_renewal=20)

    with django_capture_on_commit_callbacks(execute=True):
        new = playbooks_evaluate(as_of=AS_OF + timedelta(days=9))

    assert sorted(queued_runs) == sorted([waiting.pk, *new])
    assert PlaybookRun.objects.get(pk=new[0]).account == fresh.account


def test_a_broken_action_is_recorded_and_the_run_goes_on(today_is, maya):
    run = enrol_one(
        [{"kind": "set_stage", "stage": "active"}, {"kind": "create_task", "title": "Still"}],
        owner=maya,
    )
    # An action whose stage was emptied behind the form's back: the service refuses it.
    PlaybookAction.objects.filter(kind="set_stage").update(stage="nonsense")

    assert run_execute(run_id=run.pk) == "failed"

    first, second = run.steps.order_by("position")
    assert first.status == StepStatus.FAILED and "nonsense" in first.error
    assert second.status == StepStatus.DONE
    assert Task.objects.filter(title="Still").exists()


def test_a_removed_action_is_skipped(today_is, maya):
    run = enrol_one([{"kind": "create_task", "title": "Gone"}], owner=maya)
    PlaybookAction.objects.all().delete()

    assert run_execute(run_id=run.pk) == "done"
    assert run.steps.get().status == StepStatus.SKIPPED
    assert not Task.objects.exists()


def test_a_renewal_task_is_due_before_the_renewal_even_when_the_account_entered_late(
    today_is, maya
):
    playbook = make_playbook(
        "renewal_within", days=90, actions=[{"kind": "create_task", "title": "QBR",
                                             "due_in_days": 14}],
    )  # fmt: skip
    account = AccountFactory(owner=maya)
    SnapshotFactory(account=account, as_of=AS_OF, days_to_renewal=6)  # renews TODAY + 5
    playbooks_evaluate(as_of=AS_OF)

    run_execute(run_id=PlaybookRun.objects.get(playbook=playbook).pk)

    assert Task.objects.get().due_on == TODAY + timedelta(days=4)


def test_high_priority_tasks_come_first_on_a_day(client, today_is, maya):
    account = AccountFactory(owner=maya)
    for title, priority in (("Low", "low"), ("Normal", "normal"), ("High", "high")):
        Task.objects.create(account=account, assignee=maya, title=title, priority=priority,
                            due_on=TODAY, source="person")  # fmt: skip
    from playbooks.selectors import day_tasks

    assert [t.title for t in day_tasks(user=maya, today=TODAY).today] == ["High", "Normal", "Low"]


def _usage_down(account, last, days: int = 3) -> None:
    """Usage down 50 % on each of the `days` days ending with `last`."""
    history(account, days_back(last, days), usage_trend=-50.0)


def _evaluate_and_run(as_of) -> None:
    for run in playbooks_evaluate(as_of=as_of):
        run_execute(run_id=run)


def test_two_playbooks_asking_for_the_same_task_make_one_open_task_per_account(today_is, maya):
    check_in = {"kind": "create_task", "title": "Check in with {account}: usage is down"}
    first = make_playbook("usage_below", threshold=-30, actions=[check_in])
    second = make_playbook("usage_below", threshold=-40, actions=[check_in])
    acme = AccountFactory(name="Acme", owner=maya)
    _usage_down(acme, AS_OF)

    _evaluate_and_run(AS_OF)
    _evaluate_and_run(AS_OF)  # the nightly evaluation run twice

    task = Task.objects.get()
    assert (task.title, task.kind) == (
        "Check in with Acme: usage is down",
        "usage_below:Check in with {account}: usage is down",
    )
    skipped = PlaybookRun.objects.exclude(pk=task.run_id).get().steps.get()
    assert skipped.status == StepStatus.SKIPPED
    assert "“Check in with Acme: usage is down”" in skipped.result
    assert {task.run.playbook, skipped.run.playbook} == {first, second}


def test_a_new_signal_adds_no_second_open_task_of_its_kind_until_the_first_is_done(today_is, maya):
    make_playbook("usage_below", threshold=-30, reenroll_after_days=1)
    acme = AccountFactory(name="Acme", owner=maya)
    _usage_down(acme, AS_OF)
    _evaluate_and_run(AS_OF)
    # Usage recovered for a day, then fell again: a new streak, a new signal, a new run.
    later = AS_OF + timedelta(days=5)
    SnapshotFactory(account=acme, as_of=later - timedelta(days=3), usage_trend=5.0)
    _usage_down(acme, later, days=2)
    today_is(later + timedelta(days=1))
    _evaluate_and_run(later)

    assert PlaybookRun.objects.count() == 2
    assert Task.objects.filter(status__in=UNFINISHED).count() == 1

    Task.objects.update(status="done")
    even_later = later + timedelta(days=5)
    SnapshotFactory(account=acme, as_of=even_later - timedelta(days=2), usage_trend=5.0)
    _usage_down(acme, even_later, days=1)
    today_is(even_later + timedelta(days=1))
    _evaluate_and_run(even_later)
    assert Task.objects.filter(status__in=UNFINISHED).count() == 1
    assert Task.objects.count() == 2


def test_the_database_refuses_a_second_unfinished_task_of_a_kind_on_an_account(maya):
    acme = AccountFactory(owner=maya)
    fields = {"account": acme, "title": "Call", "due_on": TODAY, "source": "playbook",
              "kind": "detractor:Call {account}"}  # fmt: skip
    Task.objects.create(**fields, status="done")
    Task.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(**{**fields, "status": "snoozed", "snoozed_until": TODAY})
    Task.objects.create(**{**fields, "kind": ""})  # people's tasks have no kind
    Task.objects.create(**{**fields, "kind": ""})
