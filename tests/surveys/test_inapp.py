"""The in-app widget's endpoints (/inapp/v1/<key>/...), as a customer's product calls them from
another origin: who is asked, the one fatigue rule across email and in-app, the answer through
the same validator and detractor alert as email, and the refusals (key, origin, identity, body,
rate)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from healthscores.models import Alert, AlertReason
from surveys import inapp
from surveys.models import Channel, InAppKey, Invitation, InvitationStatus, SurveyResponse
from surveys.services import invite_contacts
from tests.factories import AccountFactory, ContactFactory, SurveyResponseFactory, UserFactory
from tests.surveys.factories import InvitationFactory, default_survey

ORIGIN = "https://app.customer.example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> InAppKey:
    return InAppKey.objects.create(name="Web app", allowed_origins=f"{ORIGIN}\n")


@pytest.fixture
def nps():
    survey = default_survey("nps")
    survey.inapp_enabled = True
    survey.save()
    return survey


@pytest.fixture
def contact():
    owner = UserFactory(username="alice")
    account = AccountFactory(external_id="acme", owner=owner, segment="Enterprise")
    return ContactFactory(account=account, email="jo@acme.example", is_champion=True)


def call(key: InAppKey, action: str, body: dict | str, *, origin: str = ORIGIN, **extra):
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(
        f"/inapp/v1/{key.public_key}/{action}",
        raw,
        content_type="text/plain",
        headers={"Origin": origin} if origin else {},
        **extra,
    )


def ask(key, email="jo@acme.example", account="acme", **more):
    return call(key, "ask", {"userId": "u1", "email": email, "accountId": account, **more})


class TestWhoIsAsked:
    def test_a_known_contact_gets_the_question_with_cors_for_that_origin(self, key, nps, contact):
        response = ask(key)

        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        question = response.json()["question"]
        assert question["kind"] == "nps" and (question["low"], question["high"]) == (0, 10)
        invitation = Invitation.objects.get(token=question["token"])
        assert (invitation.channel, invitation.contact, invitation.status) == (
            Channel.INAPP,
            contact,
            InvitationStatus.PENDING,
        )

    def test_the_email_matches_whatever_its_case(self, key, nps, contact):
        assert ask(key, email="JO@Acme.Example").json()["question"] is not None

    def test_the_same_open_question_is_shown_again_until_answered(self, key, nps, contact):
        first = ask(key).json()["question"]["token"]
        assert ask(key).json()["question"]["token"] == first
        assert Invitation.objects.filter(contact=contact).count() == 1

    @pytest.mark.parametrize(
        "email, account",
        [("nobody@acme.example", "acme"), ("jo@acme.example", "other-account")],
        ids=["unknown email", "email of another account"],
    )
    def test_unknown_users_get_nothing_and_learn_nothing(self, key, nps, contact, email, account):
        AccountFactory(external_id="other-account")
        response = ask(key, email=email, account=account)
        assert response.status_code == 200 and response.json() == {"question": None}

    def test_a_contact_who_left_is_not_asked(self, key, nps, contact):
        contact.left_on = timezone.localdate() - timedelta(days=1)
        contact.save()
        assert ask(key).json() == {"question": None}

    def test_nothing_is_asked_when_no_survey_is_enabled_in_the_product(self, key, contact):
        assert ask(key).json() == {"question": None}

    def test_segment_targeting(self, key, nps, contact):
        nps.inapp_segments = ["SMB"]
        nps.save()
        assert ask(key).json()["question"] is None
        nps.inapp_segments = ["SMB", "Enterprise"]
        nps.save()
        assert ask(key).json()["question"] is not None

    def test_champions_only(self, key, nps, contact):
        nps.inapp_champions_only = True
        nps.save()
        other = ContactFactory(account=contact.account, email="sam@acme.example")
        assert ask(key, email=other.email).json()["question"] is None
        assert ask(key).json()["question"] is not None

    def test_days_since_signup(self, key, nps, contact):
        nps.inapp_min_days_since_signup = 30
        nps.save()
        recent = (timezone.localdate() - timedelta(days=29)).isoformat()
        old = (timezone.localdate() - timedelta(days=30)).isoformat()
        assert ask(key).json()["question"] is None  # no signup date sent: not asked
        assert ask(key, signedUpAt=recent).json()["question"] is None
        assert ask(key, signedUpAt=old).json()["question"] is not None

    def test_the_next_kind_is_asked_when_the_first_is_not_due(self, key, nps, contact):
        csat = default_survey("csat")
        csat.inapp_enabled = True
        csat.save()
        SurveyResponseFactory(account=contact.account, contact=contact, kind="nps", score=9,
                              responded_at=timezone.now() - timedelta(days=10))  # fmt: skip
        assert ask(key).json()["question"]["kind"] == "csat"


class TestOneFatigueRuleAcrossChannels:
    def test_an_open_email_invitation_keeps_the_widget_quiet(self, key, nps, contact):
        InvitationFactory(contact=contact, survey=nps)
        assert ask(key).json()["question"] is None

    def test_an_answer_by_email_in_the_last_90_days_keeps_the_widget_quiet(self, key, nps, contact):
        SurveyResponseFactory(account=contact.account, contact=contact, kind="nps", score=8,
                              responded_at=timezone.now() - timedelta(days=89))  # fmt: skip
        assert ask(key).json()["question"] is None

    def test_after_90_days_the_widget_asks_again(self, key, nps, contact):
        SurveyResponseFactory(account=contact.account, contact=contact, kind="nps", score=8,
                              responded_at=timezone.now() - timedelta(days=91))  # fmt: skip
        assert ask(key).json()["question"] is not None

    def test_an_answer_in_the_product_skips_the_email(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]
        assert call(key, "answer", {"token": token, "score": 9}).status_code == 200

        outcome = invite_contacts(survey=nps, contacts=[contact])

        assert (outcome.created, outcome.skipped_recent_response) == (0, 1)

    def test_an_open_question_in_the_product_skips_the_email(self, key, nps, contact):
        ask(key)
        outcome = invite_contacts(survey=nps, contacts=[contact])
        assert (outcome.created, outcome.skipped_open_invitation) == (0, 1)

    def test_a_dismissed_question_is_not_asked_again_by_either_channel(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]

        assert call(key, "dismiss", {"token": token}).json() == {"dismissed": True}

        assert ask(key).json()["question"] is None
        assert invite_contacts(survey=nps, contacts=[contact]).skipped_recent_response == 1

    def test_a_lapsed_question_makes_way_for_a_new_one(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]
        Invitation.objects.filter(token=token).update(
            created_at=timezone.now() - timedelta(days=8),
            expires_at=timezone.now() - timedelta(days=1),
        )
        fresh = ask(key).json()["question"]
        assert fresh is not None and fresh["token"] != token
        assert Invitation.objects.get(token=token).status == InvitationStatus.EXPIRED


class TestTheAnswer:
    def test_it_lands_on_the_account_like_any_answer(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]

        response = call(key, "answer", {"token": token, "score": "10", "comment": " Great "})

        assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == ORIGIN
        answer = SurveyResponse.objects.get()
        assert (answer.account, answer.contact, answer.kind, answer.score, answer.comment) == (
            contact.account,
            contact,
            "nps",
            10,
            "Great",
        )
        assert Invitation.objects.get(token=token).status == InvitationStatus.ANSWERED

    def test_a_detractor_raises_the_owners_follow_up_alert(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]
        call(key, "answer", {"token": token, "score": 3, "comment": "Too slow"})

        alert = Alert.objects.get(account=contact.account, reason=AlertReason.DETRACTOR)
        assert alert.owner == contact.account.owner and "Too slow" in alert.details
        assert Invitation.objects.get(token=token).follow_up_due_on == alert.due_on

    @pytest.mark.parametrize("score", ["11", "-1", "seven", "", "7.5"])
    def test_a_score_off_the_scale_is_a_field_error_and_writes_nothing(
        self, key, nps, contact, score
    ):
        token = ask(key).json()["question"]["token"]
        response = call(key, "answer", {"token": token, "score": score})
        assert response.status_code == 400
        assert "from 0 to 10" in response.json()["errors"]["score"][0]
        assert not SurveyResponse.objects.exists()

    def test_a_second_answer_is_refused(self, key, nps, contact):
        token = ask(key).json()["question"]["token"]
        call(key, "answer", {"token": token, "score": 9})
        response = call(key, "answer", {"token": token, "score": 1})
        assert response.status_code == 410 and SurveyResponse.objects.count() == 1

    def test_an_emailed_token_cannot_be_answered_through_the_widget(self, key, nps, contact):
        emailed = InvitationFactory(contact=contact, survey=nps)
        assert call(key, "answer", {"token": emailed.token, "score": 9}).status_code == 404


class TestRefusals:
    def test_an_unknown_or_inactive_key(self, key, nps, contact):
        key.is_active = False
        key.save()
        response = ask(key)
        assert response.status_code == 404 and "Access-Control-Allow-Origin" not in response

    @pytest.mark.parametrize("origin", ["https://evil.example", "", "http://app.customer.example"])
    def test_an_origin_the_key_does_not_list(self, key, nps, contact, origin):
        response = ask_from(key, origin)
        assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response
        assert not Invitation.objects.exists()

    def test_the_preflight_names_the_origin_and_method(self, key):
        response = Client().options(
            f"/inapp/v1/{key.public_key}/ask",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        assert response["Access-Control-Allow-Methods"] == "POST"

    @pytest.mark.parametrize(
        "body, message",
        [
            ("{not json", "not valid JSON"),
            ("[1, 2]", "must be a JSON object"),
            ({"accountId": "acme"}, "email: this field is required"),
            ({"email": "not-an-email", "accountId": "acme"}, "email: enter a valid email"),
            ({"email": "jo@acme.example"}, "accountId: this field is required"),
            ({"email": "jo@acme.example", "accountId": "a" * 300}, "accountId: at most 254"),
            (
                {"email": "jo@acme.example", "accountId": "acme", "signedUpAt": "yesterday"},
                "signedUpAt: use an ISO date",
            ),
        ],
    )
    def test_a_bad_body_says_which_field(self, key, nps, contact, body, message):
        response = call(key, "ask", body)
        assert response.status_code == 400 and message in response.json()["error"]
        assert not Invitation.objects.exists()

    def test_identity_verification_when_the_key_requires_it(self, key, nps, contact):
        key.require_identity_verification = True
        key.save()
        assert ask(key).status_code == 401
        assert ask(key, userHash="0" * 64).status_code == 401
        good = inapp.user_hash(key, "JO@acme.example")
        assert ask(key, userHash=good).json()["question"] is not None

    def test_a_user_hash_is_checked_even_when_not_required(self, key, nps, contact):
        assert ask(key, userHash="f" * 64).status_code == 401

    def test_rate_limited_per_end_user(self, key, nps, contact, settings):
        settings.INAPP_RATE_LIMIT_PER_MINUTE = 100  # 10 a minute per user
        statuses = [ask(key).status_code for _ in range(11)]
        assert statuses[:10] == [200] * 10 and statuses[10] == 429
        assert ask(key, email="sam@acme.example").status_code == 200  # another user


def ask_from(key, origin):
    return call(key, "ask", {"email": "jo@acme.example", "accountId": "acme"}, origin=origin)
