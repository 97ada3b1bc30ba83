"""The surveys admin: editing a survey's wording, the invitation list, and the Accounts action
that sends a survey to every contact of a filtered set of accounts."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.models import Account
from surveys.models import Invitation, Survey
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.factories import InvitationFactory, default_survey


def test_an_admin_rewords_a_survey(admin_client):
    survey = default_survey("csat")
    page = admin_client.get(f"/admin/surveys/survey/{survey.pk}/change/")
    assert page.status_code == 200

    fields = {"kind": "csat", "name": survey.name, "is_active": "on",
              "question": "How happy are you with Northstar?", "low_label": "Unhappy",
              "high_label": "Delighted", "follow_up_question": survey.follow_up_question,
              "email_subject": survey.email_subject, "email_intro": survey.email_intro,
              "inapp_min_days_since_signup": "0"}  # fmt: skip
    response = admin_client.post(f"/admin/surveys/survey/{survey.pk}/change/", fields)

    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.question, survey.high_label) == (
        "How happy are you with Northstar?",
        "Delighted",
    )


def test_a_second_active_survey_of_a_kind_gets_a_clear_message(admin_client):
    fields = {"kind": "nps", "name": "NPS 2", "is_active": "on", "question": "Q?",
              "low_label": "a", "high_label": "b", "follow_up_question": "Why?",
              "email_subject": "S", "email_intro": "I"}  # fmt: skip

    page = admin_client.post("/admin/surveys/survey/add/", fields)

    assert page.status_code == 200
    assert "Another survey of this kind is active" in page.content.decode()
    assert Survey.objects.filter(kind="nps").count() == 1


def test_the_invitation_list_shows_each_invitations_state(admin_client, jane):
    InvitationFactory(contact=jane)

    page = admin_client.get("/admin/surveys/invitation/?state=unsent")

    assert page.status_code == 200
    html = page.content.decode()
    assert "jane@acme.example" in html and "Open, not sent yet" in html
    assert InvitationFactory._meta.model.objects.get().token not in html  # never shown


def test_the_accounts_action_asks_which_survey_then_invites_every_contact(admin_client):
    smb = AccountFactory.create_batch(2, segment="SMB")
    for account in smb:
        ContactFactory.create_batch(2, account=account)
    ContactFactory(account=AccountFactory(segment="Enterprise"))
    chosen = [str(a.pk) for a in smb]
    action = {"action": "send_survey_to_accounts", ACTION_CHECKBOX_NAME: chosen, "index": 0}

    confirm = admin_client.post("/admin/accounts/account/", action)
    assert confirm.status_code == 200
    assert "Send a survey to every current contact of the <strong>2</strong>" in (
        confirm.content.decode()
    )
    assert not Invitation.objects.exists()

    done = admin_client.post(
        "/admin/accounts/account/",
        {**action, "send": "1", "survey": default_survey("ces").pk, "expires_in_days": 14},
        follow=True,
    )

    assert "Survey sent to 4 contacts" in done.content.decode()
    assert Invitation.objects.filter(account__in=smb, survey__kind="ces").count() == 4
    invitation = Invitation.objects.first()
    assert (invitation.expires_at - invitation.created_at).days == 14


def test_the_accounts_action_reaches_every_account_of_the_filter_with_select_all(admin_client):
    for _ in range(3):
        ContactFactory(account=AccountFactory(segment="SMB"))
    ContactFactory(account=AccountFactory(segment="Enterprise"))
    one = str(Account.objects.filter(segment="SMB").first().pk)

    admin_client.post(
        "/admin/accounts/account/?segment__exact=SMB",
        {"action": "send_survey_to_accounts", ACTION_CHECKBOX_NAME: [one], "index": 0,
         "select_across": "1", "send": "1", "survey": default_survey().pk,
         "expires_in_days": 30},
    )  # fmt: skip

    assert Invitation.objects.count() == 3
    assert not Invitation.objects.filter(account__segment="Enterprise").exists()


def test_an_invalid_expiry_sends_nothing_and_says_why(admin_client, jane):
    page = admin_client.post(
        "/admin/accounts/account/",
        {"action": "send_survey_to_accounts", ACTION_CHECKBOX_NAME: [str(jane.account.pk)],
         "index": 0, "send": "1", "survey": default_survey().pk, "expires_in_days": 0},
    )  # fmt: skip

    assert page.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in page.content.decode()
    assert not Invitation.objects.exists()


def test_the_admin_queues_the_emails_of_open_invitations_never_sent(
    admin_client, jane, eager_celery
):
    from django.core import mail

    unsent = InvitationFactory(contact=jane)
    answered = InvitationFactory(
        contact=ContactFactory(account=jane.account), status="answered",
        responded_at=unsent.created_at,
    )  # fmt: skip

    page = admin_client.post(
        "/admin/surveys/invitation/",
        {"action": "send_unsent_emails", ACTION_CHECKBOX_NAME: [unsent.pk, answered.pk],
         "index": 0},
        follow=True,
    )  # fmt: skip

    assert "1 email(s) queued." in page.content.decode()
    assert [m.to for m in mail.outbox] == [["jane@acme.example"]]
