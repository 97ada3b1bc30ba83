"""The playbook pages: list, detail with runs, dry run, the editor's validation, activation;
and the default playbooks the migration installs."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from playbooks.defaults import DEFAULT_NAMES
from playbooks.models import Condition, Playbook, PlaybookAction, PlaybookRun, Task
from playbooks.services import playbooks_evaluate
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(username="avery", groups=["Admin"])


@pytest.fixture
def renewals(alice, today_is, snapshot_run):
    """Three accounts renewing soon (one green), one renewing later."""
    for name, days, band in (("Acme", 30, "red"), ("Globex", 60, "yellow"),
                             ("Initech", 45, "green"), ("Later", 200, "red")):  # fmt: skip
        SnapshotFactory(account=AccountFactory(name=name, owner=alice), as_of=AS_OF,
                        days_to_renewal=days, health_band=band)  # fmt: skip


def default_renewal_playbook() -> Playbook:
    return Playbook.objects.get(name="Renewal in 90 days, not green")


def test_the_migration_installs_the_default_playbooks_inactive():
    defaults = Playbook.objects.filter(name__in=DEFAULT_NAMES)

    assert sorted(defaults.values_list("trigger", flat=True)) == sorted(
        ["band_entered", "renewal_within", "detractor", "champion_left", "usage_below",
         "seats_above", "onboarding"]
    )  # fmt: skip
    assert not defaults.filter(is_active=True).exists()
    onboarding = defaults.get(trigger="onboarding")
    assert list(onboarding.actions.values_list("day_offset", flat=True)) == [0, 14, 45]
    detractor = defaults.get(trigger="detractor").actions.get()
    assert (detractor.due_in_days, detractor.business_days) == (2, True)


def test_activate_default_playbooks_turns_them_on():
    out = io.StringIO()
    call_command("activate_default_playbooks", stdout=out)

    assert "Activated 7 default playbooks." in out.getvalue()
    assert Playbook.objects.filter(name__in=DEFAULT_NAMES, is_active=True).count() == 7


def test_a_dry_run_lists_who_would_enter_and_what_would_be_done_and_writes_nothing(
    client, leader, renewals
):
    client.force_login(leader)
    playbook = default_renewal_playbook()

    page = client.get(f"/playbooks/{playbook.pk}/dry-run/").content.decode()

    assert "<strong>2</strong> accounts would enter" in page
    assert "Acme" in page and "Globex" in page
    assert "Initech" not in page and "Later" not in page
    assert "Task “Prepare a business review for Acme” for Alice, due in 14 days" in page
    assert "in 30 days" in page  # why: the renewal
    assert not PlaybookRun.objects.exists() and not Task.objects.exists()


def test_a_dry_run_counts_the_accounts_that_entered_recently(client, leader, renewals):
    playbook = default_renewal_playbook()
    playbook.is_active = True
    playbook.save()
    playbooks_evaluate(as_of=AS_OF)
    client.force_login(leader)

    page = client.get(f"/playbooks/{playbook.pk}/dry-run/").content.decode()

    assert "<strong>0</strong> accounts would enter; <strong>2</strong> more match" in page


def test_the_dry_run_command_prints_each_playbook(renewals):
    out = io.StringIO()
    call_command("run_playbooks", "--dry-run", stdout=out)

    assert "Renewal in 90 days, not green (off): 2 would enter, 0 kept out" in out.getvalue()
    assert not PlaybookRun.objects.exists()


def test_run_playbooks_enrols_for_the_newest_snapshot(renewals):
    make_playbook("renewal_within", days=90)
    out = io.StringIO()
    call_command("run_playbooks", stdout=out)
    assert f"Playbooks on {AS_OF}: 3 new runs queued." in out.getvalue()


def test_the_playbook_page_lists_runs_with_their_steps(client, leader, renewals):
    playbook = make_playbook("renewal_within", days=90, conditions=[("health_band", "in", "red")])
    playbooks_evaluate(as_of=AS_OF)
    client.force_login(leader)

    page = client.get(f"/playbooks/{playbook.pk}/").content.decode()

    assert "Health band is one of red" in page
    assert "Acme" in page and f"renewal:{AS_OF + timedelta(days=30)}" in page
    assert "Create a task: pending" in page
    assert "Edit" not in page  # leaders read


def test_playbook_pages_are_for_leaders_and_admins(client, alice, today_is):
    playbook = make_playbook("champion_left")
    client.force_login(alice)

    for url in ("/playbooks/", f"/playbooks/{playbook.pk}/", f"/playbooks/{playbook.pk}/dry-run/"):
        assert client.get(url).status_code == 403


def test_only_admins_edit_and_activate(client, leader, admin, today_is):
    playbook = make_playbook("champion_left", active=False)
    client.force_login(leader)
    assert client.get(f"/playbooks/{playbook.pk}/edit/").status_code == 403
    assert client.post(f"/playbooks/{playbook.pk}/active/", {"active": "1"}).status_code == 403

    client.force_login(admin)
    client.post(f"/playbooks/{playbook.pk}/active/", {"active": "1"})
    playbook.refresh_from_db()
    assert playbook.is_active


def form_data(**overrides) -> dict:
    """A valid editor POST: a renewal playbook with one condition and one task."""
    data = {
        "name": "Renewal check", "description": "", "trigger": "renewal_within", "band": "",
        "points": "", "days": "60", "threshold": "", "view": "",
        "reenroll_after_days": "30",
        "conditions-TOTAL_FORMS": "1", "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "segment", "conditions-0-operator": "in",
        "conditions-0-value": "SMB, Enterprise",
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
        "actions-0-position": "1", "actions-0-kind": "create_task", "actions-0-day_offset": "0",
        "actions-0-title": "Call {account}", "actions-0-body": "", "actions-0-due_in_days": "3",
        "actions-0-priority": "normal", "actions-0-assignee_rule": "owner",
        "actions-0-assignee": "", "actions-0-url": "", "actions-0-stage": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_an_admin_creates_a_playbook_in_the_editor_and_it_starts_off(client, admin, today_is):
    client.force_login(admin)

    response = client.post("/playbooks/new/", form_data())

    playbook = Playbook.objects.get(name="Renewal check")
    assert response.status_code == 302 and response["Location"] == f"/playbooks/{playbook.pk}/"
    assert (playbook.trigger, playbook.days, playbook.is_active) == ("renewal_within", 60, False)
    assert Condition.objects.get(playbook=playbook).value == "SMB, Enterprise"
    assert PlaybookAction.objects.get(playbook=playbook).title == "Call {account}"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"days": ""}, "“Renewal in N days” needs the number of days."),
        ({"trigger": "health_fell", "points": "150", "days": "7"},
         "Health points are between 0 and 100"),
        ({"trigger": "filter_match"}, "needs a view"),
        ({"conditions-0-operator": "gte"}, "Compare a text field with"),
        ({"conditions-0-field": "mrr", "conditions-0-value": "lots",
          "conditions-0-operator": "gte"}, "“lots” is not a number."),
        ({"conditions-0-field": "owner", "conditions-0-value": "ghost"}, "No user named ghost."),
        ({"conditions-0-field": "lifecycle_stage", "conditions-0-value": "happy"},
         "Stages are prospect, trial, onboarding, active, churned; not happy."),
        ({"actions-0-title": ""}, "A task needs a title."),
        ({"actions-0-title": "Call {acount}"}, "Unknown placeholder {acount}"),
        ({"actions-0-assignee_rule": "user"}, "Choose the user, or another assignee rule."),
        ({"actions-0-kind": "webhook"}, "A webhook needs a URL."),
        ({"actions-0-kind": "set_stage"}, "Choose the lifecycle stage to set."),
        ({"actions-0-kind": "send_survey"}, "Choose the survey to send (NPS, CSAT, CES)."),
        ({"actions-TOTAL_FORMS": "0"}, "A playbook needs at least one action."),
    ],
)  # fmt: skip
def test_the_editor_refuses_bad_input_with_a_clear_message_and_writes_nothing(
    client, admin, today_is, overrides, message
):
    client.force_login(admin)

    response = client.post("/playbooks/new/", form_data(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Playbook.objects.filter(name="Renewal check").exists()


def test_the_editor_keeps_only_the_parameters_of_the_chosen_trigger(client, admin, today_is):
    client.force_login(admin)

    client.post("/playbooks/new/", form_data(threshold="50", band="red"))

    playbook = Playbook.objects.get(name="Renewal check")
    assert (playbook.threshold, playbook.band, playbook.days) == (None, "", 60)


def test_playbook_pages_state_the_trigger_with_the_playbooks_own_values(client, leader, renewals):
    usage = Playbook.objects.get(name="Usage down 30 %")
    make_playbook("health_fell", points=15.0, days=7, name="Fell")
    make_playbook("band_entered", band="red", name="Red")
    client.force_login(leader)

    listing = client.get("/playbooks/").content.decode()
    detail = client.get(f"/playbooks/{usage.pk}/").content.decode()
    dry_run = client.get(f"/playbooks/{default_renewal_playbook().pk}/dry-run/").content.decode()

    assert "<td>Renewal in 90 days</td>" in listing
    assert "<td>Usage trend below -30 %</td>" in listing
    assert "<td>Seat utilisation above 100 %</td>" in listing
    assert "<td>Health fell by 15 points in 7 days</td>" in listing
    assert "<td>Health entered the red band</td>" in listing
    assert "<dd>Usage trend below -30 %</dd>" in detail
    assert "<dd>Renewal in 90 days</dd>" in dry_run
    for page in (listing, detail, dry_run):
        assert "N days" not in page and "X %" not in page


def test_the_editor_labels_each_type_specific_field_with_its_types_for_readers_without_script(
    client, admin, today_is
):
    client.force_login(admin)

    page = client.get("/playbooks/new/").content.decode()

    assert 'data-show-for="health_fell renewal_within"' in page  # the days
    assert "(for “Health fell by N points in D days”, “Renewal in N days”)" in page
    assert 'data-show-for="webhook"' in page and "(for “Call a webhook”)" in page
    assert '<select name="trigger" data-type-select' in page
    assert 'src="/static/js/playbook-editor.js" defer' in page
    # Rows are added in place from the formsets' empty forms; the old advice only without script.
    assert '<template id="actions-empty">' in page and "actions-__prefix__-kind" in page
    assert '<template id="conditions-empty">' in page
    assert page.index("<noscript>") < page.index("Need more rows?") < page.index("</noscript>")


def test_the_playbook_list_costs_the_same_queries_for_few_or_many_playbooks(
    client, leader, today_is, django_assert_num_queries
):
    from accounts.models import View

    client.force_login(leader)
    for size in (1, 6):
        for n in range(size):
            saved = View.objects.create(name=f"Filter {size}-{n}", visibility="shared")
            make_playbook("filter_match", view=saved, name=f"Match {size}-{n}")
        # session, user, permissions (2), the playbooks with their filters and run counts,
        # the data freshness line (2) and its connectors
        with django_assert_num_queries(8):
            page = client.get("/playbooks/").content.decode()
        assert f"An account matches “Filter {size}-0” for the first time" in page
