"""Closing the loop: a detractor's answer raises an alert for the account's owner, due within
two business days, and the results page counts how many were followed up and how fast."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from healthscores.models import Alert, AlertStatus
from healthscores.services import alert_acknowledge, alert_close
from surveys.models import Invitation
from surveys.selectors import follow_ups
from surveys.services import add_business_days, response_record
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.factories import InvitationFactory

# Two business days after each weekday (Monday = 0): Thursday and Friday reach over the weekend.
DAYS_TO_DUE = {0: 2, 1: 2, 2: 2, 3: 4, 4: 4, 5: 3, 6: 2}


def record(contact, score, comment="", kind="nps"):
    invitation = InvitationFactory(contact=contact, kind=kind)
    return response_record(invitation_id=invitation.pk, score=score, comment=comment)


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2024, 3, 4), date(2024, 3, 6)),  # Monday -> Wednesday
        (date(2024, 3, 7), date(2024, 3, 11)),  # Thursday -> Monday
        (date(2024, 3, 8), date(2024, 3, 12)),  # Friday -> Tuesday
        (date(2024, 3, 9), date(2024, 3, 12)),  # Saturday -> Tuesday
        (date(2024, 3, 10), date(2024, 3, 12)),  # Sunday -> Tuesday
    ],
)
def test_two_business_days_skip_the_weekend(day, due):
    assert add_business_days(day, 2) == due


def test_a_detractor_raises_an_alert_for_the_owner_with_the_comment(jane, alice):
    record(jane, 4, "Too many outages this month.")

    alert = Alert.objects.get()
    today = timezone.localdate()
    assert (alert.account, alert.owner, alert.reason) == (jane.account, alice, "detractor")
    assert alert.status == AlertStatus.OPEN
    assert (
        alert.details == 'NPS 4 from Jane Doe (jane@acme.example): "Too many outages this month."'
    )
    assert alert.due_on == today + timedelta(days=DAYS_TO_DUE[today.weekday()])
    invitation = Invitation.objects.get()
    assert invitation.alert == alert and invitation.follow_up_due_on == alert.due_on


@pytest.mark.parametrize(
    ("kind", "score", "alerts"),
    [
        ("nps", 6, 1),
        ("nps", 7, 0),
        ("csat", 2, 1),
        ("csat", 3, 0),
        ("ces", 3, 1),
        ("ces", 4, 0),
    ],
)
def test_only_detractors_raise_alerts(jane, kind, score, alerts):
    record(jane, score, kind=kind)

    assert Alert.objects.count() == alerts


def test_an_account_without_owner_still_gets_its_alert(db):
    contact = ContactFactory(account=AccountFactory(owner=None))

    record(contact, 0)

    assert Alert.objects.get().owner is None


def test_a_second_detractor_joins_the_open_alert_instead_of_a_second_one(jane, acme):
    record(jane, 2, "Slow support.")
    first_due = Alert.objects.get().due_on
    colleague = ContactFactory(account=acme, name="Sam", email="sam@acme.example")

    record(colleague, 5, "Agree with Jane.")

    alert = Alert.objects.get()  # still one unclosed alert per account and reason
    assert alert.details.splitlines() == [
        'NPS 5 from Sam (sam@acme.example): "Agree with Jane."',
        'NPS 2 from Jane Doe (jane@acme.example): "Slow support."',
    ]
    assert alert.due_on == first_due
    assert set(Invitation.objects.values_list("alert", flat=True)) == {alert.pk}


def test_a_detractor_after_the_alert_was_closed_opens_a_new_one(jane, acme, alice):
    record(jane, 2)
    alert_close(alert=Alert.objects.get(), user=alice)

    record(ContactFactory(account=acme), 1)

    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert Alert.objects.count() == 2


def test_an_acknowledged_alert_takes_the_new_answer_and_its_due_date(jane, acme, alice):
    record(jane, 2)
    alert = Alert.objects.get()
    alert.due_on = date(2020, 1, 1)
    alert.save()
    alert_acknowledge(alert=alert, user=alice)

    record(ContactFactory(account=acme), 1, "Still broken")

    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.due_on > timezone.localdate()
    assert "Still broken" in alert.details


def test_follow_ups_count_acknowledged_alerts_and_how_fast(acme, alice):
    now = timezone.now()
    accounts = Account.objects.all()
    quick, slow, waiting = (ContactFactory(account=acme) for _ in range(3))
    for contact in (quick, slow):
        record(contact, 1)
        # Each detractor on its own alert: close the first so the second opens a new one.
        alert = Alert.objects.get(status=AlertStatus.OPEN)
        invitation = Invitation.objects.get(contact=contact)
        hours = 5 if contact == quick else 100
        Invitation.objects.filter(pk=invitation.pk).update(
            responded_at=now - timedelta(hours=hours + 1),
            # Acknowledged an hour ago, which is yesterday in the first hour of a day: the slow
            # one was due the day before that, so it is late whatever the time of day.
            follow_up_due_on=timezone.localdate() - timedelta(days=2 if contact == slow else 0),
        )
        Alert.objects.filter(pk=alert.pk).update(
            status=AlertStatus.CLOSED, acknowledged_at=now - timedelta(hours=1), closed_at=now
        )
    record(waiting, 0)
    Invitation.objects.filter(contact=waiting).update(
        follow_up_due_on=timezone.localdate() - timedelta(days=2)
    )

    figures = follow_ups(accounts=accounts, since=timezone.localdate().replace(day=1) -
                         timedelta(days=40), today=timezone.localdate())  # fmt: skip

    assert (figures.detractors, figures.followed_up, figures.overdue) == (3, 2, 1)
    assert figures.within_due == 1  # the quick one; the slow one was a day late
    assert figures.median_hours == pytest.approx((5 + 100) / 2)
    assert figures.followed_up_rate == pytest.approx(200 / 3)


def test_an_alert_acknowledged_before_a_detractor_joined_counts_when_it_is_closed(
    jane, acme, alice
):
    record(jane, 2)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, user=alice)
    record(ContactFactory(account=acme), 1)
    accounts = Account.objects.all()
    since = timezone.localdate() - timedelta(days=30)

    before = follow_ups(accounts=accounts, since=since, today=timezone.localdate())
    alert_close(alert=alert, user=alice)
    after = follow_ups(accounts=accounts, since=since, today=timezone.localdate())

    assert (before.detractors, before.followed_up) == (2, 1)
    assert (after.detractors, after.followed_up) == (2, 2)
