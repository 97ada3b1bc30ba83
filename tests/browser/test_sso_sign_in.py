"""Single sign-on in Chromium, through a real OpenID provider's login page (tests/oidc): a CSM
signs in with the provider, lands on her day, logs out of Northstar and of the provider (the
next sign-in asks for her password again). The screenshot of the SSO-only login page is written
to SCREENSHOT_DIR when it is set (`docs/screenshots` for the docs), else to a tmp folder."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import SsoIdentity
from tests.oidc.provider import running_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAYA = {
    "password": "maya-pass",  # pragma: allowlist secret
    "sub": "sub-maya",
    "email": "maya@corp.example",
    "name": "Maya Patel",
    "groups": ["cs-team"],
}


@pytest.fixture(scope="module")
def live_provider(live_server, tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("oidc"), sites=[live_server.url]) as provider:
        yield provider


@pytest.fixture
def sso_site(live_provider, settings):
    for name, value in live_provider.settings().items():
        setattr(settings, name, value)
    # The logout form's redirect goes on to the provider: Chromium applies form-action to it.
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], live_provider.issuer]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    live_provider.users(maya=MAYA)
    live_provider.fault(None)
    return live_provider


def sign_in_with_the_provider(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    expect(page.get_by_role("heading", name="Test IdP")).to_be_visible()
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill("maya-pass")
    page.get_by_role("button", name="Sign in to the IdP").click()


def test_a_csm_signs_in_through_the_provider_and_logs_out_of_both(
    page: Page, live_server, sso_site
):
    sign_in_with_the_provider(page, live_server)

    expect(page).to_have_url(f"{live_server.url}/day/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My day")
    assert SsoIdentity.objects.get(subject="sub-maya").user.groups.get().name == "CSM"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign out of the test IdP?")).to_be_visible()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")

    # The provider's session ended too: signing in again asks for the password.
    page.get_by_role("link", name="Sign in with single sign-on").click()
    expect(page.get_by_label("Password")).to_be_visible()


def test_a_wrong_password_at_the_provider_signs_nobody_in(page: Page, live_server, sso_site):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill("guess")
    page.get_by_role("button", name="Sign in to the IdP").click()

    expect(page.locator("#error")).to_have_text("Wrong username or password")
    page.goto(f"{live_server.url}/day/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/day/")


def test_an_expired_token_brings_the_browser_back_to_the_login_page_saying_why(
    page: Page, live_server, sso_site
):
    sso_site.fault("expired")

    sign_in_with_the_provider(page, live_server)

    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.locator(".messages")).to_have_text("The ID token has expired.")


def test_the_sso_only_login_page_keeps_the_password_for_the_break_glass_admin(
    page: Page, live_server, sso_site, settings, screenshot_dir
):
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "rescue"
    page.goto(f"{live_server.url}/login/")

    expect(page.get_by_role("link", name="Sign in with single sign-on")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_hidden()
    page.get_by_text("Break-glass administrator sign-in").click()
    expect(page.get_by_label("Password")).to_be_visible()
    page.screenshot(path=screenshot_dir / "sso-login.png")
