"""Alert actions and CSM sentiment, posted from the account 360 page.

alice owns Acme, bob owns Initech; each may act only on what the access rule lets them see.
"""

from datetime import date

import pytest
from django.test import Client

from healthscores.models import Alert, AlertStatus, SentimentOverride
from tests.factories import AccountFactory


@pytest.fixture
def acme(alice):
    return AccountFactory(name="Acme", owner=alice)


@pytest.fixture
def initech(bob):
    return AccountFactory(name="Initech", owner=bob)


def alert_on(account, **fields) -> Alert:
    return Alert.objects.create(
        account=account,
        owner=account.owner,
        reason="entered_red",
        as_of=date(2025, 3, 31),
        **fields,
    )


# Alerts


def test_a_csm_acknowledges_her_alert_and_returns_to_the_account(client, alice, acme):
    alert = alert_on(acme)
    client.force_login(alice)

    response = client.post(f"/health/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{acme.pk}/#alerts"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == alice
    assert alert.acknowledged_at is not None


def test_a_csm_closes_her_alert(client, alice, acme):
    alert = alert_on(acme, status=AlertStatus.ACKNOWLEDGED)
    client.force_login(alice)

    client.post(f"/health/alerts/{alert.pk}/close/")

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert alert.closed_at is not None


def test_the_page_confirms_the_action_and_shows_the_new_status(client, alice, acme):
    alert = alert_on(acme)
    client.force_login(alice)

    response = client.post(f"/health/alerts/{alert.pk}/acknowledge/", follow=True)

    content = response.content.decode()
    assert "Alert acknowledged: Entered red." in content
    assert ">Acknowledged</span>" in content
    assert f'action="/health/alerts/{alert.pk}/acknowledge/"' not in content  # done already
    assert f'action="/health/alerts/{alert.pk}/close/"' in content


def test_a_closed_alert_offers_no_more_actions(client, alice, acme):
    alert = alert_on(acme, status=AlertStatus.CLOSED)
    client.force_login(alice)

    content = client.get(f"/accounts/{acme.pk}/").content.decode()

    assert f"/health/alerts/{alert.pk}/" not in content


@pytest.mark.parametrize("action", ["acknowledge", "close"])
def test_a_csm_cannot_act_on_another_csms_alert(client, alice, initech, action):
    alert = alert_on(initech)
    client.force_login(alice)

    response = client.post(f"/health/alerts/{alert.pk}/{action}/")

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_a_leader_may_act_on_any_alert(client, leader, initech):
    alert = alert_on(initech)
    client.force_login(leader)

    client.post(f"/health/alerts/{alert.pk}/close/")

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED


@pytest.mark.parametrize("action", ["acknowledge", "close"])
def test_alert_actions_are_only_posted(client, alice, acme, action):
    alert = alert_on(acme)
    client.force_login(alice)

    assert client.get(f"/health/alerts/{alert.pk}/{action}/").status_code == 405


def test_an_anonymous_visitor_cannot_act_on_an_alert(client, acme):
    alert = alert_on(acme)

    response = client.post(f"/health/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_alert_actions_need_the_csrf_token(alice, acme):
    alert = alert_on(acme)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post(f"/health/alerts/{alert.pk}/acknowledge/").status_code == 403


def test_an_alert_action_goes_back_to_the_page_it_came_from(client, alice, acme):
    alert = alert_on(acme)
    client.force_login(alice)

    response = client.post(f"/health/alerts/{alert.pk}/acknowledge/", {"next": "/?band=red"})

    assert response["Location"] == "/?band=red"


def test_an_alert_action_never_redirects_to_another_site(client, alice, acme):
    alert = alert_on(acme)
    client.force_login(alice)

    response = client.post(
        f"/health/alerts/{alert.pk}/close/", {"next": "https://evil.example/phish"}
    )

    assert response["Location"] == f"/accounts/{acme.pk}/#alerts"


# CSM sentiment


def test_a_csm_records_her_sentiment_beside_the_health_score(client, alice, acme):
    client.force_login(alice)

    response = client.post(
        f"/health/accounts/{acme.pk}/sentiment/", {"band": "red", "reason": " Sponsor left "}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{acme.pk}/#sentiment"
    override = SentimentOverride.objects.get()
    assert (override.account, override.author, override.band, override.reason) == (
        acme,
        alice,
        "red",
        "Sponsor left",
    )


def test_the_latest_sentiment_shows_in_the_header_and_every_entry_in_the_history(
    client, alice, acme
):
    client.force_login(alice)
    client.post(f"/health/accounts/{acme.pk}/sentiment/", {"band": "yellow", "reason": "Quiet"})
    client.post(f"/health/accounts/{acme.pk}/sentiment/", {"band": "green", "reason": "Renewed"})

    response = client.get(f"/accounts/{acme.pk}/")

    assert response.context["sentiment"].band == "green"
    assert [entry.reason for entry in response.context["overrides"]] == ["Renewed", "Quiet"]
    assert "band-unknown" in response.content.decode()  # the computed score is still shown


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"band": "red", "reason": ""}, "reason", "This field is required."),
        ({"band": "red", "reason": "   "}, "reason", "This field is required."),
        ({"band": "red", "reason": "x" * 2001}, "reason", "at most 2000 characters"),
        ({"band": "purple", "reason": "Hmm"}, "band", "Select a valid choice."),
        ({"reason": "Hmm"}, "band", "This field is required."),
    ],
)
def test_an_invalid_sentiment_is_refused_with_its_error_shown(
    client, alice, acme, data, field, error
):
    client.force_login(alice)

    response = client.post(f"/health/accounts/{acme.pk}/sentiment/", data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert f'id="{field}-error"' in response.content.decode()
    assert not SentimentOverride.objects.exists()


def test_a_csm_cannot_record_sentiment_on_another_csms_account(client, alice, initech):
    client.force_login(alice)

    response = client.post(
        f"/health/accounts/{initech.pk}/sentiment/", {"band": "red", "reason": "Nosy"}
    )

    assert response.status_code == 404
    assert not SentimentOverride.objects.exists()


def test_sentiment_is_only_posted(client, alice, acme):
    client.force_login(alice)

    assert client.get(f"/health/accounts/{acme.pk}/sentiment/").status_code == 405
