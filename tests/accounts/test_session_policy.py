"""Session policy beyond the idle timeout and lifetime (tests/accounts/test_sessions.py): every
sign-in is recorded, a user's sessions end when the password changes and when a role is taken
away, and an admin sees a user's sessions and ends them (issue 19, item 3).

alice (a CSM) is signed in twice, in `client` and `laptop`; `admin_client` is a superuser's.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import SignInMethod, UserSession
from accounts.sessions import sessions_ended
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> bool:
    return client.get("/day/").status_code == 200


@pytest.fixture
def laptop(alice) -> Client:
    other = Client(HTTP_USER_AGENT="Firefox on the laptop", REMOTE_ADDR="198.51.100.7")
    assert other.post("/login/", {"username": "alice", "password": "password"}).status_code == 302
    return other


@pytest.fixture
def ended():
    sent = []

    def record(sender, user, count, reason, **kwargs):
        sent.append((user.username, count, reason))

    sessions_ended.connect(record, dispatch_uid="test_session_policy.ended")
    yield sent
    sessions_ended.disconnect(dispatch_uid="test_session_policy.ended")


def test_a_sign_in_is_recorded_with_how_and_where_and_a_logout_forgets_it(laptop, alice):
    session = UserSession.objects.get(user=alice)

    assert session.method == SignInMethod.PASSWORD
    assert session.address == "198.51.100.7"
    assert session.user_agent == "Firefox on the laptop"
    assert session.session_key == laptop.session.session_key

    laptop.post("/logout/")

    assert not UserSession.objects.exists()


def test_a_password_change_ends_every_session_of_the_user(client, laptop, alice, bob, ended):
    client.force_login(alice)
    bobs = Client()
    bobs.force_login(bob)

    alice.set_password("a-new-long-passphrase")
    alice.save()

    assert not signed_in(client)
    assert not signed_in(laptop)
    assert signed_in(bobs)
    assert not UserSession.objects.filter(user=alice).exists()
    assert not Session.objects.exclude(session_key=bobs.session.session_key).exists()
    assert ended == [("alice", 2, "password changed")]


def test_changing_ones_own_password_in_the_admin_keeps_that_session_only(admin_user):
    here, elsewhere = Client(), Client()
    here.force_login(admin_user)
    elsewhere.force_login(admin_user)

    response = here.post(
        "/admin/password_change/",
        {"old_password": "password", "new_password1": "n3w-passphrase!", "new_password2":
         "n3w-passphrase!"},
    )  # fmt: skip

    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/")["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "take_away",
    [
        lambda user: user.groups.remove(Group.objects.get(name="CSM")),
        lambda user: Group.objects.get(name="CSM").user_set.remove(user),
        lambda user: user.groups.clear(),
        lambda user: Group.objects.get(name="CSM").user_set.clear(),
        lambda user: user.groups.set([]),
    ],
    ids=[
        "user.groups.remove",
        "group.user_set.remove",
        "user.groups.clear",
        "group.user_set.clear",
        "user.groups.set",
    ],
)
def test_a_role_taken_away_ends_every_session_of_the_user(client, laptop, alice, take_away):
    client.force_login(alice)

    take_away(alice)

    assert not signed_in(client)
    assert not signed_in(laptop)


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser", "is_active"])
def test_losing_staff_superuser_or_active_status_ends_every_session(client, flag):
    user = UserFactory(is_staff=True, is_superuser=True, groups=["CSM"])
    client.force_login(user)

    setattr(user, flag, False)
    user.save()

    assert not signed_in(client)


def test_a_role_given_or_a_name_changed_ends_nothing(client, laptop, alice):
    client.force_login(alice)

    alice.groups.add(Group.objects.get(name="Leader"))
    alice.first_name = "Alicia"
    alice.is_staff = True
    alice.save()

    assert signed_in(client)
    assert signed_in(laptop)


def test_an_admin_sees_a_users_sessions_and_ends_one(admin_client, client, laptop, alice, ended):
    client.force_login(alice)
    url = f"/admin/auth/user/{alice.pk}/sessions/"

    page = admin_client.get(url)

    assert page.status_code == 200
    assert [s.user_agent for s in page.context["sessions"]] == ["", "Firefox on the laptop"]
    assert "198.51.100.7" in page.content.decode()
    laptops = UserSession.objects.get(user_agent="Firefox on the laptop")

    response = admin_client.post(url, {"session": [laptops.pk]})

    assert response["Location"] == url
    assert not signed_in(laptop)
    assert signed_in(client)
    assert ended == [("alice", 1, "ended by admin")]


def test_an_admin_ends_all_of_a_users_sessions(admin_client, client, laptop, alice):
    client.force_login(alice)

    admin_client.post(f"/admin/auth/user/{alice.pk}/sessions/", {"end_all": "1"})

    assert not signed_in(client)
    assert not signed_in(laptop)
    page = admin_client.get(f"/admin/auth/user/{alice.pk}/sessions/")
    assert "No signed-in sessions." in page.content.decode()


def test_the_user_page_links_to_the_sessions(admin_client, alice):
    page = admin_client.get(f"/admin/auth/user/{alice.pk}/change/").content.decode()

    assert f'href="/admin/auth/user/{alice.pk}/sessions/"' in page


def test_staff_who_may_not_change_users_may_not_see_their_sessions(laptop, alice):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = Client()
    client.force_login(viewer)

    assert client.get(f"/admin/auth/user/{alice.pk}/sessions/").status_code == 403
    assert (
        client.post(f"/admin/auth/user/{alice.pk}/sessions/", {"end_all": "1"}).status_code == 403
    )
    assert signed_in(laptop)


def test_expired_sessions_are_not_listed(admin_client, laptop, alice):
    Session.objects.filter(session_key=laptop.session.session_key).update(
        expire_date="2000-01-01T00:00:00Z"
    )

    page = admin_client.get(f"/admin/auth/user/{alice.pk}/sessions/")

    assert page.context["sessions"] == []


def test_the_session_list_is_two_queries_beyond_the_admins_own(
    admin_client, alice, django_assert_max_num_queries
):
    for _ in range(5):
        Client().force_login(alice)
    admin_client.get(f"/admin/auth/user/{alice.pk}/sessions/")

    with django_assert_max_num_queries(6):
        admin_client.get(f"/admin/auth/user/{alice.pk}/sessions/")
