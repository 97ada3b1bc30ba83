"""Forms of the account page refuse oversized and malformed input with field errors, write
nothing and never answer 500; query strings that make no sense fall back to the defaults."""

import pytest

from accounts.models import Note
from healthscores.models import SentimentOverride
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice):
    return AccountFactory(owner=alice)


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def note_url(account) -> str:
    return f"/accounts/{account.pk}/notes/"


def sentiment_url(account) -> str:
    return f"/health/accounts/{account.pk}/sentiment/"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("x" * 10_001, "Ensure this value has at most 10000 characters (it has 10001)."),
        ("Called \x00 them", "Null characters are not allowed."),
        ("   \n\t ", "This field is required."),
    ],
    ids=["oversized", "nul", "blank"],
)
def test_a_bad_note_is_a_field_error_and_nothing_is_written(as_alice, account, body, error):
    response = as_alice.post(note_url(account), {"body": body})

    assert response.status_code == 400
    assert response.context["note_form"].errors == {"body": [error]}
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert not Note.objects.exists()


def test_a_note_of_exactly_the_limit_is_saved(as_alice, account):
    response = as_alice.post(note_url(account), {"body": "x" * 10_000})

    assert response.status_code == 302
    assert len(Note.objects.get().body) == 10_000


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"band": "green", "reason": "y" * 2001}, "reason", "at most 2000 characters"),
        ({"band": "purple", "reason": "Fine"}, "band", "Select a valid choice."),
        ({"band": "green\x00", "reason": "Fine"}, "band", "Select a valid choice."),
        ({"band": "red", "reason": "Bad\x00"}, "reason", "Null characters are not allowed."),
        ({"reason": "No band"}, "band", "This field is required."),
    ],
    ids=["oversized-reason", "unknown-band", "nul-band", "nul-reason", "missing-band"],
)
def test_a_bad_sentiment_is_a_field_error_and_nothing_is_written(
    as_alice, account, data, field, error
):
    response = as_alice.post(sentiment_url(account), data)

    assert response.status_code == 400
    errors = response.context["sentiment_form"].errors
    assert list(errors) == [field]
    assert error in errors[field][0]
    assert not SentimentOverride.objects.exists()


def test_a_request_body_over_the_upload_limit_is_refused_with_400(as_alice, account):
    response = as_alice.post(note_url(account), {"body": "x" * (3 * 1024 * 1024)})

    assert response.status_code == 400
    assert not Note.objects.exists()


def test_a_post_with_thousands_of_fields_is_refused_with_400(as_alice, account):
    fields = {f"f{i}": "1" for i in range(1_500)} | {"body": "Hello"}

    response = as_alice.post(note_url(account), fields)

    assert response.status_code == 400
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "q=" + "a" * 5_000,
        "sort=;DROP TABLE accounts_account",
        "owner=abc&segment=%00&renewal_within=-5&band=purple",
        "page=99999999999999999999",
        "page=-1&sort=-",
        "first=2024-02-30&second=not-a-date",
    ],
)
def test_a_nonsense_query_string_shows_the_pages_with_defaults(as_alice, account, query):
    assert as_alice.get(f"/?{query}").status_code == 200
    assert as_alice.get(f"/accounts/{account.pk}/?{query}").status_code == 200
    assert as_alice.get(f"/accounts/export.csv?{query}").status_code == 200
