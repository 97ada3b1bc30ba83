"""The accounts list and the account 360 page in a real browser, on demo data.

A CSM's day: log in, open the list, filter it, open an account, read its charts (each must have
rendered, with no console error), record a sentiment. Full-page screenshots are written to
SCREENSHOT_DIR when it is set (`docs/screenshots` for the README), else to a tmp folder.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.access import accounts_visible_to
from accounts.models import Account
from metrics.models import AccountSnapshot
from metrics.services import snapshot_recompute_range
from tests.factories import AccountFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; serialized rollback restores the migrations' rows
    # (roles, the default health model) that the flush after each test removes.
    pytest.mark.django_db(transaction=True),
]

DEMO_PASSWORD = "northstar-demo"
CHART_NAMES = ("health", "mrr", "usage", "adoption", "tickets", "surveys")


@pytest.fixture
def demo_data(db):
    """A small demo portfolio (the seed_demo generator) with 200 days of snapshots."""
    call_command("seed_demo", accounts=60, seed=11, verbosity=0, i_know_this_is_not_production=True)
    yesterday = timezone.localdate() - timedelta(days=1)
    snapshot_recompute_range(first=yesterday - timedelta(days=364), last=yesterday)


def log_in(page: Page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def biggest_account_at_risk(user) -> Account:
    """The account a CSM opens first: the largest MRR among her red and yellow accounts that
    have been customers for the whole year the page charts."""
    as_of = timezone.localdate() - timedelta(days=1)
    snapshot = (
        AccountSnapshot.objects.filter(
            account__in=accounts_visible_to(user),
            as_of=as_of,
            health__band__in=["red", "yellow"],
            mrr__gt=0,
            customer_since__lte=as_of - timedelta(days=365),
        )
        .order_by("-mrr")
        .select_related("account")
        .first()
    )
    return snapshot.account


def test_a_csm_filters_her_accounts_and_reads_an_account_360(
    page: Page, live_server, demo_data, console_errors, screenshot_dir, django_user_model
):
    log_in(page, live_server, "csm1", DEMO_PASSWORD)
    page.get_by_role("link", name="My accounts").click()  # CSMs land on My day

    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    expect(page.locator(".freshness")).to_contain_text("Data as of")
    rows = page.locator("table.accounts-table tbody tr")
    expect(rows.first).to_be_visible()
    page.screenshot(path=screenshot_dir / "accounts-list.png", full_page=True)

    page.get_by_label("Segment").select_option("SMB")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"segment=SMB"))
    for text in page.locator("td.cell-account .cell-sub").all_inner_texts():
        assert text.startswith("SMB")

    page.get_by_role("link", name="MRR").click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("MRR")

    account = biggest_account_at_risk(django_user_model.objects.get(username="csm1"))
    page.goto(f"{live_server.url}/?q={account.name}")
    # The row's link: on some days the account also heads the open alerts above the table.
    page.locator("table.accounts-table").get_by_role("link", name=account.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(account.name)

    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(len(CHART_NAMES))
    for name in CHART_NAMES:
        expect(page.locator(f"#chart-{name} .main-svg").first).to_be_attached()
    expect(page.locator("#why table")).to_be_visible()
    expect(page.locator("#movement .movement-summary")).to_contain_text("Health")

    page.locator("#sentiment").get_by_text("Yellow").click()
    page.get_by_label("Why", exact=True).fill("Budget review next quarter; sponsor still engaged.")
    page.get_by_role("button", name="Record sentiment").click()
    expect(page.locator(".message-success")).to_contain_text("Your sentiment is recorded")
    expect(page.locator("#sentiment-summary")).to_contain_text("Yellow")

    page.get_by_label("Add a note").fill("QBR booked for next Tuesday; bring the usage review.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#timeline")).to_contain_text("QBR booked for next Tuesday")
    expect(page.locator(".js-plotly-plot")).to_have_count(len(CHART_NAMES))
    page.screenshot(path=screenshot_dir / "account-360.png", full_page=True)

    assert console_errors == []


def test_the_login_page_and_an_empty_list_render_without_console_errors(
    page: Page, live_server, console_errors
):
    UserFactory(username="newcsm", groups=["CSM"])
    AccountFactory(name="Someone else's")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    log_in(page, live_server, "newcsm", "password")
    # CSMs land on My day
    expect(page.locator("#tasks")).to_contain_text("Nothing due in the next two weeks.")
    page.get_by_role("link", name="My accounts").click()

    expect(page.locator("td.empty")).to_contain_text("You own no accounts yet")
    expect(page.locator(".freshness")).to_contain_text("No snapshot has been computed yet")
    assert console_errors == []


def test_a_csm_gets_a_not_found_page_for_another_owners_account(page: Page, live_server):
    UserFactory(username="newcsm", groups=["CSM"])
    hidden = AccountFactory(name="Hidden")
    log_in(page, live_server, "newcsm", "password")

    response = page.goto(f"{live_server.url}/accounts/{hidden.pk}/")

    assert response.status == 404
