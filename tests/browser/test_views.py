"""Views as a CSM meets them in Chromium (issue 16): she filters her list, saves the filter as a
view (a name already taken is refused at its field), finds it on the views page with its count
and MRR, opens it again from there and in the portfolio."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import View
from tests.browser.test_accounts_pages import log_in
from tests.factories import AccountFactory, UserFactory
from tests.web.test_accounts import AS_OF, SnapshotFactory, snapshot_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(db):
    alice = UserFactory(username="alice", groups=["CSM"])
    snapshot_run(AS_OF)
    for name, segment, mrr, score in (
        ("Acme", "Enterprise", "5000.00", 85.0),
        ("Globex", "SMB", "800.00", 30.0),
        ("Hooli", "SMB", "1200.00", 35.0),
        ("Initech", "SMB", "2000.00", 75.0),
    ):
        account = AccountFactory(name=name, owner=alice, segment=segment)
        SnapshotFactory(account=account, mrr=Decimal(mrr), health_score=score)
    View.objects.create(name="Taken", owner=alice)
    return alice


def test_a_csm_saves_her_filter_as_a_view_and_applies_it_again(
    page: Page, live_server, book, console_errors, screenshot_dir
):
    log_in(page, live_server, "alice", "password")
    page.goto(f"{live_server.url}/")
    rows = page.locator("table.accounts-table tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Segment").select_option("SMB")
    page.get_by_label("Health").select_option("red")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(2)

    page.get_by_role("link", name="Save as a view").click()
    page.get_by_label("Name").fill("Taken")
    page.get_by_role("button", name="Save the view").click()
    expect(page.locator(".field-error")).to_have_text("There is already a view named “Taken”.")
    page.get_by_label("Name").fill("Red SMB")
    page.get_by_role("button", name="Save the view").click()

    expect(page.get_by_text("Saved the view “Red SMB”.")).to_be_visible()
    summary = page.locator(".view-summary")
    expect(summary).to_contain_text("Red SMB: 2 accounts · MRR $2,000")
    expect(rows).to_have_count(2)

    page.goto(f"{live_server.url}/")  # the list again, unfiltered
    expect(rows).to_have_count(4)
    page.get_by_role("link", name="Pick a view").click()
    row = page.locator("table.views-table tr", has_text="Red SMB")
    expect(row.locator("td.num").first).to_have_text("2")
    expect(row.locator("td.num").nth(1)).to_have_text("$2,000")
    page.screenshot(path=screenshot_dir / "views.png", full_page=True)
    row.get_by_role("link", name="Red SMB").click()

    expect(rows).to_have_count(2)
    expect(page.get_by_label("Segment")).to_have_value("SMB")
    expect(page.get_by_label("Health")).to_have_value("red")
    page.screenshot(path=screenshot_dir / "accounts-list-view.png", full_page=True)

    page.get_by_role("link", name="Views").first.click()
    page.locator("table.views-table tr", has_text="Red SMB").get_by_role(
        "link", name="in the portfolio"
    ).click()
    expect(page.locator("select[name=view]")).to_have_value(
        str(View.objects.get(name="Red SMB").pk)
    )
    # The refused save answered 400 (the browser logs that status); nothing else went wrong.
    assert [e for e in console_errors if "status of 400" not in e] == []
