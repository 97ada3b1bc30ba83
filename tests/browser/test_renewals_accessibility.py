"""The renewal desk's pages pass axe-core's blocking rules, for a CSM and for a leader (a module
of its own: axe arrives as an inline script, so these pages run with the CSP bypassed, which
the other renewal tests keep)."""

import pytest
from playwright.sync_api import Page

from tests.browser.axe import axe_violations
from tests.browser.test_accounts_pages import log_in
from tests.browser.test_renewals import desk  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/renewals/?days=180", "/renewals/forecast/", "/renewals/reasons/"]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}


@pytest.mark.parametrize("username", ["casey", "lena"])
def test_the_renewal_pages_have_no_serious_accessibility_violation(
    page: Page,
    live_server,
    desk,  # noqa: F811 (the imported fixture)
    username,
):
    log_in(page, live_server, username, "password")
    found = []
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        found += axe_violations(page)

    assert found == []
