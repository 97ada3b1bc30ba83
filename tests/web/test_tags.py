"""Tags on the 360 page, in the accounts list and in bulk (issue 16).

alice (a CSM) owns Acme and Globex, bob (a CSM) owns Initech; the leader sees all three.
"""

import re

import pytest

from accounts.models import Account, BulkAction, View
from tests.factories import AccountFactory
from tests.web.test_bulk_actions import START, latest, run, undo


@pytest.fixture
def book(alice, bob):
    return {
        "acme": AccountFactory(name="Acme", owner=alice, tags=["beta"]),
        "globex": AccountFactory(name="Globex", owner=alice, tags=[]),
        "initech": AccountFactory(name="Initech", owner=bob, tags=["beta", "vip"]),
    }


def listed(response) -> set[str]:
    """The account names in the list's rows."""
    return set(re.findall(r'class="account-link"[^>]*>([^<]+)</a>', response.content.decode()))


def tags_of(account) -> list[str]:
    return Account.objects.get(pk=account.pk).tags


def test_the_owner_adds_and_removes_tags_on_the_360_page(client, alice, book):
    client.force_login(alice)
    url = f"/accounts/{book['globex'].pk}/tags/"
    response = client.post(url, {"add": "Expansion, at  risk"})
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    assert tags_of(book["globex"]) == ["at risk", "expansion"]
    page = client.get(f"/accounts/{book['globex'].pk}/").content.decode()
    assert 'aria-label="Remove tag expansion"' in page
    assert '?tags=at%20risk"' in page  # a chip opens the list of accounts with the tag
    client.post(url, {"remove": "expansion"})
    assert tags_of(book["globex"]) == ["at risk"]


def test_a_bad_tag_is_shown_on_the_page_and_nothing_is_written(client, alice, book):
    client.force_login(alice)
    response = client.post(f"/accounts/{book['acme'].pk}/tags/", {"add": "ok, <script>"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="tags-error"' in page and "use letters, digits" in page
    assert tags_of(book["acme"]) == ["beta"]


def test_a_csm_cannot_tag_another_csms_account_nor_learn_it_exists(client, alice, book):
    client.force_login(alice)
    assert client.post(f"/accounts/{book['initech'].pk}/tags/", {"add": "x"}).status_code == 404
    assert tags_of(book["initech"]) == ["beta", "vip"]


def test_the_360_page_shows_the_tags_as_chips_with_the_owners_controls(client, alice, book):
    client.force_login(alice)
    page = client.get(f"/accounts/{book['acme'].pk}/").content.decode()
    assert 'id="id_tag_add"' in page and ">beta</a>" in page
    page = client.get(f"/accounts/{book['globex'].pk}/").content.decode()
    assert "No tags." in page


def test_the_list_filters_by_tags_and_shows_each_rows_chips(client, leader, book):
    client.force_login(leader)
    assert listed(client.get("/", {"tags": "Beta"})) == {"Acme", "Initech"}
    response = client.get("/", {"tags": "beta, vip"})
    assert listed(response) == {"Initech"}
    page = response.content.decode()
    assert 'value="beta, vip"' in page  # the input keeps what the list is filtered by
    assert '<a class="tag tag-chip" href="/?tags=vip"' in page


def test_a_bad_tag_filter_is_ignored_with_a_note_not_an_error(client, leader, book):
    client.force_login(leader)
    response = client.get("/", {"tags": "a;b"})
    assert response.status_code == 200
    assert "were not understood and were ignored: tags" in response.content.decode()
    assert listed(response) == {"Acme", "Globex", "Initech"}


def test_a_csm_filtering_by_tag_finds_only_her_own_accounts(client, alice, book):
    client.force_login(alice)
    assert listed(client.get("/", {"tags": "beta"})) == {"Acme"}


def test_a_view_saved_from_a_tag_filter_keeps_it(client, leader, book):
    client.force_login(leader)
    response = client.post("/views/new/", {
        "name": "Beta programme", "visibility": "personal", "query": "tags=beta",
    })  # fmt: skip
    assert response.status_code == 302
    view = View.objects.get(name="Beta programme")
    assert view.definition == {"tags": ["beta"]}
    assert listed(client.get("/", {"view": view.pk})) == {"Acme", "Initech"}


def test_a_leader_adds_a_tag_in_bulk_and_undo_takes_it_off_only_where_it_was_added(
    client, leader, book
):
    client.force_login(leader)
    accounts = [book["acme"], book["globex"], book["initech"]]
    response = run(client, "tag_add", accounts, tag="Renewal Push")
    assert response.status_code == 302
    assert [tags_of(a) for a in accounts] == [
        ["beta", "renewal push"], ["renewal push"], ["beta", "renewal push", "vip"],
    ]  # fmt: skip
    action = latest()
    assert action.summary == "Tag “renewal push” added"
    assert action.old_values == {str(a.pk): False for a in accounts}
    # Globex's tag is taken off by hand since: undo leaves it as it is and says so.
    Account.objects.filter(pk=book["globex"].pk).update(tags=[])
    undo(client, action)
    assert [tags_of(a) for a in accounts] == [["beta"], [], ["beta", "vip"]]
    action.refresh_from_db()
    assert action.undo_kept_ids == [book["globex"].pk]


def test_a_bulk_remove_is_undone_only_on_accounts_that_had_the_tag(client, leader, book):
    client.force_login(leader)
    accounts = [book["acme"], book["globex"], book["initech"]]
    run(client, "tag_remove", accounts, tag="beta")
    assert [tags_of(a) for a in accounts] == [[], [], ["vip"]]
    action = latest()
    assert action.old_values == {
        str(book["acme"].pk): True, str(book["globex"].pk): False, str(book["initech"].pk): True,
    }  # fmt: skip
    page = client.get(f"/accounts/bulk/{action.pk}/").content.decode()
    assert "had the tag" in page and "did not have it" in page
    undo(client, action)
    assert [tags_of(a) for a in accounts] == [["beta"], [], ["beta", "vip"]]


def test_a_bad_bulk_tag_is_shown_at_the_field_and_nothing_is_written(client, leader, book):
    client.force_login(leader)
    response = run(client, "tag_add", [book["acme"]], tag="no;semicolons")
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not BulkAction.objects.exists()
    assert tags_of(book["acme"]) == ["beta"]


def test_a_csm_may_not_tag_in_bulk_not_even_her_own_accounts(client, alice, book):
    client.force_login(alice)
    assert run(client, "tag_add", [book["acme"]], tag="x").status_code == 403
    assert run(client, "tag_add", [book["initech"]], tag="x").status_code == 403
    assert client.post(START, {"kind": "tag_add", "ids": [book["initech"].pk]}).status_code == 403
    assert not BulkAction.objects.exists()
    assert tags_of(book["acme"]) == ["beta"] and tags_of(book["initech"]) == ["beta", "vip"]
