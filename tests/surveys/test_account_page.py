"""The account page's survey controls: a CSM sends a survey to one contact or to all contacts of
an account she owns; other roles and other CSMs cannot."""

import pytest

from surveys.models import Invitation
from tests.factories import ContactFactory
from tests.surveys.factories import InvitationFactory, default_survey


def invite(client, account, contact, kind="nps"):
    return client.post(
        f"/surveys/accounts/{account.pk}/invite/",
        {"survey": default_survey(kind).pk, "contact": contact},
    )


def test_the_owner_sees_a_send_survey_control_per_contact_and_for_all(client, alice, acme, jane):
    client.force_login(alice)

    html = client.get(f"/accounts/{acme.pk}/").content.decode()

    assert f'action="/surveys/accounts/{acme.pk}/invite/#contacts"' in html
    assert f'name="contact" value="{jane.pk}"' in html
    assert 'name="contact" value="all"' in html
    assert "Customer satisfaction" in html  # every active survey is offered


def test_a_contact_with_an_open_invitation_is_marked_on_the_page(client, alice, acme, jane):
    InvitationFactory(contact=jane)
    client.force_login(alice)

    html = client.get(f"/accounts/{acme.pk}/").content.decode()

    assert "NPS sent" in html


def test_sending_to_one_contact_creates_their_invitation_and_says_so(client, alice, acme, jane):
    client.force_login(alice)

    page = invite(client, acme, jane.pk)

    assert page.status_code == 302 and page["Location"] == f"/accounts/{acme.pk}/#contacts"
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.invited_by) == (jane, alice)
    followed = client.get(page["Location"]).content.decode()
    assert "NPS: Survey sent to 1 contact." in followed


def test_sending_to_all_contacts_reports_who_was_skipped(client, alice, acme, jane):
    ContactFactory(account=acme, email="")
    InvitationFactory(contact=ContactFactory(account=acme))
    client.force_login(alice)

    page = invite(client, acme, "all")

    assert Invitation.objects.count() == 2
    html = client.get(page["Location"]).content.decode()
    assert (
        "Survey sent to 1 contact; skipped 2: 1 already have an open invitation, 1 have no " in html
    )


def test_a_contact_of_another_account_is_refused_and_nothing_is_written(client, alice, acme):
    stranger = ContactFactory()
    client.force_login(alice)

    page = invite(client, acme, stranger.pk)

    assert not Invitation.objects.exists()
    assert (
        "That contact is not one of this account" in client.get(page["Location"]).content.decode()
    )


def test_an_inactive_survey_is_refused(client, alice, acme, jane):
    survey = default_survey()
    survey.is_active = False
    survey.save()
    client.force_login(alice)

    page = client.post(
        f"/surveys/accounts/{acme.pk}/invite/", {"survey": survey.pk, "contact": jane.pk}
    )

    assert not Invitation.objects.exists()
    assert "That survey is not active any more." in client.get(page["Location"]).content.decode()


def test_another_csm_gets_a_404(client, bob, acme, jane):
    client.force_login(bob)

    assert invite(client, acme, jane.pk).status_code == 404
    assert not Invitation.objects.exists()


def test_a_leader_reads_but_may_not_send_surveys(client, leader, acme, jane):
    client.force_login(leader)

    assert "/invite/" not in client.get(f"/accounts/{acme.pk}/").content.decode()
    assert invite(client, acme, jane.pk).status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("method", ["get", "put"])
def test_invitations_are_only_posted(client, alice, acme, method):
    client.force_login(alice)

    assert getattr(client, method)(f"/surveys/accounts/{acme.pk}/invite/").status_code == 405
