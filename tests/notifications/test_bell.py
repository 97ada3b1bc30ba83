"""The bell and the notifications page: each user sees only their own notifications, counts
unread ones in two queries, and marks them read in one click; preferences refuse bad input
field by field."""

from datetime import date

import pytest
from django.utils import timezone

from notifications.models import Digest, Notification, NotificationPreference
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def notify(user, title="Health moved to red: Acme", **fields):
    account = fields.pop("account", None) or AccountFactory(owner=user)
    return Notification.objects.create(
        user=user, signal="entered_red", dedupe_key=f"test:{title}:{user.pk}", account=account,
        title=title, **fields,
    )  # fmt: skip


def test_the_bell_counts_only_my_unread_notifications(
    client, alice, bob, django_assert_num_queries
):
    notify(alice, "one")
    notify(alice, "two", read_at=timezone.now())
    notify(bob, "bobs")
    client.force_login(alice)

    with django_assert_num_queries(5):  # session, user, preference, count, latest
        reading = client.get("/notifications/bell/").json()

    assert reading["unread"] == 1
    assert [item["title"] for item in reading["items"]] == ["two", "one"]


def test_mark_all_read_in_one_click(client, alice, bob):
    notify(alice, "one")
    notify(alice, "two")
    theirs = notify(bob, "bobs")
    client.force_login(alice)

    response = client.post("/notifications/read/", {"all": "1"})

    assert response.status_code == 302
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_someone_elses_notification_changes_nothing(client, alice, bob):
    theirs = notify(bob, "bobs")
    client.force_login(alice)
    response = client.post(
        "/notifications/read/", {"id": theirs.pk}, headers={"Accept": "application/json"}
    )
    assert response.json() == {"marked": 0}


def test_the_page_lists_mine_with_their_links(client, alice, bob):
    mine = notify(alice, "Detractor: NPS 2 (Acme)")
    notify(bob, "Bob only")
    client.force_login(alice)
    page = client.get("/notifications/").text
    assert "Detractor: NPS 2 (Acme)" in page and f"/accounts/{mine.account_id}/" in page
    assert "Bob only" not in page


def test_every_page_has_the_bell(client, alice):
    client.force_login(alice)
    assert 'data-bell="/notifications/bell/"' in client.get("/").text


class TestPreferences:
    def test_defaults_daily_for_a_csm_weekly_for_a_leader(self, client, alice, leader):
        for user, digest in ((alice, Digest.DAILY), (leader, Digest.WEEKLY)):
            client.force_login(user)
            form = client.get("/notifications/preferences/").context["form"]
            assert form.initial["digest"] == digest

    def test_saved_channels_and_digest(self, client, alice):
        client.force_login(alice)
        response = client.post("/notifications/preferences/", {
            "digest": "weekly", "digest_hour": "7", "time_zone": "Europe/Berlin", "scope": "mine",
            "channels_entered_red": ["app", "slack"], "channels_detractor": ["slack"],
        })  # fmt: skip
        assert response.status_code == 302
        saved = NotificationPreference.objects.get(user=alice)
        assert (saved.digest, saved.digest_hour, saved.time_zone) == ("weekly", 7, "Europe/Berlin")
        assert saved.channels["entered_red"] == ["app", "slack"]
        assert saved.channels["alert"] == []

    @pytest.mark.parametrize(
        "change, field, message",
        [
            ({"digest_hour": "24"}, "digest_hour", "0 to 23"),
            ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
            ({"scope": "all"}, "scope", "Only those who see every account"),
            ({"quiet_from": "22:00"}, "quiet_until", "both ends"),
            ({"quiet_from": "22:00", "quiet_until": "22:00"}, "quiet_until", "start and end"),
        ],
    )
    def test_bad_input_is_a_field_error_and_saves_nothing(self, client, alice, change, field,
                                                          message):  # fmt: skip
        client.force_login(alice)
        data = {"digest": "daily", "digest_hour": "8", "time_zone": "", "scope": "mine", **change}
        response = client.post("/notifications/preferences/", data)
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors[field])
        assert not NotificationPreference.objects.filter(user=alice).exists()


def test_nightly_fan_out_reaches_a_leader_who_follows_every_account(alice, leader):
    from healthscores.models import Alert
    from notifications.services import notify_after_snapshot

    NotificationPreference.objects.create(user=leader, scope="all")
    account = AccountFactory(owner=alice)
    Alert.objects.create(account=account, owner=alice, reason="score_drop", as_of=date(2024, 3, 31))

    assert notify_after_snapshot(date(2024, 3, 31)) == 2
    assert set(Notification.objects.values_list("user__username", "signal")) == {
        ("alice", "alert"), ("lena", "alert"),
    }  # fmt: skip


def test_a_signal_taken_off_the_app_channel_leaves_the_bell(client, alice):
    notify(alice, "red one")
    NotificationPreference.objects.create(user=alice, channels={"entered_red": ["slack"]})
    client.force_login(alice)
    assert client.get("/notifications/bell/").json()["unread"] == 0
    assert "red one" not in client.get("/notifications/").text
