"""My day in a real browser, on demo data with the default playbooks turned on.

A CSM logs in and lands on her day, full of tasks the playbooks made; she completes one and
snoozes another in one click each. A leader lands on the accounts list and finds the team view
under My day. The screenshot of her day is written to SCREENSHOT_DIR when it is set
(`docs/screenshots` for the docs), else to a tmp folder.
"""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.services import snapshot_recompute_range
from playbooks import services
from playbooks.defaults import install_default_playbooks
from playbooks.models import PlaybookRun, Task
from tests.browser.test_accounts_pages import DEMO_PASSWORD, log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_day(db, monkeypatch):
    """The demo portfolio with a year of snapshots; the default playbooks, activated, enrol
    accounts on the newest snapshot, and their actions are done here (no worker)."""
    monkeypatch.setattr(services, "runs_enqueue", lambda run_ids: len(run_ids))
    call_command(
        "seed_demo", accounts=120, seed=11, verbosity=0, i_know_this_is_not_production=True
    )
    install_default_playbooks(apps)
    call_command("activate_default_playbooks", verbosity=0)
    yesterday = timezone.localdate() - timedelta(days=1)
    snapshot_recompute_range(first=yesterday - timedelta(days=364), last=yesterday)
    for run_id in PlaybookRun.objects.values_list("pk", flat=True):
        services.run_execute(run_id=run_id)


def test_a_csm_lands_on_her_day_and_works_through_playbook_tasks(
    page: Page, live_server, demo_day, console_errors, screenshot_dir
):
    mine = Task.objects.filter(assignee__username="csm1", run__isnull=False)
    assert mine.count() >= 3, "the default playbooks made tasks for csm1"

    log_in(page, live_server, "csm1", DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/day/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My day")
    expect(page.locator('.mainnav a[aria-current="page"]')).to_have_text("My day")
    tasks = page.locator("#tasks .task")
    expect(tasks.first).to_be_visible()
    expect(page.locator("#tasks")).to_contain_text("from playbook")
    expect(page.locator("#renewals")).to_be_visible()
    expect(page.locator("#drops")).to_be_visible()
    page.screenshot(path=screenshot_dir / "my-day.png", full_page=True)

    count = tasks.count()
    title = tasks.first.locator(".task-title").inner_text()
    tasks.first.get_by_role("button", name=re.compile(r"^Complete: ")).click()
    expect(page.locator(".message-success")).to_contain_text("Done:")
    expect(page.locator("#tasks .task")).to_have_count(count - 1)
    assert Task.objects.filter(assignee__username="csm1", status="done").count() == 1
    assert title.removeprefix("High ").strip() in Task.objects.get(status="done").title

    snooze = re.compile(r"^Snooze to next week: ")
    page.locator("#tasks .task").first.get_by_role("button", name=snooze).click()
    expect(page.locator(".message-success")).to_contain_text("Snoozed until")
    assert Task.objects.filter(assignee__username="csm1", status="snoozed").count() == 1
    assert console_errors == []


def test_a_leader_lands_on_the_accounts_list_and_finds_the_team_view(
    page: Page, live_server, demo_day, console_errors
):
    log_in(page, live_server, "leader", DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")

    page.get_by_role("link", name="My day").click()

    team = page.locator("#team")
    expect(team).to_contain_text("Maya Patel")
    team.get_by_role("link", name="Maya Patel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Patel's day")
    expect(page.locator("#tasks .task").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Complete: "))).to_have_count(0)
    assert console_errors == []


@pytest.fixture
def busy_day(db):
    """A CSM with five tasks on three accounts, all due today."""
    alice = UserFactory(username="alice", groups=["CSM"])
    today = timezone.localdate()
    for name, titles in (("Acme", ["Call Acme", "Send Acme the deck"]),
                         ("Globex", ["Check in with Globex"]),
                         ("Initech", ["Plan Initech QBR", "Email Initech"])):  # fmt: skip
        account = AccountFactory(name=name, owner=alice)
        for title in titles:
            Task.objects.create(
                account=account, assignee=alice, title=title, due_on=today, source="person"
            )
    return alice


def test_a_csm_completes_ticked_tasks_at_once_and_undoes_it(
    page: Page, live_server, busy_day, console_errors
):
    log_in(page, live_server, "alice", "password")
    expect(page.locator("#tasks .task-group")).to_have_count(3)
    expect(page.locator("#tasks .task")).to_have_count(5)

    page.get_by_role("checkbox", name="Select: Call Acme").check()
    page.get_by_role("checkbox", name="Select: Email Initech").check()
    page.get_by_role("button", name="Complete selected").click()

    expect(page.locator(".message-success")).to_contain_text("Done: 2 tasks.")
    expect(page.locator("#tasks .task")).to_have_count(3)
    expect(page.locator("#undo")).to_contain_text("You just completed 2 tasks.")
    assert set(Task.objects.filter(status="done").values_list("title", flat=True)) == {
        "Call Acme", "Email Initech"
    }  # fmt: skip

    page.locator("#undo").get_by_role("button", name="Undo").click()

    expect(page.locator(".message-success")).to_contain_text("Undone: 2 tasks open again.")
    expect(page.locator("#tasks .task")).to_have_count(5)
    expect(page.locator("#undo")).to_have_count(0)
    assert not Task.objects.filter(status="done").exists()
    assert console_errors == []
