"""My day, task actions, the team view, login landing, the account timeline and access rules.

alice and bob are CSMs, `leader` sees every account, `admin_user` edits playbooks.
"""

from datetime import timedelta

import pytest

from healthscores.models import Alert
from playbooks.models import PlaybookRun, RunStatus, Task
from playbooks.services import playbooks_evaluate, run_execute
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import AS_OF, TODAY, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


def task(account, assignee, title: str, due_in: int = 0, **fields) -> Task:
    fields.setdefault("source", "person")
    return Task.objects.create(account=account, assignee=assignee, title=title,
                               due_on=TODAY + timedelta(days=due_in), **fields)  # fmt: skip


@pytest.fixture
def alices_day(alice, today_is, snapshot_run):
    acme = AccountFactory(owner=alice, name="Acme")
    globex = AccountFactory(owner=alice, name="Globex")
    task(acme, alice, "Overdue call", due_in=-3, priority="high")
    task(acme, alice, "Send deck today")
    task(globex, alice, "Plan QBR", due_in=5)
    task(globex, alice, "Far away", due_in=40)
    task(globex, alice, "Already done", status="done")
    SnapshotFactory(account=acme, as_of=AS_OF, days_to_renewal=45, health_score=35.0,
                    health_band="red")  # fmt: skip
    SnapshotFactory(account=acme, as_of=AS_OF - timedelta(days=7), health_score=60.0,
                    health_band="yellow")  # fmt: skip
    SnapshotFactory(account=globex, as_of=AS_OF, days_to_renewal=200)
    Alert.objects.create(account=acme, owner=alice, reason="entered_red", as_of=AS_OF)
    return acme, globex


def test_my_day_shows_a_csms_tasks_alerts_renewals_and_health_drops(client, alice, alices_day):
    client.force_login(alice)

    page = client.get("/day/").content.decode()

    assert "My day" in page
    assert page.index("Overdue call") < page.index("Send deck today") < page.index("Plan QBR")
    assert "Far away" not in page and "Already done" not in page
    assert "1 overdue, 1 due today, 1 in the next two weeks" in page
    assert "Entered red" in page
    renewals = page[page.index('id="renewals"') : page.index('id="drops"')]
    assert "Acme" in renewals and "Globex" not in renewals
    drops = page[page.index('id="drops"') :]
    assert "Acme" in drops and "\u221225" in drops  # fell from 60 to 35


def test_my_day_costs_the_same_queries_for_few_or_many_tasks(
    client, alice, alices_day, django_assert_max_num_queries
):
    acme, _globex = alices_day
    client.force_login(alice)
    for size in (3, 30):
        for n in range(size):
            task(acme, alice, f"Task {size}-{n}", due_in=n % 10 - 3)
        # session, user, permissions (2), freshness (2), tasks, alerts, renewals, drops,
        # assignable users (2)
        with django_assert_max_num_queries(13):
            assert client.get("/day/").status_code == 200


def test_completing_a_task_takes_one_click_and_returns_to_my_day(client, alice, alices_day):
    client.force_login(alice)
    overdue = Task.objects.get(title="Overdue call")

    response = client.post(f"/tasks/{overdue.pk}/complete/", {"next": "/day/"})

    assert response.status_code == 302 and response["Location"] == "/day/"
    overdue.refresh_from_db()
    assert (overdue.status, overdue.completed_by) == ("done", alice)
    page = client.get("/day/").content.decode()
    assert "Done: Overdue call." in page
    assert f'id="task-{overdue.pk}"' not in page


def test_a_snoozed_task_leaves_the_day_and_comes_back_on_its_date(
    client, alice, alices_day, today_is
):
    client.force_login(alice)
    due = Task.objects.get(title="Send deck today")

    client.post(f"/tasks/{due.pk}/snooze/", {"days": "7"})

    due.refresh_from_db()
    assert (due.status, due.snoozed_until) == ("snoozed", TODAY + timedelta(days=7))
    page = client.get("/day/").content.decode()
    line = page[page.index(f'id="task-{due.pk}"') :]
    assert f"snoozed until {TODAY + timedelta(days=7):%-d %b}" in line[: line.index("</li>")]
    assert "1 overdue, 0 due today, 2 in the next two weeks" in page
    today_is(TODAY + timedelta(days=7))
    page = client.get("/day/").content.decode()
    line = page[page.index(f'id="task-{due.pk}"') :]
    assert "Due today" in line[: line.index("</li>")]


def test_a_snooze_that_is_not_offered_is_refused_with_a_message(client, alice, alices_day):
    client.force_login(alice)
    due = Task.objects.get(title="Send deck today")

    response = client.post(f"/tasks/{due.pk}/snooze/", {"days": "-3"}, follow=True)

    assert "Snooze until tomorrow or next week." in response.content.decode()
    due.refresh_from_db()
    assert due.status == "open"


def test_a_reassigned_task_moves_to_the_other_csms_day_with_access_to_its_account(
    client, alice, bob, alices_day
):
    acme, _ = alices_day
    client.force_login(alice)
    call = Task.objects.get(title="Overdue call")

    client.post(f"/tasks/{call.pk}/reassign/", {"assignee": bob.pk})

    call.refresh_from_db()
    assert call.assignee == bob
    client.force_login(bob)
    assert "Overdue call" in client.get("/day/").content.decode()
    # Bob may open Acme while he holds an unfinished task on it, and not after it is done.
    assert client.get(f"/accounts/{acme.pk}/").status_code == 200
    client.post(f"/tasks/{call.pk}/complete/")
    assert client.get(f"/accounts/{acme.pk}/").status_code == 404


def test_a_task_cannot_go_to_someone_who_cannot_work_on_tasks(client, alice, leader, alices_day):
    client.force_login(alice)
    call = Task.objects.get(title="Overdue call")

    response = client.post(f"/tasks/{call.pk}/reassign/", {"assignee": leader.pk}, follow=True)

    assert "Choose someone who can be given tasks." in response.content.decode()
    call.refresh_from_db()
    assert call.assignee == alice


def test_another_csms_task_is_not_found(client, alice, bob, today_is):
    hidden = task(AccountFactory(owner=bob), bob, "Bob's")
    client.force_login(alice)

    for action in ("complete", "snooze", "reassign"):
        assert client.post(f"/tasks/{hidden.pk}/{action}/", {"days": 1}).status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == "open"


def test_a_leader_reads_tasks_but_does_not_work_on_them(client, alice, leader, alices_day):
    client.force_login(leader)
    call = Task.objects.get(title="Overdue call")

    assert client.post(f"/tasks/{call.pk}/complete/").status_code == 403
    call.refresh_from_db()
    assert call.status == "open"


def test_a_leader_sees_the_team_view_and_opens_a_csms_day(client, alice, bob, leader, alices_day):
    task(AccountFactory(owner=bob), bob, "Bob's late one", due_in=-1)
    client.force_login(leader)

    page = client.get("/day/").content.decode()
    team = page[page.index('id="team"') : page.index('id="tasks"')]
    assert "Alice" in team and "Bob" in team
    alice_row = team[team.index("Alice") :].split("</tr>")[0]
    # unfinished 4 (Far away counts), overdue 1, due today 1, done in 7 days 0
    assert [cell.split(">")[-1] for cell in alice_row.split("</td>")[:-1]] == ["4", "1", "1", "0"]

    alices = client.get("/day/", {"user": alice.pk}).content.decode()
    assert "Alice's day" in alices and "Overdue call" in alices and 'id="team"' not in alices
    assert "Reassign" not in alices  # a leader reads it


def test_a_csm_cannot_open_someone_elses_day(client, alice, bob, today_is):
    client.force_login(alice)
    assert client.get("/day/", {"user": bob.pk}).status_code == 403


def test_csms_land_on_my_day_after_login_and_leaders_on_the_accounts_list(client, today_is):
    UserFactory(username="csm", groups=["CSM"])
    UserFactory(username="boss", groups=["Leader"])

    csm = client.post("/login/", {"username": "csm", "password": "password"})
    assert csm["Location"] == "/day/"
    client.logout()
    boss = client.post("/login/", {"username": "boss", "password": "password"})
    assert boss["Location"] == "/"
    client.logout()
    nexted = client.post("/login/?next=/portfolio/", {"username": "csm", "password": "password"})
    assert nexted["Location"] == "/portfolio/"


def test_my_day_is_the_first_nav_item(client, alice, today_is):
    client.force_login(alice)
    page = client.get("/").content.decode()
    nav = page[page.index('aria-label="Main"') :]
    assert nav.index("My day") < nav.index("My accounts")


def test_tasks_and_playbook_runs_appear_on_the_account_timeline(client, alice, today_is):
    acme = AccountFactory(owner=alice, name="Acme")
    SnapshotFactory(account=acme, as_of=AS_OF, days_to_renewal=20)
    make_playbook("renewal_within", name="Renewal prep", days=90,
                  actions=[{"kind": "create_task", "title": "Prepare the QBR"}])  # fmt: skip
    (run_id,) = playbooks_evaluate(as_of=AS_OF)
    run_execute(run_id=run_id)
    client.force_login(alice)

    page = client.get(f"/accounts/{acme.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]

    assert "“Renewal prep” started" in timeline
    assert "1 of 1 actions done" in timeline
    assert "Prepare the QBR" in timeline and "from playbook “Renewal prep”" in timeline
    assert PlaybookRun.objects.get().status == RunStatus.DONE


def test_a_csm_adds_a_task_from_the_account_page(client, alice, today_is):
    acme = AccountFactory(owner=alice)
    client.force_login(alice)

    response = client.post(f"/accounts/{acme.pk}/tasks/",
                           {"title": "Send the deck", "due_on": "2025-06-20",
                            "priority": "high"})  # fmt: skip

    assert response.status_code == 302
    new = Task.objects.get()
    assert (new.title, new.assignee, new.created_by, new.source) == (
        "Send the deck", alice, alice, "person",
    )  # fmt: skip


def test_a_task_without_a_title_or_date_is_refused_with_the_errors_at_their_fields(
    client, alice, today_is
):
    acme = AccountFactory(owner=alice)
    client.force_login(alice)

    response = client.post(f"/accounts/{acme.pk}/tasks/", {"title": "", "due_on": "soon"})

    assert response.status_code == 400  # the page itself, not a redirect that forgets the form
    page = response.content.decode()
    assert '<p class="field-error" id="task-title-error">This field is required.</p>' in page
    assert '<p class="field-error" id="task-due-error">Enter a valid date.</p>' in page
    assert not Task.objects.exists()


def test_a_refused_task_keeps_what_was_typed(client, alice, today_is):
    acme = AccountFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        f"/accounts/{acme.pk}/tasks/", {"title": "Send the QBR deck", "priority": "high"}
    )

    page = response.content.decode()
    assert 'value="Send the QBR deck" aria-invalid' not in page  # the title was fine
    assert 'value="Send the QBR deck"' in page
    assert '<option value="high" selected>' in page
    assert 'id="id_task_due" required value="" aria-invalid="true"' in page


def test_an_added_task_is_confirmed_beside_its_form_not_at_the_top_of_the_page(
    client, alice, today_is
):
    acme = AccountFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        f"/accounts/{acme.pk}/tasks/",
        {"title": "Send the deck", "due_on": "2025-06-20", "priority": "normal"},
        follow=True,
    )

    page = response.content.decode()
    assert '<span class="message-success">Task added to your day.</span></p>' in page
    assert page.index("Task added to your day.") > page.index('id="tasks-status"')
    assert page.count("Task added to your day.") == 1  # not also at the top of the page


def test_the_accounts_of_the_tasks_page_cost_no_extra_queries_for_csms(
    client, alice, today_is, django_assert_max_num_queries
):
    AccountFactory.create_batch(3, owner=alice)
    client.force_login(alice)
    # The same budget as the accounts list test: the access rule's task clause is a subquery,
    # and a CSM's visible ids are read once for the page (accounts.access.visible_ids_memo).
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200
