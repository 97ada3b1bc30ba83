"""Company groups and custom fields as a CSM meets them in Chromium (issue 16): she cuts her
list by a group and by a field, opens the parent's 360 page, reads its members and roll-up, and
edits the account's fields (a bad value is refused with its message, a good one is saved)."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Account, CustomField
from tests.browser.test_accounts_pages import log_in
from tests.factories import AccountFactory, UserFactory
from tests.web.test_accounts import AS_OF, SnapshotFactory, snapshot_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(db):
    alice = UserFactory(username="alice", groups=["CSM"])
    snapshot_run(AS_OF)
    CustomField.objects.create(target="accounts", key="tier", label="Tier", field_type="choice",
                               choices=["Gold", "Silver"])  # fmt: skip
    CustomField.objects.create(target="accounts", key="employees", label="Employees",
                               field_type="number")  # fmt: skip
    holding = AccountFactory(name="Globex Holding", owner=alice, custom={"tier": "Gold"})
    uk = AccountFactory(name="Globex UK", parent=holding, custom={"tier": "Silver"})
    AccountFactory(name="Initech", owner=alice, custom={"tier": "Gold"})
    SnapshotFactory(account=holding, mrr=Decimal("1000.00"), health_score=90.0)
    SnapshotFactory(account=uk, mrr=Decimal("3000.00"), health_score=30.0)
    return holding


def test_a_csm_cuts_her_list_by_group_and_field_and_edits_a_parents_fields(
    page: Page, live_server, book, console_errors, screenshot_dir
):
    log_in(page, live_server, "alice", "password")
    page.goto(f"{live_server.url}/")
    rows = page.locator("table.accounts-table tbody tr")
    expect(rows).to_have_count(3)  # the subsidiary's owner is nobody: she sees it as the parent's

    picker = page.get_by_role("combobox", name="Company group")
    picker.fill("glob")
    options = page.locator("#id_group-options [role=option]")
    expect(options).to_have_count(1)  # Globex Holding: the only account with children
    expect(options.first).to_contain_text("Globex Holding")
    picker.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box = page.locator("form.filters").bounding_box()  # with the suggestions below it
    page.screenshot(
        path=screenshot_dir / "accounts-group-picker.png",
        clip={**box, "height": box["height"] + 90},
    )
    picker.press("Enter")  # chooses; does not submit
    expect(picker).to_have_value("Globex Holding")
    expect(page.locator("#id_group-options")).to_be_hidden()
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_role("combobox", name="Company group")).to_have_value("Globex Holding")
    page.get_by_label("Tier").select_option("Gold")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    page.screenshot(path=screenshot_dir / "accounts-list-group-and-field.png")

    rows.first.get_by_role("link", name="Globex Holding").click()
    group = page.locator("#group")
    expect(group.locator("#group-members tbody tr")).to_have_count(1)
    expect(group.locator("#group-mrr")).to_contain_text("$4,000")
    expect(group.locator("#group-health")).to_contain_text("45")  # (90 x 1000 + 30 x 3000) / 4000
    expect(group.locator("#group-worst")).to_contain_text("Red")

    fields = page.locator("#fields")
    expect(fields.locator("[data-key=tier] dd")).to_have_text("Gold")
    fields.get_by_text("Edit fields").click()
    fields.get_by_label("Employees").fill("lots")
    fields.get_by_role("button", name="Save fields").click()
    expect(page.locator("#fields .field-error")).to_contain_text("is not a number")
    page.locator("#fields").get_by_label("Employees").fill("12500")
    page.locator("#fields").get_by_label("Tier").select_option("Silver")
    page.locator("#fields").get_by_role("button", name="Save fields").click()

    expect(page.get_by_text("Fields saved.")).to_be_visible()
    expect(page.locator("#fields [data-key=employees] dd")).to_have_text("12,500")
    page.screenshot(path=screenshot_dir / "account-group-and-fields.png", full_page=True)
    assert Account.objects.get(pk=book.pk).custom == {"tier": "Silver", "employees": 12500}
    # The refused save answered 400 (the browser logs that status); nothing else went wrong.
    assert [e for e in console_errors if "status of 400" not in e] == []
