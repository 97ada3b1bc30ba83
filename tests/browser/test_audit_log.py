"""The audit log in Chromium: an admin signs in, finds her own sign-in at the top, narrows the
log to a playbook's changes, reads a change's old and new values, and downloads the CSV."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audit import services
from audit.context import Actor, acting_as
from audit.models import ActorKind
from tests.factories import AccountFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_admin_filters_the_audit_log_and_reads_a_change(
    page: Page, live_server, console_errors, screenshot_dir
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    maya = UserFactory(username="maya", first_name="Maya")
    acme, globex = AccountFactory(name="Acme"), AccountFactory(name="Globex")
    with acting_as(Actor.user(maya, "203.0.113.9")):
        services.record("account.update", obj=acme, changes={"segment": ["SMB", "Enterprise"]})
        name = "accounts-2026-12-01.csv"
        services.record(
            "export.accounts", label=name, details={"filename": name, "query": {"q": ["A"]}}
        )
    with acting_as(Actor(ActorKind.PLAYBOOK, 1, "Renewal risk")):
        services.record("account.update", obj=globex,
                        changes={"lifecycle_stage": ["active", "onboarding"]})  # fmt: skip
    services.record("snapshot.recompute", label="Snapshots of 2026-12-02",
                    details={"accounts": 10_000})  # fmt: skip

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Audit log").click()

    rows = page.locator("table.audit-table tbody tr")
    expect(rows.first).to_contain_text("user.sign_in")
    expect(rows.first).to_contain_text("127.0.0.1")
    expect(page.get_by_text("203.0.113.9").first).to_be_visible()
    page.get_by_text("1 field", exact=True).first.click()
    page.screenshot(path=screenshot_dir / "audit-log.png", full_page=True)

    page.get_by_label("Actor kind").select_option("playbook")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Renewal risk")
    rows.first.get_by_text("1 field").click()
    expect(rows.first.locator("dd")).to_have_text("active → onboarding")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "audit-log.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Renewal risk" in text and "Acme" not in text
    assert console_errors == []
