"""Single sign-on with OpenID Connect against a real provider (tests/oidc/provider.mjs, the
certified `oidc-provider` package) started on a free port: the test client is the browser at
Northstar, `requests` the browser at the provider's login page. Nothing of ours is mocked; the
bad tokens are made by the provider itself (tests/oidc/provider.mjs says how).

Personas at the provider: maya of cs-team (a CSM), lena of cs-leaders, ada of northstar-admins.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import SignInMethod, SsoIdentity, UserSession
from tests.factories import UserFactory
from tests.oidc.provider import sign_in_at_provider
from tests.test_settings import assert_refused_naming, start_django

pytestmark = pytest.mark.django_db

User = get_user_model()
SITE = "http://testserver"
MAYA = {
    "password": "maya-pass",  # pragma: allowlist secret
    "sub": "sub-maya",
    "email": "maya@corp.example",
    "name": "Maya Patel",
    "groups": ["cs-team", "everyone"],
}
LENA = {
    "password": "lena-pass",  # pragma: allowlist secret
    "sub": "sub-lena",
    "email": "lena@corp.example",
    "name": "Lena Donovan",
    "groups": ["cs-leaders"],
}
ADA = {
    "password": "ada-pass",  # pragma: allowlist secret
    "sub": "sub-ada",
    "email": "ada@corp.example",
    "name": "Ada Brooks",
    "groups": ["northstar-admins", "cs-leaders"],
}


def callback_url(client: Client, login: str, password: str, *, browser=None, **query) -> str:
    """Starts a sign-in at Northstar and signs in at the provider; the callback URL it returns."""
    start = client.get("/oidc/authenticate/", query)
    assert start.status_code == 302
    return sign_in_at_provider(
        start["Location"], login=login, password=password, site=SITE,
        browser=browser or requests.Session(),
    )  # fmt: skip


def sign_in(client: Client, login: str, password: str, **query):
    """The whole round trip; the callback's response."""
    return client.get(callback_url(client, login, password, **query).removeprefix(SITE))


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def signed_in_user(client: Client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def failures():
    """The user_login_failed signals sent (the audit log's hook for refused sign-ins)."""
    sent = []

    def record(sender, credentials, request=None, **kwargs):
        sent.append(credentials)

    user_login_failed.connect(record, dispatch_uid="test_sso.failures")
    yield sent
    user_login_failed.disconnect(dispatch_uid="test_sso.failures")


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, sso):
    query = parse_qs(urlsplit(client.get("/oidc/authenticate/")["Location"]).query)

    assert query["client_id"] == ["northstar"]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_a_first_sign_in_provisions_the_user_with_the_role_of_their_group(client, sso):
    sso.users(maya=MAYA)

    response = sign_in(client, "maya", "maya-pass")

    assert response.status_code == 302
    assert response["Location"] == "/day/"  # a CSM lands on My day
    maya = signed_in_user(client)
    assert (maya.email, maya.first_name, maya.last_name) == ("maya@corp.example", "Maya", "Patel")
    assert set(maya.groups.values_list("name", flat=True)) == {"CSM"}
    assert not maya.is_staff and not maya.is_superuser
    assert not maya.has_usable_password()
    assert SsoIdentity.objects.get(user=maya).subject == "sub-maya"
    assert UserSession.objects.get(user=maya).method == SignInMethod.SSO
    assert client.get("/day/").status_code == 200


def test_the_admins_group_gives_the_admin_role_and_staff_but_never_superuser(client, sso):
    sso.users(ada=ADA)

    sign_in(client, "ada", "ada-pass")

    ada = signed_in_user(client)
    assert set(ada.groups.values_list("name", flat=True)) == {"Admin", "Leader"}
    assert ada.is_staff and not ada.is_superuser
    assert client.get("/admin/").status_code == 200


def test_a_next_page_is_kept_through_the_provider(client, sso):
    sso.users(lena=LENA)

    assert sign_in(client, "lena", "lena-pass", next="/portfolio/")["Location"] == "/portfolio/"


def test_roles_are_reapplied_at_every_sign_in_so_leaving_a_group_removes_the_role(client, sso):
    sso.users(ada=ADA)
    sign_in(client, "ada", "ada-pass")
    earlier = Client()
    sign_in(earlier, "ada", "ada-pass")
    assert earlier.get("/admin/").status_code == 200

    sso.users(ada={**ADA, "groups": ["cs-team"]})  # moved from the admins to the CS team
    sign_in(client, "ada", "ada-pass")

    ada = User.objects.get(email="ada@corp.example")
    assert set(ada.groups.values_list("name", flat=True)) == {"CSM"}
    assert not ada.is_staff
    assert User.objects.filter(email="ada@corp.example").count() == 1  # the same user
    # The session opened while she was an admin ended with the role.
    assert earlier.get("/admin/")["Location"].startswith("/admin/login/")
    assert earlier.get("/")["Location"].startswith("/login/")
    assert client.get("/day/").status_code == 200


def test_groups_that_give_no_role_leave_other_groups_alone(client, sso):
    sso.users(maya=MAYA)
    sign_in(client, "maya", "maya-pass")
    maya = signed_in_user(client)
    maya.groups.create(name="Renewals desk")  # a local group, not a role

    sign_in(Client(), "maya", "maya-pass")

    assert set(maya.groups.values_list("name", flat=True)) == {"CSM", "Renewals desk"}


def test_someone_in_no_mapped_group_is_refused_and_never_provisioned(client, sso, failures):
    sso.users(eve={**MAYA, "sub": "sub-eve", "email": "eve@corp.example", "groups": ["sales"]})

    response = sign_in(client, "eve", "maya-pass")

    assert response["Location"] == "/login/"
    assert shown(response) == [
        "Your identity provider account is in no group that gives a Northstar role; "
        "ask your administrator for access."
    ]
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="eve@corp.example").exists()
    assert failures[-1]["method"] == "oidc"


def test_removed_from_every_group_the_user_loses_every_role_and_is_refused(client, sso):
    sso.users(maya=MAYA)
    sign_in(client, "maya", "maya-pass")
    sso.users(maya={**MAYA, "groups": []})

    response = sign_in(Client(), "maya", "maya-pass")

    assert response["Location"] == "/login/"
    maya = User.objects.get(email="maya@corp.example")
    assert not maya.groups.exists()
    assert client.get("/")["Location"].startswith("/login/")  # her open session ended too


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("tampered", "The ID token is not valid: Signature verification failed."),
        ("wrong_audience", "The ID token was issued to another application."),
        ("expired", "The ID token has expired."),
        ("wrong_issuer", "The ID token comes from another issuer."),
    ],
)
def test_a_bad_id_token_is_refused_and_signs_nobody_in(client, sso, failures, fault, message):
    sso.users(maya=MAYA)
    UserFactory(username="someone", email="someone@corp.example", groups=["Admin"])
    sso.fault(fault)

    response = sign_in(client, "maya", "maya-pass")

    assert response["Location"] == "/login/"
    assert shown(response) == [message]
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="maya@corp.example").exists()
    assert failures == [{"method": "oidc", "reason": message}]
    assert client.get("/")["Location"].startswith("/login/")


def test_a_replayed_callback_is_refused_in_the_same_browser_and_in_another(client, sso):
    sso.users(maya=MAYA)
    callback = callback_url(client, "maya", "maya-pass").removeprefix(SITE)
    assert client.get(callback)["Location"] == "/day/"
    attacker = Client()

    for browser in (client, attacker):
        response = browser.get(callback)

        assert response["Location"] == "/login/"
        assert shown(response) == [
            "That sign-in link was already used or has expired: please sign in again."
        ]
    assert signed_in_user(attacker) is None
    assert UserSession.objects.count() == 1


def test_a_state_from_another_browser_is_refused(client, sso):
    """The callback of a sign-in started elsewhere (a login CSRF) does not sign this one in."""
    sso.users(maya=MAYA)
    victim = Client()
    victim.get("/oidc/authenticate/")  # the victim's browser holds a state of its own
    attackers_callback = callback_url(client, "maya", "maya-pass").removeprefix(SITE)

    response = victim.get(attackers_callback)

    assert response["Location"] == "/login/"
    assert signed_in_user(victim) is None


def test_an_error_from_the_provider_is_shown(client, sso):
    client.get("/oidc/authenticate/")
    state = next(iter(client.session["oidc_states"]))

    response = client.get(
        "/oidc/callback/",
        {"error": "access_denied", "error_description": "User cancelled", "state": state},
    )

    assert shown(response) == ["The identity provider refused the sign-in: User cancelled"]
    assert "oidc_states" not in client.session or state not in client.session["oidc_states"]


def test_an_existing_user_is_linked_by_verified_email_but_a_superuser_never(client, sso):
    local = UserFactory(username="maya", email="Maya@corp.example", groups=["Leader"])
    boss = UserFactory(username="boss", email="ada@corp.example", is_superuser=True)
    sso.users(maya=MAYA, ada=ADA)

    sign_in(client, "maya", "maya-pass")
    sign_in(Client(), "ada", "ada-pass")

    assert signed_in_user(client) == local
    assert set(local.groups.values_list("name", flat=True)) == {"CSM"}  # the IdP decides
    ada = User.objects.get(sso_identity__subject="sub-ada")
    assert ada != boss
    assert ada.username == "ada@corp.example"
    boss.refresh_from_db()
    assert boss.is_superuser and not hasattr(boss, "sso_identity")


def test_a_deactivated_user_is_refused(client, sso):
    sso.users(maya=MAYA)
    sign_in(Client(), "maya", "maya-pass")
    User.objects.filter(email="maya@corp.example").update(is_active=False)

    response = sign_in(client, "maya", "maya-pass")

    assert shown(response) == ["This account is deactivated: ask your administrator."]
    assert signed_in_user(client) is None


def test_logout_ends_the_session_and_goes_on_to_the_providers_end_session(client, sso):
    sso.users(maya=MAYA)
    sign_in(client, "maya", "maya-pass")
    id_token = client.session["oidc_id_token"]

    response = client.post("/logout/")

    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso.issuer}/session/end"
    assert parse_qs(location.query) == {
        "id_token_hint": [id_token],
        "client_id": ["northstar"],
        "post_logout_redirect_uri": ["http://testserver/login/"],
    }
    assert signed_in_user(client) is None
    assert not UserSession.objects.exists()


def test_a_password_user_logs_out_to_the_login_page(client, sso, alice):
    client.force_login(alice)

    assert client.post("/logout/")["Location"] == "/login/"


def test_sso_only_refuses_passwords_but_the_break_glass_admins(client, sso, settings, alice):
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "rescue"
    UserFactory(username="rescue", is_staff=True, is_superuser=True)

    refused = client.post("/login/", {"username": "alice", "password": "password"})
    admin_refused = Client().post("/admin/login/", {"username": "alice", "password": "password"})
    rescue = client.post("/login/", {"username": "rescue", "password": "password"})
    rescue_admin = Client().post("/admin/login/", {"username": "rescue", "password": "password"})

    assert refused.status_code == 200
    assert "Passwords are turned off: sign in with single sign-on." in refused.content.decode()
    assert admin_refused.status_code == 200  # the admin's form again, nobody signed in
    assert "_auth_user_id" not in admin_refused.wsgi_request.session
    assert rescue.status_code == 302
    assert rescue_admin.status_code == 302
    assert rescue_admin.wsgi_request.user.username == "rescue"
    sso.users(maya=MAYA)
    assert sign_in(Client(), "maya", "maya-pass")["Location"] == "/day/"  # SSO still works


def test_the_login_page_offers_single_sign_on_and_hides_the_password_in_sso_only_mode(
    client, sso, settings
):
    page = client.get("/login/?next=/portfolio/").content.decode()
    assert 'href="/oidc/authenticate/?next=/portfolio/"' in page
    assert "Break-glass" not in page

    settings.SSO_ONLY = True
    page = client.get("/login/").content.decode()
    assert "<summary>Break-glass administrator sign-in</summary>" in page


def test_without_oidc_settings_the_sso_pages_do_not_exist_and_passwords_work(client, alice):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert "single sign-on" not in client.get("/login/").content.decode()
    assert client.post("/login/", {"username": "alice", "password": "password"}).status_code == 302


def test_a_password_login_carrying_a_code_and_state_never_reaches_the_provider(client, sso, alice):
    response = client.post(
        "/login/?code=stolen&state=forged", {"username": "alice", "password": "password"}
    )

    assert response.status_code == 302
    assert signed_in_user(client) == alice
    assert UserSession.objects.get(user=alice).method == SignInMethod.PASSWORD


@pytest.mark.parametrize("persona", ["anonymous", "alice"])
def test_configured_the_sso_pages_answer_everyone(client, sso, alice, persona):
    """The permission matrix runs without SSO (both pages 404); configured, starting a sign-in
    goes to the provider and a bare callback back to the login page, for anyone."""
    if persona == "alice":
        client.force_login(alice)

    assert client.get("/oidc/authenticate/")["Location"].startswith(f"{sso.issuer}/auth?")
    assert client.get("/oidc/callback/")["Location"] == "/login/"


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"OIDC_CLIENT_ID": "northstar", "OIDC_GROUPS_CSM": "cs"}, "OIDC_ISSUER"),
        (
            {
                "OIDC_CLIENT_ID": "northstar", "OIDC_ISSUER": "https://idp.example",
                "OIDC_AUTHORIZATION_ENDPOINT": "https://idp.example/auth",
                "OIDC_TOKEN_ENDPOINT": "https://idp.example/token",
                "OIDC_USERINFO_ENDPOINT": "https://idp.example/me",
                "OIDC_JWKS_URI": "https://idp.example/jwks",
            },
            "OIDC_GROUPS_CSM",
        ),
        ({"SSO_ONLY": "true"}, "OIDC_CLIENT_ID"),
        ({"SSO_ONLY": "sometimes"}, "SSO_ONLY"),
    ],
    ids=["endpoints missing", "no role group", "sso only without sso", "sso only malformed"],
)  # fmt: skip
def test_an_incomplete_sso_configuration_stops_start_up_naming_what_is_missing(environment, named):
    assert_refused_naming(start_django(**environment), named)
