"""Conditions on account fields and snapshot metrics all must hold; re-enrolment rules."""

from datetime import timedelta

import pytest

from playbooks.models import PlaybookRun
from playbooks.services import playbooks_evaluate
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


def renewing(name: str, **account) -> None:
    """An account renewing in 30 days, with the snapshot values in `account['snapshot']`."""
    snapshot = account.pop("snapshot", {})
    SnapshotFactory(account=AccountFactory(name=name, **account), as_of=AS_OF,
                    days_to_renewal=30, **snapshot)  # fmt: skip


def enrolled_with(*conditions) -> list[str]:
    playbook = make_playbook("renewal_within", days=90, conditions=conditions)
    playbooks_evaluate(as_of=AS_OF)
    return sorted(r.account.name for r in PlaybookRun.objects.filter(playbook=playbook))


def test_segment_and_region_conditions_match_exact_values(today_is):
    renewing("SMB EMEA", segment="SMB", region="EMEA")
    renewing("SMB APAC", segment="SMB", region="APAC")
    renewing("Ent EMEA", segment="Enterprise", region="EMEA")

    assert enrolled_with(("segment", "in", "SMB, Mid-Market"), ("region", "not_in", "APAC")) == [
        "SMB EMEA"
    ]


def test_an_owner_condition_names_users_and_is_not_one_of_keeps_unowned_accounts(today_is):
    alice = UserFactory(username="alice")
    renewing("Alice's", owner=alice)
    renewing("Bob's", owner=UserFactory(username="bob"))
    renewing("Nobody's", owner=None)

    assert enrolled_with(("owner", "in", "alice")) == ["Alice's"]
    PlaybookRun.objects.all().delete()
    assert enrolled_with(("owner", "not_in", "alice")) == ["Bob's", "Nobody's"]


def test_an_mrr_range_is_two_conditions_and_bounds_are_inclusive(today_is):
    renewing("Small", snapshot={"mrr": 499})
    renewing("Edge", snapshot={"mrr": 500})
    renewing("Mid", snapshot={"mrr": 2000})
    renewing("Big", snapshot={"mrr": 9000})

    assert enrolled_with(("mrr", "gte", "500"), ("mrr", "lte", "2000")) == ["Edge", "Mid"]


def test_band_and_lifecycle_stage_conditions(today_is):
    renewing("Green active", lifecycle_stage="active",
             snapshot={"health_band": "green", "health_score": 90})  # fmt: skip
    renewing("Red active", lifecycle_stage="active",
             snapshot={"health_band": "red", "health_score": 20})  # fmt: skip
    renewing("Red churned", lifecycle_stage="churned",
             snapshot={"health_band": "red", "health_score": 20})  # fmt: skip

    assert enrolled_with(
        ("health_band", "not_in", "green"), ("lifecycle_stage", "in", "active, onboarding")
    ) == ["Red active"]


def test_a_metric_without_a_value_fails_a_number_condition(today_is):
    renewing("Known", snapshot={"nps_180d": 40.0})
    renewing("No answers", snapshot={"nps_180d": None})

    assert enrolled_with(("nps_180d", "lte", "50")) == ["Known"]


# Re-enrolment


def test_an_account_enters_a_playbook_at_most_once_per_n_days(today_is):
    playbook = make_playbook("usage_below", threshold=-30, reenroll_after_days=30)
    account = AccountFactory()
    # Two separate streaks 10 days apart: two signals, but the second is within 30 days.
    SnapshotFactory(account=account, as_of=AS_OF - timedelta(days=11), usage_trend=-50.0)
    SnapshotFactory(account=account, as_of=AS_OF - timedelta(days=10), usage_trend=10.0)
    SnapshotFactory(account=account, as_of=AS_OF, usage_trend=-50.0)
    SnapshotFactory(account=account, as_of=AS_OF - timedelta(days=1), usage_trend=10.0)

    playbooks_evaluate(as_of=AS_OF - timedelta(days=11))
    playbooks_evaluate(as_of=AS_OF)
    assert PlaybookRun.objects.filter(playbook=playbook).count() == 1

    # Thirty days after the first run a new streak enters again.
    later = AS_OF + timedelta(days=19)
    SnapshotFactory(account=account, as_of=later - timedelta(days=1), usage_trend=10.0)
    SnapshotFactory(account=account, as_of=later, usage_trend=-40.0)
    playbooks_evaluate(as_of=later)
    assert PlaybookRun.objects.filter(playbook=playbook).count() == 2


def test_the_same_signal_never_enrols_twice_even_after_the_reenrolment_window(today_is):
    playbook = make_playbook("renewal_within", days=120, reenroll_after_days=7)
    account = AccountFactory()
    SnapshotFactory(account=account, as_of=AS_OF, days_to_renewal=100)
    SnapshotFactory(account=account, as_of=AS_OF + timedelta(days=40), days_to_renewal=60)

    playbooks_evaluate(as_of=AS_OF)
    playbooks_evaluate(as_of=AS_OF + timedelta(days=40))

    assert PlaybookRun.objects.filter(playbook=playbook).count() == 1


def test_two_signals_on_one_night_make_one_run(today_is):
    from tests.factories import ContactFactory

    playbook = make_playbook("champion_left")
    account = AccountFactory()
    ContactFactory(account=account, is_champion=True, left_on=AS_OF - timedelta(days=3))
    ContactFactory(account=account, is_champion=True, left_on=AS_OF)

    playbooks_evaluate(as_of=AS_OF)

    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.anchor_on == AS_OF  # the newest signal
