"""The public answer page /s/<token>/: no login, the scale as buttons, one answer per token,
and every bad input refused with a clear page that stores nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import Invitation, InvitationStatus, SurveyResponse
from surveys.signals import response_recorded
from tests.surveys.factories import InvitationFactory


@pytest.fixture
def invitation(jane):
    return InvitationFactory(contact=jane)


def url(invitation) -> str:
    return f"/s/{invitation.token}/"


def answer(client, invitation, score, comment=""):
    return client.post(url(invitation), {"score": score, "comment": comment})


def test_the_page_needs_no_login_and_shows_the_question_and_one_button_per_score(
    client, invitation
):
    page = client.get(url(invitation))

    assert page.status_code == 200
    html = page.content.decode()
    assert "How likely are you to recommend us to a friend or colleague?" in html
    assert html.count('name="score"') == 11
    assert "0 = Not at all likely" in html and "10 = Extremely likely" in html
    assert "What is the main reason for your score?" in html
    assert "Hello Jane Doe" in html
    assert 'name="viewport"' in html  # mobile-friendly
    assert 'name="robots" content="noindex, nofollow"' in html
    assert "no-store" in page["Cache-Control"]


@pytest.mark.parametrize(("kind", "buttons"), [("csat", 5), ("ces", 7)])
def test_csat_and_ces_show_their_own_scales(client, jane, kind, buttons):
    invitation = InvitationFactory(contact=jane, kind=kind)

    html = client.get(url(invitation)).content.decode()

    assert html.count('name="score"') == buttons
    assert f'value="{buttons}"' in html and f'value="{buttons + 1}"' not in html


def test_an_answer_is_stored_for_the_invitations_account_and_contact_and_thanked(
    client, invitation, jane
):
    before = timezone.now()

    page = answer(client, invitation, 9, "  Great onboarding.  ")

    assert page.status_code == 302 and page["Location"] == f"/s/{invitation.token}/thanks/"
    response = SurveyResponse.objects.get()
    assert (response.account, response.contact) == (jane.account, jane)
    assert (response.kind, response.score, response.comment) == ("nps", 9, "Great onboarding.")
    assert before <= response.responded_at <= timezone.now()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.response == response and invitation.responded_at == response.responded_at
    thanks = client.get(page["Location"])
    assert thanks.status_code == 200 and "Thank you!" in thanks.content.decode()


def test_the_answer_is_on_the_account_page_at_once(client, invitation, alice, jane):
    answer(client, invitation, 3, "Support never answers.")

    client.force_login(alice)
    html = client.get(f"/accounts/{jane.account.pk}/").content.decode()

    assert "Support never answers." in html
    assert "NPS 3 from Jane Doe" in html  # the timeline


def test_a_second_submit_gets_a_clear_page_and_stores_nothing(client, invitation):
    answer(client, invitation, 9)

    again = answer(client, invitation, 0, "changed my mind")

    assert again.status_code == 410
    assert "You have already answered this survey" in again.content.decode()
    assert SurveyResponse.objects.get().score == 9
    assert client.get(url(invitation)).status_code == 410


def test_an_expired_link_gets_a_clear_page_and_stores_nothing(client, jane):
    invitation = InvitationFactory(
        contact=jane,
        created_at=timezone.now() - timedelta(days=31),
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    for page in (client.get(url(invitation)), answer(client, invitation, 9)):
        assert page.status_code == 410
        assert "This survey link has expired" in page.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # well-formed, unknown
        "short",
        "x" * 200,
        "bad%20token",
        "not!a*token.at-all",
    ],
)
def test_an_unknown_or_malformed_token_gets_a_not_found_page(client, invitation, token):
    for page in (client.get(f"/s/{token}/"), client.post(f"/s/{token}/", {"score": 9})):
        assert page.status_code == 404
        assert "This survey link is not valid" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_thanks_page_of_an_unanswered_link_leads_back_to_the_survey(client, invitation):
    page = client.get(f"/s/{invitation.token}/thanks/")

    assert page.status_code == 302 and page["Location"] == url(invitation)


@pytest.mark.parametrize(
    ("kind", "score"),
    [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 0), ("ces", 8)],
)
def test_a_score_outside_the_kinds_range_is_refused(client, jane, kind, score):
    invitation = InvitationFactory(contact=jane, kind=kind)

    page = answer(client, invitation, score)

    assert page.status_code == 400
    assert "That score is not on the scale" in page.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize(("kind", "score"), [("nps", 0), ("nps", 10), ("csat", 1), ("ces", 7)])
def test_the_ends_of_each_scale_are_accepted(client, jane, kind, score):
    invitation = InvitationFactory(contact=jane, kind=kind)

    assert answer(client, invitation, score).status_code == 302
    assert SurveyResponse.objects.get().score == score


@pytest.mark.parametrize("score", ["abc", "5.5", "1e1", "0x5", "9; DROP TABLE", "99999999999"])
def test_a_tampered_score_is_refused(client, invitation, score):
    page = answer(client, invitation, score)

    assert page.status_code == 400
    assert "That score is not on the scale" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_answer_without_a_score_asks_for_one_and_keeps_the_comment(client, invitation):
    page = answer(client, invitation, "", "I forgot to click")

    assert page.status_code == 400
    html = page.content.decode()
    assert "Choose a score from 0 to 10." in html
    assert "I forgot to click" in html
    assert not SurveyResponse.objects.exists()


def test_a_comment_longer_than_the_import_allows_is_refused(client, invitation):
    page = answer(client, invitation, 8, "x" * 10_001)

    assert page.status_code == 400
    assert "longer than 10000 characters" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_comment_with_a_null_character_is_refused(client, invitation):
    page = answer(client, invitation, 8, "bad\x00byte")

    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_an_oversized_request_is_refused_before_it_is_read(client, invitation):
    page = client.post(url(invitation), {"score": 8, "comment": "y" * 70_000, "pad": "z"})

    assert page.status_code == 413
    assert "Your answer is too long to send" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_kind_cannot_be_tampered_with_it_comes_from_the_invitation(client, invitation):
    client.post(url(invitation), {"score": 4, "kind": "csat"})

    assert SurveyResponse.objects.get().kind == "nps"


def test_a_post_without_the_csrf_token_is_refused(invitation):
    strict = Client(enforce_csrf_checks=True)

    page = strict.post(url(invitation), {"score": 9})

    assert page.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_post_with_the_pages_csrf_token_is_stored(invitation):
    strict = Client(enforce_csrf_checks=True)
    form = strict.get(url(invitation)).content.decode()
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    page = strict.post(url(invitation), {"score": 9, "csrfmiddlewaretoken": token})

    assert page.status_code == 302
    assert SurveyResponse.objects.count() == 1


def test_only_get_and_post_are_allowed(client, invitation):
    assert client.put(url(invitation)).status_code == 405


def test_response_recorded_is_sent_after_commit_with_the_response(
    client, invitation, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, response, **kwargs):
        received.append(response)

    response_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            answer(client, invitation, 10, "Love it")
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        response_recorded.disconnect(receiver)

    assert [r.comment for r in received] == ["Love it"]
    assert received[0].invitation == Invitation.objects.get()


def test_a_body_beyond_djangos_upload_limit_gets_a_bad_request_not_a_traceback(invitation):
    # With CSRF enforced, as in production, the middleware reads the body first and Django's
    # own limit (2.5 MB) answers 400 before the view's 64 KB check would.
    strict = Client(enforce_csrf_checks=True)
    form = strict.get(url(invitation)).content.decode()
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    page = strict.post(
        url(invitation), {"score": 8, "comment": "y" * 3_000_000, "csrfmiddlewaretoken": token}
    )

    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()
