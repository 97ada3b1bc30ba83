"""Who sees which account: the one rule of accounts/access.py, through the pages that apply it."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access import accounts_visible_to, user_may_act_on, visible_ids_memo
from tests.factories import AccountFactory, TaskFactory, UserFactory


@pytest.fixture
def accounts(alice, bob):
    """Two accounts of alice's, one of bob's and one nobody owns."""
    return {
        "acme": AccountFactory(name="Acme", owner=alice),
        "globex": AccountFactory(name="Globex", owner=alice),
        "initech": AccountFactory(name="Initech", owner=bob),
        "umbrella": AccountFactory(name="Umbrella"),
    }


def names_on_home_page(client, query: str = "") -> list[str]:
    response = client.get("/", {"q": query} if query else {})
    assert response.status_code == 200
    return [account.name for account in response.context["page"]]


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_home(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_an_anonymous_visitor_is_sent_to_the_login_page_from_an_account(client, accounts):
    url = f"/accounts/{accounts['acme'].pk}/"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_the_login_page_needs_no_login(client, db):
    assert client.get("/login/").status_code == 200


def test_a_csm_sees_only_her_own_accounts_on_the_home_page(client, alice, accounts):
    client.force_login(alice)

    assert names_on_home_page(client) == ["Acme", "Globex"]


def test_a_csm_owning_nothing_sees_no_account(client, accounts):
    client.force_login(UserFactory(groups=["CSM"]))

    assert names_on_home_page(client) == []


def test_a_csm_opens_her_own_account(client, alice, accounts):
    client.force_login(alice)

    response = client.get(f"/accounts/{accounts['acme'].pk}/")

    assert response.status_code == 200
    assert response.context["account"] == accounts["acme"]


def test_a_csm_gets_404_on_another_csms_account_by_url(client, alice, accounts):
    client.force_login(alice)

    assert client.get(f"/accounts/{accounts['initech'].pk}/").status_code == 404
    assert client.get(f"/accounts/{accounts['umbrella'].pk}/").status_code == 404


def test_a_missing_account_is_the_same_404_as_a_hidden_one(client, leader, accounts):
    client.force_login(leader)

    assert client.get("/accounts/999999999/").status_code == 404


def test_a_leader_sees_every_account(client, leader, accounts):
    client.force_login(leader)

    assert names_on_home_page(client) == ["Acme", "Globex", "Initech", "Umbrella"]
    assert client.get(f"/accounts/{accounts['initech'].pk}/").status_code == 200
    assert client.get(f"/accounts/{accounts['umbrella'].pk}/").status_code == 200


def test_the_home_page_names_each_owner_or_shows_a_dash(client, leader, accounts):
    client.force_login(leader)

    content = client.get("/").content.decode()

    assert "<td>Alice</td>" in content
    assert "<td>—</td>" in content  # Umbrella has no owner


def test_an_account_page_shows_the_owners_email_when_the_owner_has_no_name(
    client, leader, accounts
):
    owner = UserFactory(first_name="", email="nameless@northstar.example")
    account = AccountFactory(owner=owner)
    client.force_login(leader)

    assert "nameless@northstar.example" in client.get(f"/accounts/{account.pk}/").content.decode()


def test_a_superuser_sees_every_account(admin_client, accounts):
    assert names_on_home_page(admin_client) == ["Acme", "Globex", "Initech", "Umbrella"]


def test_search_on_the_home_page_filters_by_name(client, leader, accounts):
    AccountFactory(name="Acme Labs")
    client.force_login(leader)

    assert names_on_home_page(client, "acme") == ["Acme", "Acme Labs"]
    assert names_on_home_page(client, "  GLOB ") == ["Globex"]
    assert names_on_home_page(client, "nothing like it") == []


def test_search_stays_within_the_accounts_a_csm_may_see(client, alice, accounts):
    client.force_login(alice)

    assert names_on_home_page(client, "initech") == []
    assert names_on_home_page(client, "glo") == ["Globex"]


def test_a_csm_is_sent_to_the_admin_login_from_the_admin(client, alice):
    client.force_login(alice)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_a_leader_is_sent_to_the_admin_login_from_the_admin(client, leader):
    client.force_login(leader)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_staff_reach_the_admin(client, admin_client):
    client.force_login(UserFactory(is_staff=True, groups=["Admin"]))

    assert client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/").status_code == 200


def test_the_roles_exist_after_migrations(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"CSM", "Leader", "Admin"}


def test_only_leaders_and_admins_may_view_all_accounts(db):
    holders = Group.objects.filter(
        permissions__content_type__app_label="accounts",
        permissions__codename="view_all_accounts",
    )

    assert set(holders.values_list("name", flat=True)) == {"Leader", "Admin"}


def test_csms_may_add_notes_and_leaders_may_not(db):
    def codenames(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert "add_note" in codenames("CSM")
    assert "add_note" not in codenames("Leader")


# Company groups (issue 16): the parent's owner owns the relationship.


@pytest.fixture
def tree(alice, bob):
    """alice's Holding > bob's Subsidiary > nobody's Branch (three levels); bob's Other alone."""
    holding = AccountFactory(name="Holding", owner=alice)
    subsidiary = AccountFactory(name="Subsidiary", owner=bob, parent=holding)
    branch = AccountFactory(name="Branch", parent=subsidiary)
    other = AccountFactory(name="Other", owner=bob)
    return {"holding": holding, "subsidiary": subsidiary, "branch": branch, "other": other}


def test_the_owner_of_a_parent_sees_and_may_act_on_every_account_below_it(alice, tree):
    visible = set(accounts_visible_to(alice).values_list("name", flat=True))

    assert visible == {"Holding", "Subsidiary", "Branch"}
    assert user_may_act_on(alice, tree["branch"])
    assert user_may_act_on(alice, tree["subsidiary"])


def test_inside_the_memo_the_rule_is_computed_once_and_sees_the_same_accounts(alice, bob, tree):
    expected = {
        user: set(accounts_visible_to(user).values_list("name", flat=True)) for user in (alice, bob)
    }
    with visible_ids_memo(), CaptureQueriesContext(connection) as queries:
        first = set(accounts_visible_to(alice).values_list("name", flat=True))
        again = set(
            accounts_visible_to(alice).filter(segment__isnull=False).values_list("name", flat=True)
        )
        of_bob = set(accounts_visible_to(bob).values_list("name", flat=True))

    assert first == again == expected[alice]
    assert of_bob == expected[bob]
    # alice: her ids once, then two reads of them; bob: his ids, then one read.
    assert len(queries) == 5
    # Outside the block nothing is kept: a change of owner shows at once.
    tree["other"].owner = alice
    tree["other"].save()
    assert "Other" in set(accounts_visible_to(alice).values_list("name", flat=True))


def test_the_owner_of_a_subsidiary_reaches_down_but_never_up(bob, tree):
    visible = set(accounts_visible_to(bob).values_list("name", flat=True))

    assert visible == {"Subsidiary", "Branch", "Other"}
    assert not user_may_act_on(bob, tree["holding"])


def test_moving_a_subsidiary_out_of_the_group_takes_it_out_of_the_parent_owners_reach(alice, tree):
    tree["subsidiary"].parent = None
    tree["subsidiary"].save()

    assert set(accounts_visible_to(alice).values_list("name", flat=True)) == {"Holding"}
    assert not user_may_act_on(alice, tree["branch"])


def test_a_task_on_a_member_still_grants_reading_only(alice, bob, tree):
    TaskFactory(account=tree["other"], assignee=alice, created_by=bob)

    assert tree["other"] in accounts_visible_to(alice)
    assert not user_may_act_on(alice, tree["other"])
