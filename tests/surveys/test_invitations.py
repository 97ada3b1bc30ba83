"""Inviting contacts: unguessable tokens, expiry, the duplicate rules, and the emails queued
when the transaction commits."""

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from surveys.models import Invitation, InvitationStatus
from surveys.services import (
    SurveyNotActive,
    invite_account,
    invite_accounts,
    invite_contacts,
)
from tests.factories import AccountFactory, ContactFactory, SurveyResponseFactory
from tests.surveys.factories import InvitationFactory, default_survey


def test_an_invitation_carries_an_unguessable_token_of_at_least_128_bits(jane):
    outcome = invite_contacts(survey=default_survey(), contacts=[jane])

    token = outcome.invitations[0].token
    # token_urlsafe(32): 43 characters of a 64-letter alphabet = 256 bits, far above 128.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len(token) * 6 >= 128


def test_tokens_never_repeat(acme):
    contacts = ContactFactory.create_batch(200, account=acme)

    outcome = invite_contacts(survey=default_survey(), contacts=contacts)

    assert outcome.created == 200
    assert len({i.token for i in outcome.invitations}) == 200


def test_an_invitation_expires_after_30_days_by_default_or_as_asked(acme):
    first, second = ContactFactory.create_batch(2, account=acme)
    before = timezone.now()

    default = invite_contacts(survey=default_survey(), contacts=[first]).invitations[0]
    week = invite_contacts(survey=default_survey(), contacts=[second], expires_in_days=7)

    assert timedelta(days=30) <= default.expires_at - before < timedelta(days=30, minutes=1)
    assert week.invitations[0].expires_at - week.invitations[0].created_at == timedelta(days=7)


def test_an_invitation_is_attributed_to_the_contact_their_account_and_who_sent_it(jane, alice):
    invitation = invite_contacts(survey=default_survey("csat"), contacts=[jane], invited_by=alice)

    stored = Invitation.objects.get(pk=invitation.invitations[0].pk)
    assert (stored.contact, stored.account, stored.email) == (jane, jane.account, jane.email)
    assert stored.invited_by == alice and stored.survey.kind == "csat"
    assert stored.status == InvitationStatus.PENDING and stored.sent_at is None


def test_resending_never_creates_a_second_open_invitation(jane):
    survey = default_survey()
    invite_contacts(survey=survey, contacts=[jane])

    again = invite_contacts(survey=survey, contacts=[jane])

    assert (again.created, again.skipped_open_invitation) == (0, 1)
    assert Invitation.objects.filter(contact=jane, survey=survey).count() == 1


def test_an_open_invitation_to_another_survey_does_not_block_this_one(jane):
    invite_contacts(survey=default_survey("nps"), contacts=[jane])

    csat = invite_contacts(survey=default_survey("csat"), contacts=[jane])

    assert csat.created == 1


def test_an_expired_invitation_no_longer_blocks_a_new_one_and_is_marked_expired(jane):
    old = InvitationFactory(
        contact=jane,
        created_at=timezone.now() - timedelta(days=40),
        expires_at=timezone.now() - timedelta(days=10),
    )

    outcome = invite_contacts(survey=default_survey(), contacts=[jane])

    assert outcome.created == 1
    old.refresh_from_db()
    assert old.status == InvitationStatus.EXPIRED


def test_the_database_refuses_two_pending_invitations_for_one_contact_and_survey(jane):
    InvitationFactory(contact=jane)

    with pytest.raises(IntegrityError):
        InvitationFactory(contact=jane)


@pytest.mark.parametrize(
    ("kind", "days_ago", "skipped"),
    [
        ("nps", 1, True),
        ("nps", 89, True),
        ("nps", 91, False),  # answered more than 90 days ago: asked again
        ("csat", 1, False),  # another kind does not count
    ],
)
def test_a_contact_who_answered_the_same_kind_in_the_last_90_days_is_skipped(
    jane, kind, days_ago, skipped
):
    SurveyResponseFactory(
        account=jane.account,
        contact=jane,
        kind=kind,
        score=3,
        responded_at=timezone.now() - timedelta(days=days_ago),
    )

    outcome = invite_contacts(survey=default_survey("nps"), contacts=[jane])

    assert outcome.skipped_recent_response == int(skipped)
    assert outcome.created == int(not skipped)


def test_a_contact_without_email_is_skipped_and_counted(acme):
    nameless = ContactFactory(account=acme, email="")

    outcome = invite_contacts(survey=default_survey(), contacts=[nameless])

    assert (outcome.created, outcome.skipped_no_email) == (0, 1)
    assert not Invitation.objects.exists()


def test_each_skip_is_counted_once_and_summarised(acme):
    fresh, no_email, answered, invited = ContactFactory.create_batch(4, account=acme)
    no_email.email = ""
    no_email.save()
    SurveyResponseFactory(account=acme, contact=answered, responded_at=timezone.now())
    InvitationFactory(contact=invited)

    outcome = invite_account(survey=default_survey(), account=acme)

    assert (outcome.created, outcome.skipped_no_email) == (1, 1)
    assert (outcome.skipped_recent_response, outcome.skipped_open_invitation) == (1, 1)
    assert outcome.invitations[0].contact == fresh
    assert outcome.summary() == (
        "Survey sent to 1 contact; skipped 3: 1 answered in the last 90 days, "
        "1 already have an open invitation, 1 have no email address"
    )


def test_inviting_an_account_leaves_out_contacts_who_left(acme):
    here = ContactFactory(account=acme)
    ContactFactory(account=acme, left_on=timezone.localdate() - timedelta(days=3))

    outcome = invite_account(survey=default_survey(), account=acme)

    assert [i.contact for i in outcome.invitations] == [here]


def test_inviting_a_filtered_set_of_accounts_reaches_every_contact_in_one_run(
    db, django_assert_max_num_queries
):
    smb = AccountFactory.create_batch(3, segment="SMB")
    AccountFactory(segment="Enterprise")
    for account in smb:
        ContactFactory.create_batch(2, account=account)
    ContactFactory.create_batch(2, account=AccountFactory(segment="Enterprise"))
    survey = default_survey()

    # Expire stale, classify, insert, read back, one audit entry: the same queries for 6 or
    # 6,000 contacts.
    with django_assert_max_num_queries(7):
        outcome = invite_accounts(
            survey=survey, accounts=AccountFactory._meta.model.objects.filter(segment="SMB")
        )

    assert outcome.created == 6
    assert {i.account for i in outcome.invitations} == set(smb)


def test_an_inactive_survey_cannot_be_sent(jane):
    survey = default_survey()
    survey.is_active = False
    survey.save()

    with pytest.raises(SurveyNotActive):
        invite_contacts(survey=survey, contacts=[jane])


@pytest.mark.parametrize("days", [0, -1, 366])
def test_an_expiry_outside_one_day_to_a_year_is_refused(jane, days):
    with pytest.raises(ValueError, match="expires_in_days"):
        invite_contacts(survey=default_survey(), contacts=[jane], expires_in_days=days)
    assert not Invitation.objects.exists()


# The emails


def test_the_email_is_queued_only_when_the_transaction_commits(
    jane, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_contacts(survey=default_survey(), contacts=[jane])
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_email_links_to_the_public_page_of_its_token(
    jane, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://cs.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        outcome = invite_contacts(survey=default_survey(), contacts=[jane])

    invitation = Invitation.objects.get(pk=outcome.invitations[0].pk)
    message = mail.outbox[0]
    assert message.to == ["jane@acme.example"]
    assert message.subject == "One quick question: would you recommend us?"
    assert f"https://cs.example.com/s/{invitation.token}/" in message.body
    assert "Hello Jane Doe" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"/s/{invitation.token}/" in html
    assert invitation.sent_at is not None and invitation.send_error == ""


def test_running_the_email_task_again_sends_nothing_twice(jane, eager_celery):
    from surveys.tasks import send_invitations

    invitation = InvitationFactory(contact=jane)

    assert send_invitations.delay([invitation.pk]).get() == {"sent": 1}
    assert send_invitations.delay([invitation.pk]).get() == {"sent": 0}
    assert len(mail.outbox) == 1


def test_answered_and_expired_invitations_are_not_emailed(acme, eager_celery):
    from surveys.tasks import send_invitations

    expired = InvitationFactory(
        contact=ContactFactory(account=acme),
        created_at=timezone.now() - timedelta(days=31),
        expires_at=timezone.now() - timedelta(days=1),
    )
    answered = InvitationFactory(
        contact=ContactFactory(account=acme), status="answered", responded_at=timezone.now()
    )

    assert send_invitations.delay([expired.pk, answered.pk]).get() == {"sent": 0}
    assert mail.outbox == []


class FailsOnSecondMessage:
    """An email backend whose server drops the connection after one message."""

    sent = 0

    def __init__(self, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def send_messages(self, messages):
        if FailsOnSecondMessage.sent >= 1:
            raise ConnectionResetError("connection reset by the mail server")
        FailsOnSecondMessage.sent += len(messages)
        return len(messages)


def test_a_mail_server_failure_keeps_what_was_sent_and_records_the_error(acme, settings):
    from surveys.services import invitation_emails_send

    settings.EMAIL_BACKEND = f"{__name__}.FailsOnSecondMessage"
    FailsOnSecondMessage.sent = 0
    first, second = (InvitationFactory(contact=ContactFactory(account=acme)) for _ in range(2))

    with pytest.raises(ConnectionResetError):
        invitation_emails_send(invitation_ids=[first.pk, second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is not None
    assert second.sent_at is None and "connection reset" in second.send_error


def test_an_unreachable_broker_leaves_the_invitation_unsent_instead_of_failing(
    jane, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    from kombu.exceptions import OperationalError

    from surveys.tasks import send_invitations

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The fault is injected where Celery publishes: its connection pool outlives settings.
    monkeypatch.setattr(send_invitations, "apply_async", broker_down)
    monkeypatch.setattr(logging.getLogger("northstar"), "propagate", True)  # for caplog

    with django_capture_on_commit_callbacks(execute=True):
        outcome = invite_contacts(survey=default_survey(), contacts=[jane])

    assert outcome.created == 1
    assert Invitation.objects.get().sent_at is None
    assert "broker unreachable: 1 survey emails left unsent" in caplog.text
