"""My day: tasks grouped by account (the most ARR at risk first), filtered by playbook and due
day, completed several at once, and the last completion undone."""

from datetime import timedelta
from decimal import Decimal

import pytest

from playbooks.models import Task
from tests.factories import AccountFactory
from tests.playbooks.conftest import AS_OF, TODAY, SnapshotFactory, make_playbook
from tests.playbooks.test_views import task

pytestmark = pytest.mark.django_db


def account(owner, name: str, arr: int, band: str):
    acct = AccountFactory(owner=owner, name=name)
    score = {"green": 80.0, "yellow": 55.0, "red": 30.0}[band]
    SnapshotFactory(account=acct, as_of=AS_OF, arr=Decimal(arr), health_score=score,
                    health_band=band)  # fmt: skip
    return acct


def group_order(page: str) -> list[str]:
    """The account names of the task groups, in page order."""
    names = []
    for part in page.split('class="task-group-head"')[1:]:
        link = part[part.index(">", part.index("<a ")) + 1 :]
        names.append(link[: link.index("</a>")])
    return names


@pytest.fixture
def day(alice, today_is, snapshot_run):
    big_green = account(alice, "Big green", 500_000, "green")
    red = account(alice, "Small red", 12_000, "red")
    yellow = account(alice, "Mid yellow", 60_000, "yellow")
    other_yellow = account(alice, "Other yellow", 60_000, "yellow")
    task(big_green, alice, "Overdue on green", due_in=-2)
    task(red, alice, "Red call", due_in=5)
    task(yellow, alice, "Yellow review", due_in=3)
    task(yellow, alice, "Yellow deck", due_in=0)
    task(other_yellow, alice, "Other yellow call", due_in=1)
    return big_green, red, yellow, other_yellow


def test_tasks_are_grouped_by_account_with_the_most_arr_at_risk_first_then_the_soonest_due(
    client, alice, day
):
    client.force_login(alice)

    page = client.get("/day/").content.decode()

    # Both yellows put 60,000 at risk: the one due sooner (today) first; green risks nothing.
    assert group_order(page) == ["Mid yellow", "Other yellow", "Small red", "Big green"]
    assert "$60,000 ARR at risk" in page
    yellow = page[page.index(">Mid yellow<") : page.index(">Other yellow<")]
    assert yellow.index("Yellow deck") < yellow.index("Yellow review")
    assert "2 tasks" in yellow


def test_a_csm_filters_her_day_by_playbook_and_due_day(client, alice, day):
    yellow = day[2]
    usage = make_playbook("usage_below", threshold=-30, name="Usage fell")
    run = usage.runs.create(account=yellow, signal="usage:x", as_of=AS_OF, anchor_on=AS_OF)
    task(yellow, alice, "Check in: usage is down", due_in=-1, source="playbook", run=run)
    client.force_login(alice)

    by_playbook = client.get(f"/day/?playbook={usage.pk}").content.decode()
    by_person = client.get("/day/?playbook=person").content.decode()
    overdue = client.get("/day/?due=overdue").content.decode()
    today = client.get("/day/?due=today").content.decode()
    week = client.get("/day/?due=week").content.decode()  # Monday: up to Sunday

    assert group_order(by_playbook) == ["Mid yellow"] and "Yellow deck" not in by_playbook
    assert f'<option value="{usage.pk}" selected>Usage fell</option>' in by_playbook
    assert "Check in: usage is down" not in by_person and "Red call" in by_person
    assert group_order(overdue) == ["Mid yellow", "Big green"]
    assert "Yellow deck" in today and "Red call" not in today
    assert "Red call" in week and "Overdue on green" not in week
    assert "No task matches these filters" in client.get("/day/?playbook=999").content.decode()


def test_a_stale_or_odd_filter_shows_the_whole_day(client, alice, day):
    client.force_login(alice)

    page = client.get("/day/?due=yesterday&playbook=drop table").content.decode()

    assert len(group_order(page)) == 4


def test_a_csm_completes_several_tasks_at_once_and_undoes_it(client, alice, day):
    snoozed = Task.objects.get(title="Red call")
    snoozed.status, snoozed.snoozed_until = "snoozed", TODAY + timedelta(days=2)
    snoozed.save()
    picked = [snoozed, Task.objects.get(title="Yellow deck")]
    client.force_login(alice)

    response = client.post(
        "/tasks/complete/", {"tasks": [t.pk for t in picked], "next": "/day/?due=week"}
    )

    assert response.status_code == 302 and response["Location"] == "/day/?due=week"
    assert set(Task.objects.filter(status="done").values_list("title", flat=True)) == {
        "Red call", "Yellow deck"
    }  # fmt: skip
    page = client.get("/day/").content.decode()
    assert "Done: 2 tasks." in page and "You just completed 2 tasks." in page
    assert "Red call" not in page

    client.post("/tasks/undo/", {"next": "/day/"})

    snoozed.refresh_from_db()
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", TODAY + timedelta(days=2))
    assert Task.objects.get(title="Yellow deck").status == "open"
    assert Task.objects.get(title="Yellow deck").completed_by is None
    page = client.get("/day/").content.decode()
    assert "Undone: 2 tasks open again." in page and "You just completed" not in page
    client.post("/tasks/undo/")
    assert "Nothing to undo." in client.get("/day/").content.decode()


def test_one_click_done_can_be_undone_too(client, alice, day):
    deck = Task.objects.get(title="Yellow deck")
    client.force_login(alice)

    client.post(f"/tasks/{deck.pk}/complete/")
    client.post("/tasks/undo/")

    deck.refresh_from_db()
    assert deck.status == "open"


def test_completing_at_once_reaches_only_tasks_of_visible_accounts(client, alice, bob, day):
    bobs = task(AccountFactory(owner=bob), bob, "Bob's call")
    client.force_login(alice)

    client.post("/tasks/complete/", {"tasks": [bobs.pk]})
    client.post("/tasks/complete/", {})

    bobs.refresh_from_db()
    assert bobs.status == "open"
    assert "Tick the tasks to complete first." in client.get("/day/").content.decode()


def test_undo_leaves_a_task_done_when_a_playbook_has_made_a_new_one_of_its_kind(client, alice, day):
    _green, red, _yellow, _other = day
    kind = "renewal_within:Prepare a review of {account}"
    first = task(red, alice, "Prepare a review of Small red", source="playbook", kind=kind)
    client.force_login(alice)
    client.post("/tasks/complete/", {"tasks": [first.pk]})
    task(red, alice, "Prepare a review of Small red", due_in=3, source="playbook", kind=kind)

    client.post("/tasks/undo/")

    first.refresh_from_db()
    assert first.status == "done"
    assert Task.objects.filter(kind=kind, status="open").count() == 1


def test_completing_tasks_at_once_costs_the_same_queries_for_2_or_20(
    client, alice, day, django_assert_max_num_queries
):
    yellow = day[2]
    client.force_login(alice)
    for size in (2, 20):
        ids = [task(yellow, alice, f"Batch {size}-{n}").pk for n in range(size)]
        # session, user, permissions (2), savepoint (2) around the locking select, the update
        # and the audit entries (one INSERT), the session's write in its own savepoint (3)
        with django_assert_max_num_queries(12):
            client.post("/tasks/complete/", {"tasks": ids})
        assert Task.objects.filter(pk__in=ids, status="done").count() == size
        with django_assert_max_num_queries(12):
            client.post("/tasks/undo/")
        assert Task.objects.filter(pk__in=ids, status="open").count() == size


def test_a_csm_reading_an_account_through_her_task_completes_only_her_own_at_once(
    client, alice, bob, leader, day
):
    acme = day[0]
    given = task(acme, bob, "Given to Bob", source="person", created_by=leader)
    alices = Task.objects.get(title="Overdue on green")
    client.force_login(bob)

    client.post("/tasks/complete/", {"tasks": [given.pk, alices.pk]})

    assert Task.objects.get(pk=given.pk).status == "done"
    assert Task.objects.get(pk=alices.pk).status == "open"
