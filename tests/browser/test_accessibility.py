"""axe-core finds no serious or critical violation on any page a CSM, a leader, an admin (the
settings in the admin) or a survey respondent uses, in Chromium, on demo data.

The pages are those of the permission matrix (tests/security/test_permission_matrix.py) that
answer 200 HTML to these personas; the API, CSV exports and redirects are left out (no HTML),
as are admin pages of rows only the system writes.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Account
from healthscores.models import Alert, HealthModel
from metrics.models import AccountSnapshot, KpiTarget
from playbooks.models import Trigger
from tests.browser.axe import axe_violations
from tests.browser.test_accounts_pages import DEMO_PASSWORD, demo_data, log_in  # noqa: F401
from tests.factories import AccountFactory, ContactFactory
from tests.playbooks.conftest import make_playbook
from tests.surveys.factories import InvitationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe.min.js arrives as an inline script, which the pages' CSP refuses.
    return {**browser_context_args, "bypass_csp": True}


def visit_all(page: Page, live_server, paths: list[str]) -> list[str]:
    """axe's blocking violations on each page, which must answer 200."""
    found = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (path, response.status)
        found += axe_violations(page)
    return found


def an_account_with_an_alert(owner_name: str) -> Account:
    as_of = timezone.localdate() - timedelta(days=1)
    snapshot = (
        AccountSnapshot.objects.filter(as_of=as_of, account__owner__username=owner_name, mrr__gt=0)
        .select_related("account")
        .order_by("-mrr")
        .first()
    )
    account = snapshot.account
    if not Alert.objects.filter(account=account).exists():
        Alert.objects.create(account=account, owner=account.owner, reason="score_drop", as_of=as_of)
    return account


def test_a_csms_pages_have_no_serious_accessibility_violation(
    page: Page,
    live_server,
    demo_data,  # noqa: F811
):
    account = an_account_with_an_alert("csm1")
    log_in(page, live_server, "csm1", DEMO_PASSWORD)

    found = visit_all(page, live_server, [
        "/day/",
        "/",
        f"/accounts/{account.pk}/",
        f"/search/?q={account.name[:5]}",
        "/portfolio/",
        "/portfolio/drill/nrr/",
        "/portfolio/drill/at_risk/",
        "/surveys/",
        "/views/",
        "/views/new/?query=segment%3DSMB",
        "/notifications/",
        "/notifications/preferences/",
    ])  # fmt: skip

    assert not found, "\n".join(found)


def test_a_leaders_pages_have_no_serious_accessibility_violation(
    page: Page,
    live_server,
    demo_data,  # noqa: F811
):
    playbook = make_playbook(Trigger.BAND_ENTERED, band="red")
    account = an_account_with_an_alert("csm2")
    log_in(page, live_server, "leader", DEMO_PASSWORD)

    found = visit_all(page, live_server, [
        "/day/",
        "/",
        "/?mine=1",
        f"/accounts/{account.pk}/",
        "/portfolio/",
        "/portfolio/?period=3m",
        "/portfolio/?period=12m",
        "/portfolio/drill/nrr/",
        "/portfolio/drill/churned_mrr/",
        "/portfolio/drill/renewals/",
        "/surveys/",
        "/health/lab/",
        "/playbooks/",
        f"/playbooks/{playbook.pk}/",
        f"/playbooks/{playbook.pk}/dry-run/",
    ])  # fmt: skip

    assert not found, "\n".join(found)


def test_the_settings_in_the_admin_have_no_serious_accessibility_violation(
    page: Page,
    live_server,
    demo_data,  # noqa: F811
):
    playbook = make_playbook(Trigger.BAND_ENTERED, band="red")
    model = HealthModel.objects.first()
    target = KpiTarget.objects.create(key="mrr", target=100_000)
    log_in(page, live_server, "admin", DEMO_PASSWORD)

    found = visit_all(page, live_server, [
        "/playbooks/new/",
        f"/playbooks/{playbook.pk}/edit/",
        "/admin/",
        "/admin/healthscores/healthmodel/",
        f"/admin/healthscores/healthmodel/{model.pk}/change/",
        "/admin/healthscores/healthmodel/add/",
        "/admin/playbooks/playbook/",
        f"/admin/playbooks/playbook/{playbook.pk}/change/",
        "/admin/playbooks/playbook/add/",
        "/admin/metrics/kpitarget/",
        f"/admin/metrics/kpitarget/{target.pk}/change/",
        "/admin/metrics/kpitarget/add/",
        "/connectors/inbox/",  # the connectors' inbox, an admin's page outside the admin
        "/admin/surveys/inappkey/add/",
        "/audit/",
        "/accounts/bulk/",
        "/notifications/",
    ])  # fmt: skip

    assert not found, "\n".join(found)


def test_the_public_pages_have_no_serious_accessibility_violation(page: Page, live_server):
    contact = ContactFactory(account=AccountFactory(name="Acme"), email="jane@acme.example")
    invitation = InvitationFactory(contact=contact)

    found = visit_all(page, live_server, ["/login/", f"/s/{invitation.token}/", "/admin/login/"])

    page.goto(f"{live_server.url}/s/{invitation.token}/")
    page.get_by_text("9", exact=True).click()
    page.get_by_role("button").last.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    found += axe_violations(page)
    assert not found, "\n".join(found)
