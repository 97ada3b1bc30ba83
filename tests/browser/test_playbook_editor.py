"""The playbook editor in a real browser: only the chosen trigger's and action's fields show,
and rows are added in place; the playbook saved is the one on the screen."""

import pytest
from playwright.sync_api import Page, expect

from playbooks.models import Playbook
from tests.browser.test_accounts_pages import log_in
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def admin(db):
    return UserFactory(username="avery", groups=["Admin"])


def field(page: Page, name: str):
    """The field block (label, widget, help) of the input named `name`."""
    return page.locator(".field").filter(has=page.locator(f'[name="{name}"]'))


def test_the_editor_shows_only_the_chosen_types_fields_and_adds_steps_in_place(
    page: Page, live_server, admin, console_errors
):
    log_in(page, live_server, "avery", "password")
    page.goto(f"{live_server.url}/playbooks/new/")

    page.locator("#id_name").fill("Renewal call")
    page.locator("#id_trigger").select_option("renewal_within")
    expect(field(page, "days")).to_be_visible()
    expect(field(page, "points")).to_be_hidden()
    expect(field(page, "threshold")).to_be_hidden()
    expect(field(page, "band")).to_be_hidden()
    page.locator("#id_trigger").select_option("health_fell")
    expect(field(page, "points")).to_be_visible()
    expect(page.locator(".applies-to").first).to_be_hidden()  # the no-script labels go
    page.locator("#id_trigger").select_option("renewal_within")
    page.locator('[name="days"]').fill("60")

    expect(field(page, "actions-0-title")).to_be_hidden()  # an empty row: no kind chosen yet
    page.locator('[name="actions-0-kind"]').select_option("create_task")
    expect(field(page, "actions-0-title")).to_be_visible()
    expect(field(page, "actions-0-assignee_rule")).to_be_visible()
    expect(field(page, "actions-0-url")).to_be_hidden()
    page.locator('[name="actions-0-title"]').fill("Call {account}")

    page.get_by_role("button", name="Add a step").click()
    expect(page.locator('[data-rows="actions"] fieldset')).to_have_count(2)
    expect(page.locator("#id_actions-TOTAL_FORMS")).to_have_value("2")
    expect(page.locator('[name="actions-1-position"]')).to_have_value("2")
    page.locator('[name="actions-1-kind"]').select_option("webhook")
    expect(field(page, "actions-1-url")).to_be_visible()
    expect(field(page, "actions-1-title")).to_be_hidden()
    page.locator('[name="actions-1-kind"]').select_option("add_note")
    expect(field(page, "actions-1-body")).to_be_visible()
    expect(field(page, "actions-1-url")).to_be_hidden()
    expect(field(page, "actions-1-title")).to_be_hidden()
    expect(field(page, "actions-0-title")).to_be_visible()  # the first step keeps its fields
    page.locator('[name="actions-1-body"]').fill("Renewal call planned for {account}.")

    page.get_by_role("button", name="Add a condition").click()
    expect(page.locator('[data-rows="conditions"] fieldset')).to_have_count(3)
    page.locator('[name="conditions-2-field"]').select_option("segment")
    page.locator('[name="conditions-2-operator"]').select_option("in")
    page.locator('[name="conditions-2-value"]').fill("Enterprise")

    page.get_by_role("button", name="Save playbook").click()

    expect(page.locator(".message-success")).to_contain_text("Saved “Renewal call”")
    playbook = Playbook.objects.get(name="Renewal call")
    assert (playbook.trigger, playbook.days, playbook.points) == ("renewal_within", 60, None)
    assert [(a.position, a.kind) for a in playbook.actions.all()] == [
        (1, "create_task"),
        (2, "add_note"),
    ]
    assert playbook.actions.get(kind="add_note").body == "Renewal call planned for {account}."
    assert [str(c) for c in playbook.conditions.all()] == ["Segment is one of Enterprise"]
    assert console_errors == []
