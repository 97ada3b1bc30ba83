"""Each trigger enrols the accounts whose signal fired, once per signal, set-based."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Contract, add_months
from playbooks.models import PlaybookRun
from playbooks.services import playbooks_evaluate, playbooks_evaluate_responses
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    SurveyResponseFactory,
)
from tests.playbooks.conftest import AS_OF, SnapshotFactory, days_back, history, make_playbook

pytestmark = pytest.mark.django_db


def enrolled(playbook) -> dict[str, str]:
    """{account name: signal} of the playbook's runs."""
    return {run.account.name: run.signal for run in PlaybookRun.objects.filter(playbook=playbook)}


def test_entering_a_band_enrols_the_account_once_per_streak(today_is):
    playbook = make_playbook("band_entered", band="red")
    fell = AccountFactory(name="Fell")
    history(fell, days_back(AS_OF - timedelta(days=3), 10), health_score=55.0, health_band="yellow")
    history(fell, days_back(AS_OF, 3), health_score=30.0, health_band="red")
    steady = AccountFactory(name="Steady")
    history(steady, days_back(AS_OF, 5), health_score=75.0, health_band="green")

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {"Fell": f"band:{AS_OF - timedelta(days=2)}"}
    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.trigger_values["health_band"] == "red"
    assert run.anchor_on == AS_OF - timedelta(days=2)


def test_an_account_red_since_before_activation_enters_with_its_streak_start(today_is):
    playbook = make_playbook("band_entered", band="red")
    always = AccountFactory(name="Always red")
    history(always, days_back(AS_OF, 20), health_score=20.0, health_band="red")

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {"Always red": f"band:{AS_OF - timedelta(days=19)}"}


def test_health_falling_n_points_in_d_days_fires_within_one_model_version(today_is):
    playbook = make_playbook("health_fell", points=15, days=7)
    week_ago = AS_OF - timedelta(days=7)
    fell = AccountFactory(name="Fell 20")
    SnapshotFactory(account=fell, as_of=week_ago, health_score=80.0)
    SnapshotFactory(account=fell, as_of=AS_OF, health_score=60.0, health_band="yellow")
    small = AccountFactory(name="Fell 10")
    SnapshotFactory(account=small, as_of=week_ago, health_score=80.0)
    SnapshotFactory(account=small, as_of=AS_OF, health_score=70.0)
    new_model = AccountFactory(name="New model")
    SnapshotFactory(account=new_model, as_of=week_ago, health_score=80.0, health_model_version=1)
    SnapshotFactory(account=new_model, as_of=AS_OF, health_score=50.0, health_model_version=2)

    playbooks_evaluate(as_of=AS_OF)

    assert list(enrolled(playbook)) == ["Fell 20"]
    values = PlaybookRun.objects.get(playbook=playbook).trigger_values
    assert values["fell_by"] == 20.0 and values["days"] == 7


def test_a_renewal_in_n_days_enrols_once_per_renewal_date(today_is):
    playbook = make_playbook("renewal_within", days=90, reenroll_after_days=1)
    soon = AccountFactory(name="Soon")
    SnapshotFactory(account=soon, as_of=AS_OF, days_to_renewal=60)
    SnapshotFactory(account=AccountFactory(name="Later"), as_of=AS_OF, days_to_renewal=120)
    SnapshotFactory(account=AccountFactory(name="Lapsed"), as_of=AS_OF, days_to_renewal=-3)

    playbooks_evaluate(as_of=AS_OF)
    # Ten days on, the same renewal is still 50 days away: the same signal, not a new run.
    later = AS_OF + timedelta(days=10)
    SnapshotFactory(account=soon, as_of=later, days_to_renewal=50)
    playbooks_evaluate(as_of=later)

    assert enrolled(playbook) == {"Soon": f"renewal:{AS_OF + timedelta(days=60)}"}


def monthly_plan(account, *, through, months: int = 6) -> None:
    """One-month contracts in a row (a monthly plan), the last one running through `through`."""
    start = add_months(through + timedelta(days=1), -months)
    for n in range(months):
        ContractFactory(account=account, plan="Team Monthly", mrr="315.00",
                        start_date=add_months(start, n),
                        end_date=add_months(start, n + 1) - timedelta(days=1))  # fmt: skip


def test_a_monthly_plan_rolling_over_is_no_renewal_but_a_committed_term_is(today_is):
    playbook = make_playbook("renewal_within", days=90)
    monthly = AccountFactory(name="Monthly")
    monthly_plan(monthly, through=AS_OF + timedelta(days=15))
    SnapshotFactory(account=monthly, as_of=AS_OF, days_to_renewal=15, renewal_contract=False)
    quarter_start = AS_OF - timedelta(days=70)
    quarter_end = add_months(quarter_start, 3) - timedelta(days=1)
    quarterly = AccountFactory(name="Quarterly")
    ContractFactory(account=quarterly, start_date=quarter_start, end_date=quarter_end)
    both = AccountFactory(name="Monthly add-on, annual core")
    monthly_plan(both, through=AS_OF + timedelta(days=10))
    ContractFactory(account=both, start_date=AS_OF - timedelta(days=284),
                    end_date=AS_OF + timedelta(days=80))  # fmt: skip

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {
        "Quarterly": f"renewal:{quarter_end}",
        "Monthly add-on, annual core": f"renewal:{AS_OF + timedelta(days=80)}",
    }
    values = PlaybookRun.objects.get(account=both).trigger_values
    assert values == {"days_to_renewal": 80, "renewal_on": str(AS_OF + timedelta(days=80))}


def test_the_shortest_committed_term_is_a_setting(today_is, settings):
    settings.RENEWAL_MIN_TERM_MONTHS = 1
    playbook = make_playbook("renewal_within", days=90)
    monthly = AccountFactory(name="Monthly")
    monthly_plan(monthly, through=AS_OF + timedelta(days=15))

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {"Monthly": f"renewal:{AS_OF + timedelta(days=15)}"}


def test_a_term_of_n_months_is_the_same_rule_in_sql_and_python(db):
    from django.db import connection

    starts = [date(2025, 1, 31), date(2024, 11, 30), date(2024, 2, 29), date(2025, 6, 1)]
    with connection.cursor() as cursor:
        for start in starts:
            cursor.execute("SELECT (%s::date + make_interval(months => 3))::date - 1", [start])
            assert cursor.fetchone()[0] == add_months(start, 3) - timedelta(days=1)
    # 31 Jan + 3 months is 30 Apr (PostgreSQL's rule too): a term through 29 Apr.
    short = Contract(start_date=date(2025, 1, 31), end_date=date(2025, 4, 28))
    term = Contract(start_date=date(2025, 1, 31), end_date=date(2025, 4, 29))
    assert (short.is_committed_term, term.is_committed_term) == (False, True)


def test_a_champion_leaving_enrols_the_account_for_that_departure(today_is):
    playbook = make_playbook("champion_left")
    account = AccountFactory(name="Lost champion")
    SnapshotFactory(account=account, as_of=AS_OF, champion_left_90d=1)
    champion = ContactFactory(
        account=account, name="Dana", is_champion=True, left_on=AS_OF - timedelta(days=5)
    )
    ContactFactory(account=account, is_champion=False, left_on=AS_OF)  # not a champion
    ContactFactory(
        account=AccountFactory(name="Long ago"),
        is_champion=True,
        left_on=AS_OF - timedelta(days=120),
    )

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {"Lost champion": f"champion:{champion.pk}"}
    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.trigger_values["contact"] == "Dana"
    assert run.anchor_on == AS_OF - timedelta(days=5)


def test_a_detractor_response_of_the_last_days_enrols_its_account(today_is):
    playbook = make_playbook("detractor")
    unhappy = AccountFactory(name="Unhappy")
    SnapshotFactory(account=unhappy, as_of=AS_OF)
    response = SurveyResponseFactory(
        account=unhappy, kind="nps", score=4, comment="Too slow",
        responded_at=datetime(AS_OF.year, AS_OF.month, AS_OF.day, 10, tzinfo=UTC),
    )  # fmt: skip
    yesterday_noon = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=UTC)
    SurveyResponseFactory(
        account=AccountFactory(name="Passive"), kind="nps", score=7, responded_at=yesterday_noon
    )
    SurveyResponseFactory(account=AccountFactory(name="Old"), kind="nps", score=2,
                          responded_at=datetime(2024, 1, 1, tzinfo=UTC))  # fmt: skip

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(playbook) == {"Unhappy": f"response:{response.pk}"}
    assert PlaybookRun.objects.get(playbook=playbook).trigger_values["comment"] == "Too slow"


def test_a_detractor_response_enrols_at_once_and_the_nightly_run_does_not_repeat_it(
    today_is, snapshot_run, queued_runs
):
    playbook = make_playbook("detractor")
    account = AccountFactory(name="Unhappy")
    response = SurveyResponseFactory(
        account=account, kind="nps", score=0,
        responded_at=datetime(AS_OF.year, AS_OF.month, AS_OF.day, 15, tzinfo=UTC),
    )  # fmt: skip

    runs = playbooks_evaluate_responses(response_ids=[response.pk])
    playbooks_evaluate(as_of=AS_OF)

    assert len(runs) == 1
    assert enrolled(playbook) == {"Unhappy": f"response:{response.pk}"}


def test_usage_below_x_percent_is_one_signal_for_the_whole_streak(today_is):
    playbook = make_playbook("usage_below", threshold=-30, reenroll_after_days=1)
    account = AccountFactory(name="Quiet")
    history(account, days_back(AS_OF - timedelta(days=5), 10), usage_trend=5.0)
    history(account, days_back(AS_OF, 5), usage_trend=-45.0)
    SnapshotFactory(account=AccountFactory(name="Fine"), as_of=AS_OF, usage_trend=-10.0)
    SnapshotFactory(account=AccountFactory(name="No usage"), as_of=AS_OF, usage_trend=None)

    playbooks_evaluate(as_of=AS_OF - timedelta(days=2))
    playbooks_evaluate(as_of=AS_OF)  # still below: the same streak, no second run

    assert enrolled(playbook) == {"Quiet": f"usage:{AS_OF - timedelta(days=4)}"}


def test_seat_utilisation_above_x_percent_is_an_upsell_signal(today_is):
    playbook = make_playbook("seats_above", threshold=100)
    busy = AccountFactory(name="Crowded")
    SnapshotFactory(account=busy, as_of=AS_OF, seat_utilization=130.0, active_users_30d=13)
    SnapshotFactory(account=AccountFactory(name="Full"), as_of=AS_OF, seat_utilization=100.0)

    playbooks_evaluate(as_of=AS_OF)

    assert list(enrolled(playbook)) == ["Crowded"]
    assert PlaybookRun.objects.get(playbook=playbook).trigger_values["seat_utilization"] == 130.0


def test_a_first_contract_starts_onboarding_with_steps_on_their_day_offsets(today_is):
    playbook = make_playbook(
        "onboarding",
        actions=[
            {"kind": "create_task", "title": "Kick-off"},
            {"kind": "create_task", "title": "Training", "day_offset": 14},
            {"kind": "create_task", "title": "Value review", "day_offset": 45},
        ],
    )
    started = AS_OF - timedelta(days=2)
    SnapshotFactory(account=AccountFactory(name="New"), as_of=AS_OF, customer_since=started)
    SnapshotFactory(
        account=AccountFactory(name="Old customer"),
        as_of=AS_OF,
        customer_since=AS_OF - timedelta(days=400),
    )

    playbooks_evaluate(as_of=AS_OF)

    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.account.name == "New" and run.signal == f"onboarding:{started}"
    assert [(s.position, s.due_on) for s in run.steps.order_by("position")] == [
        (1, started),
        (2, started + timedelta(days=14)),
        (3, started + timedelta(days=45)),
    ]


def test_a_view_match_enrols_an_account_only_the_first_time_ever(today_is):
    from accounts.models import View

    enterprise = View.objects.create(
        name="Big EMEA", visibility="shared",
        definition={"segment": "Enterprise", "mrr_min": "5000"},
    )  # fmt: skip
    playbook = make_playbook("filter_match", view=enterprise, reenroll_after_days=1)
    big = AccountFactory(name="Big", segment="Enterprise")
    small = AccountFactory(name="Small", segment="Enterprise")
    SnapshotFactory(account=big, as_of=AS_OF, mrr=8000)
    SnapshotFactory(account=small, as_of=AS_OF, mrr=900)
    SnapshotFactory(account=AccountFactory(name="SMB", segment="SMB"), as_of=AS_OF, mrr=9000)

    playbooks_evaluate(as_of=AS_OF)
    # A month later it still matches, and it left and came back in between: no second run.
    later = AS_OF + timedelta(days=30)
    SnapshotFactory(account=big, as_of=later, mrr=8000)
    playbooks_evaluate(as_of=later)

    assert enrolled(playbook) == {"Big": f"filter:{enterprise.pk}"}


def test_inactive_playbooks_enrol_nobody(today_is):
    playbook = make_playbook("renewal_within", days=90, active=False)
    SnapshotFactory(as_of=AS_OF, days_to_renewal=10)

    playbooks_evaluate(as_of=AS_OF)

    assert not PlaybookRun.objects.filter(playbook=playbook).exists()


def test_evaluation_costs_the_same_queries_for_3_or_30_accounts(
    today_is, django_assert_max_num_queries
):
    make_playbook("renewal_within", days=90)
    make_playbook("usage_below", threshold=-30, conditions=[("segment", "in", "Mid-Market")])
    for size in (3, 30):
        SnapshotFactory.create_batch(size, as_of=AS_OF, days_to_renewal=30, usage_trend=-50.0)
        PlaybookRun.objects.all().delete()
        # playbooks and their conditions (3), per playbook 2 statements in a savepoint (4),
        # the due runs, the outer savepoint (2)
        with django_assert_max_num_queries(14):
            runs = playbooks_evaluate(as_of=AS_OF)
        assert len(runs) == 2 * PlaybookRun.objects.values("account").distinct().count()


def test_a_broken_playbook_is_logged_and_the_others_still_enrol(today_is, caplog):
    from playbooks.models import Condition

    broken = make_playbook("renewal_within", days=90)
    # A number condition holding text, written behind the form's back.
    Condition.objects.create(playbook=broken, field="mrr", operator="gte", value="lots")
    working = make_playbook("renewal_within", days=90)
    SnapshotFactory(account=AccountFactory(name="Renewing"), as_of=AS_OF, days_to_renewal=20)

    playbooks_evaluate(as_of=AS_OF)

    assert enrolled(working) == {"Renewing": f"renewal:{AS_OF + timedelta(days=20)}"}
    assert enrolled(broken) == {}
    assert f"playbook {broken.pk} could not be evaluated" in caplog.text


def test_an_account_without_a_paying_contract_enters_no_health_playbook(today_is):
    """Churned (MRR 0 on D): red and falling usage, but already gone, not at risk."""
    red = make_playbook("band_entered", band="red")
    usage = make_playbook("usage_below", threshold=-30)
    gone = AccountFactory(name="Gone")
    history(
        gone, days_back(AS_OF, 3), health_score=20.0, health_band="red", mrr=0, usage_trend=-100
    )
    paying = AccountFactory(name="Paying")
    history(paying, days_back(AS_OF, 3), health_score=20.0, health_band="red", usage_trend=-100)

    playbooks_evaluate(as_of=AS_OF)

    assert list(enrolled(red)) == ["Paying"]
    assert list(enrolled(usage)) == ["Paying"]


def test_the_default_health_entered_red_playbook_enrols_a_customer_red_for_months(today_is):
    """The book's worst account entered red during a backfill, when no alert is raised: once
    the defaults are on, its red streak still makes one run (and so one task)."""
    from django.core.management import call_command

    from playbooks.models import Playbook

    call_command("activate_default_playbooks", stdout=io.StringIO())
    worst = AccountFactory(name="Worst", lifecycle_stage="active")
    history(worst, days_back(AS_OF, 120), health_score=31.0, health_band="red")

    playbooks_evaluate(as_of=AS_OF)

    red = Playbook.objects.get(name="Health entered red")
    assert enrolled(red) == {"Worst": f"band:{AS_OF - timedelta(days=119)}"}
    assert red.actions.get().title == "Call {account}: health is red"
