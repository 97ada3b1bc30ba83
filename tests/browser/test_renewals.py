"""The renewal desk in a real browser: a CSM records her call on a renewal and sees it beside
the model's number; a leader reads the quarter's forecast (model, calls, blend) and how last
quarter's forecasts fared. Screenshots go to SCREENSHOT_DIR when it is set (docs/screenshots)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from metrics.services import snapshot_recompute
from renewals.models import ChurnReason, RenewalCall, RenewalOutcome
from renewals.quarters import quarter_end, quarter_start
from renewals.services import forecast_after_snapshot, outcomes_after_snapshot
from tests.browser.test_accounts_pages import log_in
from tests.factories import ContractFactory, UserFactory
from tests.renewals.conftest import renewal, score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["Acme Corp", "Borealis", "Cobalt Labs", "Dunmore", "Evergreen", "Fjord AI", "Granite",
         "Halcyon", "Ironwood", "Juniper"]  # fmt: skip


@pytest.fixture
def desk(db):
    """Two CSMs' renewals this quarter and last, scored by the churn model; last quarter's
    forecasts stored 90, 60 and 30 days before its end, and its outcomes known."""
    today = timezone.localdate()
    casey = UserFactory(username="casey", first_name="Casey", last_name="Ng", groups=["CSM"])
    drew = UserFactory(username="drew", first_name="Drew", last_name="Park", groups=["CSM"])
    UserFactory(username="lena", first_name="Lena", groups=["Leader"])
    last_end = quarter_start(today) - timedelta(days=1)
    last_start = quarter_start(last_end)
    old = []
    for n in range(8):
        owner = casey if n % 2 else drew
        ends = last_start + timedelta(days=8 + n * 10)
        term = renewal(owner, ends=ends, mrr=str(800 + 350 * n), name=f"Past {NAMES[n]}",
                       segment=("SMB", "Mid-Market", "Enterprise")[n % 3])  # fmt: skip
        score(term.account, as_of=last_end - timedelta(days=100), p=0.08 + 0.07 * n)
        old.append(term)
    RenewalCall.objects.create(contract=old[1], call="commit", author=casey)
    RenewalCall.objects.create(contract=old[3], call="at_risk", churn_probability=0.7,
                               author=casey)  # fmt: skip
    for lead in (90, 60, 30):
        forecast_after_snapshot(last_end - timedelta(days=lead))
    for n, term in enumerate(old):
        if n not in (3, 6):  # two churn, one downsells, the others renew
            mrr = term.mrr * Decimal("0.6") if n == 5 else term.mrr + (100 if n == 2 else 0)
            ContractFactory(account=term.account, start_date=term.end_date + timedelta(days=1),
                            mrr=mrr)  # fmt: skip
    for n in range(10):
        owner = casey if n < 7 else drew
        segment = ("SMB", "Mid-Market", "Enterprise")[n % 3]
        ends = today + timedelta(days=6 + n * 9)
        term = renewal(owner, ends=ends, mrr=str(600 + 420 * n), name=NAMES[n], segment=segment)
        if n == 4:
            score(term.account, as_of=today, p=None, reason="Under 60 days of snapshots")
        else:
            score(term.account, as_of=today, p=round(0.05 + 0.06 * n, 2))
    snapshot_recompute(as_of=today)
    outcomes_after_snapshot(today)
    budget = ChurnReason.objects.get(name="Budget cut")
    RenewalOutcome.objects.filter(contract=old[6]).update(reason=budget)
    return {"casey": casey, "last_end": last_end, "last_quarter": quarter_end(last_start)}


def test_a_csm_records_her_call_beside_the_models_number(
    page: Page, live_server, desk, console_errors, screenshot_dir
):
    log_in(page, live_server, "casey", "password")
    page.goto(f"{live_server.url}/renewals/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Renewals")
    rows = page.locator(".renewals-table tbody tr")
    expect(rows).to_have_count(7)  # hers only: Drew's three are not listed
    first = rows.filter(has_text="Acme Corp")
    expect(first.locator(".model-p")).to_contain_text("5%")
    first.get_by_text("Record call").click()
    first.get_by_label("At risk").check()
    first.get_by_label("Chance of churn (%)").fill("60")
    first.get_by_label("Note").fill("Sponsor moved on; budget review in May.")
    first.get_by_role("button", name="Save call").click()

    expect(page.get_by_text("Your call on Acme Corp is saved.")).to_be_visible()
    first = page.locator(".renewals-table tbody tr").filter(has_text="Acme Corp")
    expect(first.locator(".stage")).to_have_text("At risk")
    expect(first.locator(".csm-p")).to_have_text("60%")
    expect(first.locator(".model-p")).to_contain_text("5%")  # the model's number is unchanged
    expect(page.locator("#outcomes")).to_contain_text("Past Dunmore")  # waiting for a reason
    assert console_errors == []
    page.screenshot(path=screenshot_dir / "renewals.png", full_page=True)


def test_a_leader_reads_the_forecast_and_how_last_quarter_fared(
    page: Page, live_server, desk, console_errors, screenshot_dir
):
    log_in(page, live_server, "lena", "password")
    page.goto(f"{live_server.url}/renewals/forecast/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Renewal forecast")
    table = page.locator(".forecast-table")
    for source in ("Model", "CSM calls", "Blend"):
        expect(table.get_by_role("columnheader", name=source)).to_be_visible()
    expect(page.locator("#chart-forecast .main-svg").first).to_be_visible()
    scorecard = page.locator(".scorecard")
    expect(scorecard).to_contain_text("90 days before")
    expect(scorecard.get_by_role("rowheader", name="Casey Ng")).to_be_visible()
    expect(scorecard.get_by_role("rowheader", name="Portfolio")).to_be_visible()
    assert console_errors == []
    page.screenshot(path=screenshot_dir / "renewals-forecast.png", full_page=True)

    page.get_by_role("link", name="Reasons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Churn reasons")
    expect(page.locator("#chart-reasons .main-svg").first).to_be_visible()
    assert console_errors == []
    page.screenshot(path=screenshot_dir / "renewals-reasons.png", full_page=True)
