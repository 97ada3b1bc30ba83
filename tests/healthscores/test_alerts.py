"""Alerts (healthscores/sql.RAISE_ALERTS, services, selectors): after the nightly scoring, an
account's owner gets one open alert per reason (entered red, fell 15+ points in 30 days, lost a
champion, renews within 90 days while not green), never duplicated, not re-raised soon after it
was closed, and never for a backfilled past date."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from healthscores.models import Alert, AlertStatus, HealthModelVersion
from healthscores.selectors import open_alerts_for_user
from healthscores.services import alert_acknowledge, alert_close, alerts_raise
from metrics.services import snapshot_recompute
from tests.factories import AccountFactory, ContactFactory, TicketFactory
from tests.healthscores.conftest import AccountSnapshotFactory, at, contract, latest_version

D = date(2024, 3, 31)


def day(n: int) -> date:
    """D + n days."""
    return D + timedelta(days=n)


def night(account, as_of: date = D, *, score: float | None = 80.0, band: str = "green", **fields):
    """A stored, scored snapshot row: alerts read only the score, band and a few metrics."""
    return AccountSnapshotFactory(
        account=account, as_of=as_of, health_score=score, health_band=band, **fields
    )


def alerts_of(account) -> list[tuple[str, str]]:
    return sorted(account.alerts.values_list("reason", "status"))


@pytest.fixture
def acme(alice):
    return AccountFactory(name="Acme", owner=alice)


# Each reason, with its details for the owner.


def test_an_account_entering_red_gets_one_open_alert_for_its_owner(acme, alice):
    night(acme, day(-1), score=45.0, band="yellow")
    night(acme, D, score=22.5, band="red")

    assert alerts_raise(as_of=D) == 1

    alert = Alert.objects.get()
    assert (alert.account, alert.owner, alert.reason, alert.status) == (
        acme,
        alice,
        "entered_red",
        "open",
    )
    assert alert.details == "Health score 22.5: entered red."
    assert alert.as_of == D
    assert alert.due_on == day(7)


def test_an_account_without_yesterdays_snapshot_entering_red_is_alerted(acme):
    night(acme, D, score=10.0, band="red")

    alerts_raise(as_of=D)

    assert alerts_of(acme) == [("entered_red", "open")]


def test_an_account_staying_red_is_not_alerted_again_as_entering_red(acme):
    night(acme, day(-1), score=20.0, band="red")
    night(acme, D, score=18.0, band="red")

    alerts_raise(as_of=D)

    assert alerts_of(acme) == []


def test_an_account_red_before_a_missed_night_has_not_entered_red(acme):
    night(acme, day(-2), score=20.0, band="red")  # no snapshot on D - 1: the night was missed
    night(acme, D, score=18.0, band="red")

    alerts_raise(as_of=D)

    assert alerts_of(acme) == []


def test_entering_red_is_measured_against_the_previous_scored_date(acme):
    night(acme, day(-3), score=55.0, band="yellow")  # the previous score, two nights missed
    night(acme, D, score=31.0, band="red")

    alerts_raise(as_of=D)

    assert alerts_of(acme) == [("entered_red", "open")]


def test_entering_red_across_a_model_change_is_alerted_and_says_so(acme, default_model):
    old = latest_version(default_model).pk
    new_version = HealthModelVersion.objects.create(
        model=default_model, number=old + 1000, definition={}
    )
    night(acme, day(-1), score=45.0, band="yellow", health_model_version=old)
    night(acme, D, score=35.0, band="red", health_model_version=new_version.pk)

    alerts_raise(as_of=D)

    assert Alert.objects.get(reason="entered_red").details == (
        "Health score 35.0: entered red (the health model changed since the previous score)."
    )


def test_an_account_without_a_paying_contract_gets_no_alert(acme):
    """Churned: red, a champion gone, but already lost; red means at risk, not gone."""
    night(acme, day(-1), score=45.0, band="yellow", mrr=Decimal(0), arr=Decimal(0))
    night(acme, D, score=12.0, band="red", mrr=Decimal(0), arr=Decimal(0), champion_left_90d=1)

    assert alerts_raise(as_of=D) == 0


def test_an_alert_keeps_the_accounts_arr_and_lists_put_the_biggest_first(alice):
    small = AccountFactory(name="Small", owner=alice)
    big = AccountFactory(name="Big", owner=alice)
    night(small, D, mrr=Decimal(100), arr=Decimal(1200), champion_left_90d=1)
    night(big, D, mrr=Decimal(5000), arr=Decimal(60000), champion_left_90d=1)
    alerts_raise(as_of=D)

    assert Alert.objects.get(account=big).arr == Decimal(60000)
    assert [a.account.name for a in open_alerts_for_user(user=alice)] == ["Big", "Small"]


def test_a_drop_of_15_points_in_30_days_is_alerted(acme, alice):
    night(acme, day(-30), score=80.0, band="green")
    night(acme, D, score=65.0, band="yellow")  # 80 - 65 = 15

    alerts_raise(as_of=D)

    alert = Alert.objects.get()
    assert (alert.reason, alert.owner) == ("score_drop", alice)
    assert alert.details == "Health fell 15.0 points in 30 days (80.0 to 65.0)."


def test_a_drop_of_less_than_15_points_is_not_alerted(acme):
    night(acme, day(-30), score=80.0, band="green")
    night(acme, D, score=65.5, band="yellow")  # 80 - 65.5 = 14.5

    alerts_raise(as_of=D)

    assert alerts_of(acme) == []


def test_a_drop_is_measured_against_the_score_of_exactly_30_days_before(acme):
    night(acme, day(-31), score=95.0, band="green")  # 31 days before: not compared
    night(acme, day(-29), score=95.0, band="green")  # 29 days before: not compared
    night(acme, D, score=72.0, band="green")

    alerts_raise(as_of=D)

    assert alerts_of(acme) == []


def test_a_champion_leaving_is_alerted(acme, alice):
    night(acme, D, champion_left_90d=1)

    alerts_raise(as_of=D)

    alert = Alert.objects.get()
    assert (alert.reason, alert.owner) == ("champion_left", alice)
    assert alert.details == "A champion contact left in the last 90 days."


@pytest.mark.parametrize(("days", "band"), [(0, "yellow"), (45, "red"), (90, "yellow")])
def test_a_renewal_within_90_days_while_not_green_is_alerted(acme, days, band):
    night(acme, day(-1), score=50.0, band=band)
    night(acme, D, score=50.0, band=band, days_to_renewal=days)

    alerts_raise(as_of=D)

    alert = Alert.objects.get(reason="renewal_at_risk")
    assert alert.details == f"Renewal in {days} days while {band}."


@pytest.mark.parametrize(
    ("days", "band"), [(45, "green"), (91, "yellow"), (-1, "red"), (None, "red")]
)
def test_a_renewal_far_away_past_or_green_is_not_alerted(acme, days, band):
    night(acme, day(-1), score=30.0, band=band)
    night(acme, D, score=30.0, band=band, days_to_renewal=days)

    alerts_raise(as_of=D)

    assert not Alert.objects.filter(reason="renewal_at_risk").exists()


def test_several_reasons_give_one_alert_each(acme):
    night(acme, day(-30), score=70.0, band="green")
    night(acme, day(-1), score=50.0, band="yellow")
    night(acme, D, score=30.0, band="red", champion_left_90d=1, days_to_renewal=60)

    assert alerts_raise(as_of=D) == 4

    assert alerts_of(acme) == [
        ("champion_left", "open"),
        ("entered_red", "open"),
        ("renewal_at_risk", "open"),
        ("score_drop", "open"),
    ]


def test_a_healthy_account_gets_no_alert(acme):
    night(acme, day(-30), score=90.0, band="green")
    night(acme, day(-1), score=85.0, band="green")
    night(acme, D, score=80.0, band="green", days_to_renewal=30)

    assert alerts_raise(as_of=D) == 0


def test_an_account_without_an_owner_gets_an_unassigned_alert(db):
    orphan = AccountFactory(owner=None)
    night(orphan, D, champion_left_90d=1)

    alerts_raise(as_of=D)

    assert Alert.objects.get().owner is None


# No duplicates, and a pause after closing.


def at_risk(account, as_of: date, **fields) -> None:
    """A yellow account renewing in 30 days, a champion gone: two persistent reasons."""
    night(account, as_of, score=50.0, band="yellow", days_to_renewal=30, **fields)


def test_raising_alerts_twice_the_same_night_creates_no_duplicate(acme):
    at_risk(acme, D, champion_left_90d=1)

    assert alerts_raise(as_of=D) == 2
    assert alerts_raise(as_of=D) == 0

    assert Alert.objects.count() == 2


def test_a_reason_still_true_the_next_night_creates_no_duplicate(acme):
    at_risk(acme, D, champion_left_90d=1)
    at_risk(acme, day(1), champion_left_90d=1)
    alerts_raise(as_of=D)

    assert alerts_raise(as_of=day(1)) == 0

    assert alerts_of(acme) == [("champion_left", "open"), ("renewal_at_risk", "open")]


def test_an_acknowledged_alert_is_not_raised_again(acme, alice):
    at_risk(acme, D)
    at_risk(acme, day(40))
    alerts_raise(as_of=D)
    alert_acknowledge(alert=Alert.objects.get(), user=alice)

    assert alerts_raise(as_of=day(40)) == 0


def test_a_closed_alert_is_not_raised_again_within_30_days(acme, alice):
    at_risk(acme, D)
    at_risk(acme, day(29))
    at_risk(acme, day(30))
    alerts_raise(as_of=D)
    alert_close(alert=Alert.objects.get(), user=alice)

    # Raised on D: days D..D+29 are within its 30 days.
    assert alerts_raise(as_of=day(29)) == 0
    assert alerts_raise(as_of=day(30)) == 1

    assert alerts_of(acme) == [("renewal_at_risk", "closed"), ("renewal_at_risk", "open")]
    assert Alert.objects.get(status="open").as_of == day(30)


def test_a_closed_champion_alert_is_not_raised_again_within_90_days(acme, alice):
    night(acme, D, champion_left_90d=1)
    night(acme, day(89), champion_left_90d=1)  # another champion left since
    night(acme, day(90), champion_left_90d=1)
    alerts_raise(as_of=D)
    alert_close(alert=Alert.objects.get(), user=alice)

    # Raised on D: days D..D+89 are within its 90 days.
    assert alerts_raise(as_of=day(89)) == 0
    assert alerts_raise(as_of=day(90)) == 1

    assert alerts_of(acme) == [("champion_left", "closed"), ("champion_left", "open")]


def test_closing_one_reason_does_not_hold_back_another(acme, alice):
    at_risk(acme, D)
    night(acme, day(1), score=50.0, band="yellow", days_to_renewal=29, champion_left_90d=1)
    alerts_raise(as_of=D)
    alert_close(alert=Alert.objects.get(), user=alice)

    assert alerts_raise(as_of=day(1)) == 1
    assert alerts_of(acme) == [("champion_left", "open"), ("renewal_at_risk", "closed")]


# Acknowledging and closing.


@pytest.fixture
def alert(acme):
    night(acme, D, champion_left_90d=1)
    alerts_raise(as_of=D)
    return Alert.objects.get()


def test_acknowledging_an_alert_records_who_and_when(alert, alice):
    before = timezone.now()

    alert_acknowledge(alert=alert, user=alice)

    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == alice
    assert before <= alert.acknowledged_at <= timezone.now()
    assert alert.closed_at is None


def test_closing_an_open_alert_records_who_and_when(alert, alice):
    before = timezone.now()

    alert_close(alert=alert, user=alice)

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert before <= alert.closed_at <= timezone.now()
    assert alert.acknowledged_by == alice
    assert alert.acknowledged_at == alert.closed_at


def test_closing_an_acknowledged_alert_keeps_who_acknowledged_it(alert, alice, leader):
    alert_acknowledge(alert=alert, user=alice)
    acknowledged_at = Alert.objects.get().acknowledged_at

    alert_close(alert=alert, user=leader)

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert alert.closed_at is not None
    assert (alert.acknowledged_by, alert.acknowledged_at) == (alice, acknowledged_at)


def test_acknowledging_a_closed_alert_changes_nothing(alert, alice, bob):
    alert_close(alert=alert, user=alice)

    alert_acknowledge(alert=alert, user=bob)

    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.CLOSED, alice)


# Who sees which alerts.


@pytest.fixture
def alerts_of_two_csms(alice, bob):
    """Acme (alice) and Initech (bob) each lost a champion; Globex (alice) has a closed alert."""
    acme = AccountFactory(name="Acme", owner=alice)
    initech = AccountFactory(name="Initech", owner=bob)
    globex = AccountFactory(name="Globex", owner=alice)
    for account in (acme, initech, globex):
        night(account, D, champion_left_90d=1)
    alerts_raise(as_of=D)
    alert_close(alert=Alert.objects.get(account=globex), user=alice)
    return {"acme": acme, "initech": initech, "globex": globex}


def test_a_csm_sees_the_unclosed_alerts_of_her_own_accounts(alerts_of_two_csms, alice, bob):
    assert [a.account.name for a in open_alerts_for_user(user=alice)] == ["Acme"]
    assert [a.account.name for a in open_alerts_for_user(user=bob)] == ["Initech"]


def test_an_acknowledged_alert_stays_on_the_list(alerts_of_two_csms, alice):
    alert_acknowledge(alert=Alert.objects.get(account=alerts_of_two_csms["acme"]), user=alice)

    assert [a.status for a in open_alerts_for_user(user=alice)] == ["acknowledged"]


def test_a_leader_sees_the_unclosed_alerts_of_every_account(alerts_of_two_csms, leader):
    assert sorted(a.account.name for a in open_alerts_for_user(user=leader)) == [
        "Acme",
        "Initech",
    ]


def test_an_account_handed_to_another_csm_shows_its_alert_to_the_new_owner(
    alerts_of_two_csms, alice, bob
):
    alerts_of_two_csms["initech"].owner = alice
    alerts_of_two_csms["initech"].save()

    assert sorted(a.account.name for a in open_alerts_for_user(user=alice)) == ["Acme", "Initech"]
    assert list(open_alerts_for_user(user=bob)) == []


# The nightly job raises alerts for the newest date only.


@pytest.fixture
def troubled(alice):
    """Alice's account on 2024-03-31: 10 seats and no usage, 9 open tickets, a champion who left
    on 03-20, a contract ending 2024-05-15 (45 days away).

    Default model: seat_utilization 0 / 10 = 0 -> 0 (weight 15); usage_trend, feature_adoption
    (no usage row anywhere), nps, csat and first response are null; open_tickets (9 - 10) / -10 x
    100 = 10 (weight 10); champion_left 1 -> 0 (weight 10). Score (0 + 100 + 0) / 35 = 2.857: red.
    """
    account = AccountFactory(name="Troubled", owner=alice)
    contract(account, "2024-01-01", "2024-05-15", mrr=2000, seats=10)
    TicketFactory.create_batch(9, account=account, opened_at=at("2024-03-01 09:00"))
    ContactFactory(account=account, is_champion=True, left_on=date(2024, 3, 20))
    return account


def test_the_nightly_job_raises_alerts_for_yesterday(troubled, alice, today_is):
    today_is(date(2024, 4, 1))

    snapshot_recompute(as_of=D)

    row = troubled.snapshots.get(as_of=D)
    assert (row.health_score, row.health_band) == (pytest.approx(100 / 35), "red")
    assert alerts_of(troubled) == [
        ("champion_left", "open"),
        ("entered_red", "open"),
        ("renewal_at_risk", "open"),
    ]
    assert {a.owner for a in Alert.objects.all()} == {alice}
    assert Alert.objects.get(reason="renewal_at_risk").details == "Renewal in 45 days while red."
    assert Alert.objects.get(reason="entered_red").details == "Health score 2.9: entered red."


def test_the_nightly_job_run_twice_for_yesterday_raises_nothing_new(troubled, today_is):
    today_is(date(2024, 4, 1))
    snapshot_recompute(as_of=D)

    snapshot_recompute(as_of=D)

    assert Alert.objects.count() == 3


def test_a_backfill_of_past_dates_raises_no_alert(troubled, today_is):
    today_is(date(2024, 4, 1))

    for as_of in (date(2024, 3, 21), date(2024, 3, 25), date(2024, 3, 29)):
        snapshot_recompute(as_of=as_of)

    # 2024-03-21: red, champion left the day before, renewal in 55 days: three reasons, all in
    # the past, so none is raised.
    assert troubled.snapshots.get(as_of=date(2024, 3, 21)).health_band == "red"
    assert Alert.objects.count() == 0


def test_the_day_before_yesterday_is_already_a_backfill(troubled, today_is):
    today_is(date(2024, 4, 2))

    snapshot_recompute(as_of=D)

    assert troubled.snapshots.get(as_of=D).health_band == "red"
    assert Alert.objects.count() == 0


def test_the_alert_list_is_one_query_once_permissions_are_known(
    alerts_of_two_csms, leader, django_assert_num_queries
):
    leader.has_perm("accounts.view_all_accounts")  # the permission cache, filled once a request

    with django_assert_num_queries(1):
        alerts = [(a.account.name, a.owner.username) for a in open_alerts_for_user(user=leader)]

    assert sorted(alerts) == [("Acme", "alice"), ("Initech", "bob")]
