"""Customers hear from the company, not from Northstar: its name (COMPANY_NAME), its logo
(COMPANY_LOGO_URL) and its address (DEFAULT_FROM_EMAIL) on every public survey page and in
every invitation email."""

import pytest
from django.core import mail

from surveys.models import SurveyResponse
from surveys.selectors import active_survey
from surveys.services import invite_contacts
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_brand(settings):
    settings.COMPANY_NAME = "Acme Analytics"
    settings.COMPANY_LOGO_URL = "/static/acme-logo.png"
    settings.DEFAULT_FROM_EMAIL = "success@acme.example"
    settings.SITE_URL = "https://cs.acme.example"


@pytest.fixture
def invitation(jane):
    return InvitationFactory(contact=jane, survey=active_survey("nps"))


def test_the_public_page_names_the_company_with_its_logo(client, invitation, acme_brand):
    html = client.get(f"/s/{invitation.token}/").content.decode()

    assert "How likely are you to recommend Acme Analytics to a friend or colleague?" in html
    assert "recommend us" not in html and "{company}" not in html
    assert '<img src="/static/acme-logo.png" alt="Acme Analytics"' in html
    assert "<title>Net Promoter Score · Acme Analytics</title>" in html
    assert "Northstar" not in html
    assert "your account team at Acme Analytics" in html


def test_the_thanks_and_problem_pages_name_the_company_too(client, invitation, acme_brand):
    client.post(f"/s/{invitation.token}/", {"score": "9"})
    assert SurveyResponse.objects.count() == 1

    thanks = client.get(f"/s/{invitation.token}/thanks/", follow=True).content.decode()
    answered = client.get(f"/s/{invitation.token}/").content.decode()
    unknown = client.get("/s/" + "x" * 43 + "/").content.decode()

    for page in (thanks, answered, unknown):
        assert '<span class="survey-company">Acme Analytics</span>' in page
        assert "Northstar" not in page
    assert "your account team at Acme Analytics" in thanks


def test_the_invitation_comes_from_the_company_with_its_name_and_logo(
    jane, acme_brand, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_contacts(survey=active_survey("nps"), contacts=[jane])

    message = mail.outbox[0]
    assert message.from_email == "Acme Analytics <success@acme.example>"
    assert message.subject == "One quick question: would you recommend Acme Analytics?"
    assert "recommend Acme Analytics to a friend" in message.body
    assert "The Acme Analytics team" in message.body
    html, _mimetype = message.alternatives[0]
    assert '<img src="https://cs.acme.example/static/acme-logo.png" alt="Acme Analytics"' in html
    assert "the Acme Analytics team" in html


def test_a_sender_that_names_itself_is_kept(
    jane, acme_brand, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "Acme Customer Success <cs@acme.example>"

    with django_capture_on_commit_callbacks(execute=True):
        invite_contacts(survey=active_survey("nps"), contacts=[jane])

    assert mail.outbox[0].from_email == "Acme Customer Success <cs@acme.example>"


def test_without_a_company_name_the_texts_say_us_as_before(client, invitation, settings):
    settings.COMPANY_NAME = ""

    html = client.get(f"/s/{invitation.token}/").content.decode()

    assert "How likely are you to recommend us to a friend or colleague?" in html
    assert 'class="survey-company"' not in html
