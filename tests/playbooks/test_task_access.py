"""A task given to a CSM lets her read its account until it is done, and never change it.

alice owns Acme; carol is a CSM the leader (or a playbook) gives a task on Acme (issue 13, item 1:
a grant that could renew itself, and that let its holder act on another owner's account).
"""

from datetime import date

import pytest
from django.urls import reverse

from accounts.access import accounts_visible_to, user_may_act_on
from accounts.models import Note
from healthscores.models import Alert, SentimentOverride
from playbooks.models import Task, TaskSource
from surveys.models import Invitation
from tests.factories import AccountFactory, ContactFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", groups=["CSM"])


@pytest.fixture
def acme(alice):
    return AccountFactory(owner=alice, name="Acme")


def test_a_task_the_leader_gave_lets_the_csm_read_the_account_but_not_act_on_it(
    client, acme, carol, leader
):
    TaskFactory(account=acme, assignee=carol, created_by=leader)
    client.force_login(carol)

    assert client.get(reverse("account_detail", args=[acme.pk])).status_code == 200
    assert list(accounts_visible_to(carol)) == [acme]
    assert not user_may_act_on(carol, acme)


def test_a_playbooks_task_lets_the_csm_read_the_account(client, acme, carol):
    TaskFactory(account=acme, assignee=carol, source=TaskSource.PLAYBOOK)
    client.force_login(carol)

    assert client.get(reverse("account_detail", args=[acme.pk])).status_code == 200


def test_a_csm_reading_through_a_task_writes_nothing_about_the_account(client, acme, carol, leader):
    given = TaskFactory(account=acme, assignee=carol, created_by=leader)
    alices = TaskFactory(account=acme, assignee=acme.owner, created_by=acme.owner)
    alert = Alert.objects.create(
        account=acme, owner=acme.owner, reason="entered_red", as_of=date(2024, 3, 31)
    )
    contact = ContactFactory(account=acme, email="sponsor@acme.example")
    client.force_login(carol)

    writes = {
        "note": client.post(reverse("note_create", args=[acme.pk]), {"body": "Mine now."}),
        "sentiment": client.post(
            reverse("sentiment_override_create", args=[acme.pk]),
            {"band": "green", "reason": "Fine."},
        ),
        "acknowledge": client.post(reverse("alert_acknowledge", args=[alert.pk])),
        "close": client.post(reverse("alert_close", args=[alert.pk])),
        "survey": client.post(
            reverse("survey_account_invite", args=[acme.pk]), {"contact": contact.pk}
        ),
        "new task": client.post(
            reverse("task_create", args=[acme.pk]), {"title": "Keep access", "due_on": "2099-12-31"}
        ),
        "reassign her own": client.post(
            reverse("task_reassign", args=[given.pk]), {"assignee": carol.pk}
        ),
        "complete alice's": client.post(reverse("task_complete", args=[alices.pk])),
    }

    assert {name: r.status_code for name, r in writes.items()} == dict.fromkeys(writes, 403)
    assert not Note.objects.exists() and not SentimentOverride.objects.exists()
    assert not Invitation.objects.exists()
    alert.refresh_from_db()
    assert alert.status == "open"
    assert Task.objects.filter(account=acme).count() == 2


def test_the_csm_completes_her_task_and_then_no_longer_sees_the_account(
    client, acme, carol, leader
):
    given = TaskFactory(account=acme, assignee=carol, created_by=leader)
    client.force_login(carol)

    assert client.post(reverse("task_complete", args=[given.pk])).status_code == 302

    assert client.get(reverse("account_detail", args=[acme.pk])).status_code == 404


def test_a_task_the_csm_wrote_herself_grants_nothing_however_far_its_due_date(client, acme, carol):
    TaskFactory(account=acme, assignee=carol, created_by=carol, due_on=date(2099, 12, 31))
    client.force_login(carol)

    assert client.get(reverse("account_detail", args=[acme.pk])).status_code == 404


def test_a_task_given_to_her_that_is_done_grants_nothing(client, acme, carol, leader):
    TaskFactory(account=acme, assignee=carol, created_by=leader, status="done")
    client.force_login(carol)

    assert client.get(reverse("account_detail", args=[acme.pk])).status_code == 404


def test_the_owner_and_the_leader_still_act_on_the_account(client, acme, leader):
    client.force_login(acme.owner)
    assert client.post(reverse("note_create", args=[acme.pk]), {"body": "Call."}).status_code == 302
    client.force_login(leader)
    assert (
        client.post(
            reverse("sentiment_override_create", args=[acme.pk]),
            {"band": "red", "reason": "Quiet."},
        ).status_code
        == 302
    )
