"""The header's search: accounts, contacts and notes, ranked, within what the user may see."""

import pytest
from django.urls import reverse

from accounts.models import Note
from accounts.search import search
from tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def book(alice, bob):
    acme = AccountFactory(name="Acme Robotics", external_id="CRM-1001", owner=alice)
    AccountFactory(name="Acme Logistics", external_id="CRM-1002", owner=bob)
    AccountFactory(name="Globex", external_id="CRM-2001", owner=alice)
    ContactFactory(account=acme, name="Dana Whitfield", email="dana@acme.example")
    Note.objects.create(account=acme, author=alice, body="Renewal call: budget frozen until Q3.")
    return acme


def titles(hits, kind):
    return [hit.title for hit in hits if hit.kind == kind]


def test_a_leader_finds_accounts_by_the_start_of_their_name(book, leader):
    assert sorted(titles(search(user=leader, text="acme"), "account")) == [
        "Acme Logistics",
        "Acme Robotics",
    ]


def test_a_csm_finds_only_the_accounts_she_may_see(book, alice):
    hits = search(user=alice, text="acme")

    assert titles(hits, "account") == ["Acme Robotics"]
    assert all(hit.account_id == book.pk for hit in hits)


def test_a_csm_finds_nothing_of_another_owners_account(book, bob):
    assert search(user=bob, text="dana") == []
    assert search(user=bob, text="budget") == []


def test_accounts_are_found_by_external_id_and_despite_a_typo(book, leader):
    assert titles(search(user=leader, text="crm-2001"), "account") == ["Globex"]
    assert "Acme Robotics" in titles(search(user=leader, text="Robtics"), "account")


def test_contacts_are_found_by_name_and_email(book, alice):
    assert titles(search(user=alice, text="whitf"), "contact") == ["Dana Whitfield"]
    assert titles(search(user=alice, text="dana@acme"), "contact") == ["Dana Whitfield"]


def test_notes_are_found_by_the_start_of_their_words_and_show_where(book, alice):
    hits = [hit for hit in search(user=alice, text="budg") if hit.kind == "note"]

    assert [hit.title for hit in hits] == ["Acme Robotics"]
    assert "«budget»" in hits[0].detail


def test_the_best_match_comes_first(book, leader):
    AccountFactory(name="Bacme Holdings")  # contains "acme", does not start with it

    assert titles(search(user=leader, text="acme"), "account")[-1] == "Bacme Holdings"


def test_wildcards_in_the_text_match_themselves(book, leader):
    assert search(user=leader, text="%%") == []
    assert search(user=leader, text="__") == []


def test_one_character_finds_nothing(book, leader):
    assert search(user=leader, text="a") == []


def test_the_results_page_lists_each_kind_with_links(book, client, alice):
    client.force_login(alice)

    response = client.get(reverse("search"), {"q": "acme"})

    assert response.status_code == 200
    assert reverse("account_detail", args=[book.pk]) in response.content.decode()
    assert b"Acme Logistics" not in response.content


def test_the_suggestions_answer_json_in_one_search_statement(
    book, client, alice, django_assert_num_queries
):
    client.force_login(alice)
    AccountFactory.create_batch(20, owner=alice, name="Acme Subsidiary")

    # Session, user, two permission reads, then the savepoint, the similarity threshold, the
    # search itself and the release: the same eight whatever the number of matches.
    with django_assert_num_queries(8):
        response = client.get(reverse("search_suggest"), {"q": "acme"})

    results = response.json()["results"]
    assert results[0]["title"] == "Acme Robotics"  # the closest name first
    assert results[0]["url"] == reverse("account_detail", args=[book.pk])
    assert [r["kind"] for r in results].count("account") == 6  # at most six of a kind


def test_search_needs_a_login(client):
    response = client.get(reverse("search_suggest"), {"q": "acme"})

    assert response.status_code == 302
