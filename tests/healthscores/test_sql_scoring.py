"""Set-based scoring of snapshot rows (healthscores/sql.py): the nightly job and rescores give the
numbers of kpi-spec section 8, the same as the Python arithmetic the lab uses, with the active
model of the account's segment, and from the stored metric values only."""

import random
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Ticket, UsageDaily
from healthscores.models import HealthModel, HealthModelVersion
from healthscores.scoring import Component, Definition, score
from healthscores.services import health_model_apply, health_scores_recompute
from metrics.models import AccountSnapshot
from metrics.registry import SCORABLE_ACCOUNT_METRICS
from metrics.services import snapshot_recompute
from surveys.models import SurveyResponse
from tests.factories import (
    AccountFactory,
    ContactFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageDailyFactory,
)
from tests.healthscores.conftest import (
    END_OF_MARCH,
    AccountSnapshotFactory,
    at,
    contract,
    health_model,
    latest_version,
)

D = END_OF_MARCH  # 2024-03-31: last 30 days [03-02, 03-31], the 30 before [02-01, 03-01]


def stored(account, as_of: date = D) -> AccountSnapshot:
    return AccountSnapshot.objects.get(account=account, as_of=as_of)


def metric_values(row: AccountSnapshot) -> dict:
    return {
        key: (float(getattr(row, key)) if getattr(row, key) is not None else None)
        for key in SCORABLE_ACCOUNT_METRICS
    }


def assert_scored_as_python(row: AccountSnapshot) -> None:
    """The row's stored score, band and components are what healthscores.scoring.score gives
    for its stored metric values with the version the row cites."""
    version = HealthModelVersion.objects.get(pk=row.health_model_version)
    expected = score(Definition.from_json(version.definition), metric_values(row))
    assert row.health_score == pytest.approx(expected.score)
    assert row.health_band == expected.band
    assert len(row.health_components) == len(expected.components)
    for actual, wanted in zip(row.health_components, expected.components, strict=True):
        assert actual["metric"] == wanted["metric"]
        for key in ("value", "score", "weight", "contribution"):
            if wanted[key] is None:
                assert actual[key] is None, (row.account_id, wanted["metric"], key)
            else:
                assert actual[key] == pytest.approx(wanted[key]), (wanted["metric"], key)


@pytest.fixture
def steady(db):
    """A Mid-Market account (default model) whose every default metric is known on D.

    | metric                        | raw records                                  | value  |
    | seat_utilization              | 6 users active in 30 days / 10 seats         | 60     |
    | usage_trend                   | 60 events in [03-02, 03-31] vs 100 before    | -40    |
    | feature_adoption              | 2 features used of 4 ever seen               | 50     |
    | nps_180d                      | 9, 10, 3, 7: (2 - 1) / 4 x 100               | 25     |
    | csat_180d                     | 5, 4, 2: 2 / 3 x 100                         | 66.667 |
    | open_tickets                  | 2 unresolved                                 | 2      |
    | avg_first_response_hours_90d  | 2 h and 10 h                                 | 6      |
    | champion_left_90d             | no champion left                             | 0      |
    """
    account = AccountFactory(external_id="steady", segment="Mid-Market")
    contract(account, "2024-01-01", None, mrr=1000, seats=10)
    UsageDailyFactory(account=account, user_id="p1", date=date(2024, 2, 15), events=100)
    for n in range(1, 7):
        feature = "dashboards" if n <= 3 else "reports"
        UsageDailyFactory(
            account=account, user_id=f"u{n}", date=date(2024, 3, 20), feature=feature, events=10
        )
    for feature in ("alerts", "exports"):  # seen once, long ago
        UsageDailyFactory(account=account, user_id="p1", date=date(2023, 6, 1), feature=feature)
    TicketFactory(
        account=account,
        opened_at=at("2024-03-10 09:00"),
        first_response_at=at("2024-03-10 11:00"),
        resolved_at=at("2024-03-11 09:00"),
    )
    TicketFactory(
        account=account,
        opened_at=at("2024-03-12 08:00"),
        first_response_at=at("2024-03-12 18:00"),
        resolved_at=at("2024-03-13 09:00"),
    )
    TicketFactory.create_batch(2, account=account, opened_at=at("2024-03-25 09:00"))
    for score_ in (9, 10, 3, 7):
        SurveyResponseFactory(
            account=account, kind="nps", score=score_, responded_at=at("2024-03-05")
        )
    for score_ in (5, 4, 2):
        SurveyResponseFactory(
            account=account, kind="csat", score=score_, responded_at=at("2024-03-06")
        )
    return account


@pytest.fixture
def prospect(db):
    """No contract, no usage, no ticket, no survey: most metrics are null."""
    return AccountFactory(external_id="prospect", segment="SMB")


@pytest.fixture
def enterprise(db):
    """An Enterprise account: 7 open tickets, a champion who left on 2024-03-01."""
    account = AccountFactory(external_id="enterprise", segment="Enterprise")
    contract(account, "2024-01-01", None, mrr=5000, seats=50)
    TicketFactory.create_batch(7, account=account, opened_at=at("2024-03-01 09:00"))
    ContactFactory(account=account, is_champion=True, left_on=date(2024, 3, 1))
    return account


@pytest.fixture
def enterprise_model(db):
    """Active for the Enterprise segment: open tickets (weight 3) and champions (weight 1)."""
    return health_model(
        [("open_tickets", 3, 10, 0), ("champion_left_90d", 1, 1, 0)],
        name="Enterprise",
        segment="Enterprise",
    )


def test_the_nightly_snapshot_scores_an_account_with_the_default_model_by_hand(steady):
    snapshot_recompute(as_of=D)

    row = stored(steady)
    assert row.seat_utilization == pytest.approx(60.0)
    assert row.usage_trend == pytest.approx(-40.0)
    assert row.feature_adoption == pytest.approx(50.0)
    assert row.nps_180d == pytest.approx(25.0)
    assert row.csat_180d == pytest.approx(200 / 3)
    assert row.open_tickets == 2
    assert row.avg_first_response_hours_90d == pytest.approx(6.0)
    assert row.champion_left_90d == 0
    # Component scores (weight): usage_trend (-40 + 50) / 60 x 100 = 16.6667 (20);
    # seat_utilization (60 - 20) / 60 x 100 = 66.6667 (15); feature_adoption (50 - 10) / 50 x 100
    # = 80 (10); nps_180d (25 + 50) / 100 x 100 = 75 (15); csat_180d (66.6667 - 50) / 40 x 100 =
    # 41.6667 (10); open_tickets (2 - 10) / -10 x 100 = 80 (10); first response (6 - 48) / -44 x
    # 100 = 95.4545 (10); champion_left (0 - 1) / -1 x 100 = 100 (10).
    # Score = (333.333 + 1000 + 800 + 1125 + 416.667 + 800 + 954.545 + 1000) / 100 = 64.2955
    assert row.health_score == pytest.approx(64.29545, abs=1e-4)
    assert row.health_band == "yellow"
    components = {c["metric"]: c for c in row.health_components}
    assert components["usage_trend"]["score"] == pytest.approx(50 / 3)
    assert components["usage_trend"]["contribution"] == pytest.approx(20 * 50 / 3 / 100)
    assert components["avg_first_response_hours_90d"]["score"] == pytest.approx(1050 / 11)
    assert components["open_tickets"]["value"] == 2
    assert components["open_tickets"]["weight"] == 10
    assert components["open_tickets"]["contribution"] == pytest.approx(8.0)  # 10 x 80 / 100
    assert sum(c["contribution"] for c in row.health_components) == pytest.approx(row.health_score)


def test_the_nightly_snapshot_renormalises_over_the_metrics_an_account_has(steady, prospect):
    snapshot_recompute(as_of=D)

    row = stored(prospect)
    # Present: feature_adoption 0 of 4 features = 0 -> (0 - 10) / 50 x 100 = -20, clamped to 0;
    # open_tickets 0 -> 100; champion_left_90d 0 -> 100. Every other metric is null.
    # Score = (10 x 0 + 10 x 100 + 10 x 100) / (10 + 10 + 10) = 2000 / 30 = 66.6667
    assert row.health_score == pytest.approx(200 / 3)
    assert row.health_band == "yellow"
    contributions = {c["metric"]: c["contribution"] for c in row.health_components}
    assert contributions == {
        "usage_trend": None,
        "seat_utilization": None,
        "feature_adoption": 0.0,
        "nps_180d": None,
        "csat_180d": None,
        "open_tickets": pytest.approx(100 / 3),  # 10 x 100 / 30
        "avg_first_response_hours_90d": None,
        "champion_left_90d": pytest.approx(100 / 3),
    }


def test_a_segment_model_scores_its_segment_and_the_default_model_every_other_account(
    steady, prospect, enterprise, enterprise_model, default_model
):
    snapshot_recompute(as_of=D)

    row = stored(enterprise)
    # Enterprise model: open_tickets (7 - 10) / -10 x 100 = 30; champion_left 1 -> (1 - 1) / -1
    # x 100 = 0. Score (3 x 30 + 1 x 0) / 4 = 22.5 -> red. (The default model would give
    # (15 x 0 + 10 x 0 + 10 x 30 + 10 x 0) / 45 = 6.67 over seat_utilization, feature_adoption,
    # open_tickets and champion_left.)
    assert row.health_score == pytest.approx(22.5)
    assert row.health_band == "red"
    assert [c["metric"] for c in row.health_components] == ["open_tickets", "champion_left_90d"]
    assert row.health_model_version == latest_version(enterprise_model).pk
    for account in (steady, prospect):
        assert stored(account).health_model_version == latest_version(default_model).pk
        assert len(stored(account).health_components) == 8


def test_an_inactive_segment_model_is_not_used(enterprise, enterprise_model, default_model):
    HealthModel.objects.filter(pk=enterprise_model.pk).update(is_active=False)

    snapshot_recompute(as_of=D)

    row = stored(enterprise)
    # The default model. No usage row exists anywhere, so usage_trend and feature_adoption (0 of
    # 0 features) are null; present are seat_utilization 0 users / 50 seats = 0 -> (0 - 20) / 60
    # x 100 clamped to 0 (weight 15), open_tickets (7 - 10) / -10 x 100 = 30 (10) and
    # champion_left 1 -> 0 (10): (15 x 0 + 10 x 30 + 10 x 0) / 35 = 8.5714.
    assert row.health_score == pytest.approx(300 / 35)
    assert row.health_model_version == latest_version(default_model).pk
    assert len(row.health_components) == 8


def test_the_nightly_scores_equal_the_python_scores_of_the_stored_values(
    steady, prospect, enterprise, enterprise_model
):
    snapshot_recompute(as_of=D)

    for row in AccountSnapshot.objects.filter(as_of=D):
        assert_scored_as_python(row)


# A property: for many stored rows with arbitrary values (nulls, values beyond bad and good,
# lower-is-better and zero-weight components), SQL and Python agree on every number.

PROPERTY_MODEL = [
    ("usage_trend", 20, -50, 10),
    ("seat_utilization", 15, 20, 80),
    ("nps_180d", 0, -50, 50),  # weight 0
    ("open_tickets", 10, 10, 0),  # lower is better
    ("avg_first_response_hours_90d", 7.5, 48, 4),
    ("ces_180d", 5, 2, 6),
    ("days_to_renewal", 3, 0, 180),
    ("mrr", 2.25, 0, 5000),
]


def random_row(rng: random.Random, **fields) -> AccountSnapshot:
    def maybe(value):
        return None if rng.random() < 0.3 else value

    return AccountSnapshotFactory(
        usage_trend=maybe(rng.uniform(-120, 80)),
        seat_utilization=maybe(rng.uniform(0, 150)),
        nps_180d=maybe(rng.uniform(-100, 100)),
        open_tickets=rng.randint(0, 15),
        avg_first_response_hours_90d=maybe(rng.uniform(0, 80)),
        ces_180d=maybe(rng.uniform(1, 7)),
        days_to_renewal=maybe(rng.randint(-10, 400)),
        mrr=Decimal(rng.randint(0, 900_000)) / 100,
        **fields,
    )


def test_sql_and_python_scoring_agree_on_many_accounts(only_model):
    only_model(PROPERTY_MODEL, green=72.5, yellow=35)
    rng = random.Random(20240331)
    rows = [random_row(rng) for _ in range(60)]

    health_scores_recompute(first=D, last=D)

    stored_rows = AccountSnapshot.objects.filter(pk__in=[r.pk for r in rows])
    assert {row.health_band for row in stored_rows} >= {"green", "yellow", "red"}
    for row in stored_rows:
        assert_scored_as_python(row)


def test_sql_and_python_scoring_agree_with_the_default_model(default_model):
    rng = random.Random(7)
    rows = [
        AccountSnapshotFactory(
            usage_trend=rng.choice([None, rng.uniform(-100, 50)]),
            seat_utilization=rng.choice([None, rng.uniform(0, 120)]),
            feature_adoption=rng.choice([None, rng.uniform(0, 100)]),
            nps_180d=rng.choice([None, rng.uniform(-100, 100)]),
            csat_180d=rng.choice([None, rng.uniform(0, 100)]),
            open_tickets=rng.randint(0, 12),
            avg_first_response_hours_90d=rng.choice([None, rng.uniform(0, 60)]),
            champion_left_90d=rng.randint(0, 1),
        )
        for _ in range(40)
    ]

    health_scores_recompute(first=D, last=D)

    for row in AccountSnapshot.objects.filter(pk__in=[r.pk for r in rows]):
        assert_scored_as_python(row)


@pytest.mark.parametrize(
    ("csat", "band"),
    [(69.995, "green"), (69.994, "yellow"), (39.995, "yellow"), (39.994, "red"), (None, "unknown")],
)
def test_sql_bands_are_taken_on_the_score_rounded_to_2_decimals(only_model, csat, band):
    only_model([("csat_180d", 1, 0, 100)])
    row = AccountSnapshotFactory(csat_180d=csat)

    health_scores_recompute(first=D, last=D)

    # One component from 0 to 100: the score is the csat value itself.
    row.refresh_from_db()
    assert row.health_band == band
    assert row.health_score == (pytest.approx(csat) if csat is not None else None)


def test_sql_gives_a_null_score_when_the_present_components_weigh_0(only_model):
    only_model([("seat_utilization", 0, 20, 80), ("nps_180d", 5, -50, 50)])
    row = AccountSnapshotFactory(seat_utilization=50, nps_180d=None)

    health_scores_recompute(first=D, last=D)

    row.refresh_from_db()
    assert row.health_score is None
    assert row.health_band == "unknown"


def test_every_stored_score_records_the_version_that_produced_it(steady, prospect, default_model):
    snapshot_recompute(as_of=D)
    first = latest_version(default_model)
    health_model_apply(
        model=default_model,
        definition=Definition(70, 40, (Component("open_tickets", 1, 10, 0),)),
        user=None,
    )
    second = latest_version(default_model)
    assert second.number == first.number + 1

    health_scores_recompute(first=D, last=D)

    versions = set(
        AccountSnapshot.objects.filter(as_of=D).values_list("health__model_version_id", flat=True)
    )
    assert versions == {second.pk}
    # Open tickets only: steady 2 -> (2 - 10) / -10 x 100 = 80; prospect 0 -> 100.
    assert stored(steady).health_score == pytest.approx(80.0)
    assert stored(prospect).health_score == pytest.approx(100.0)


def test_deactivating_every_model_leaves_scores_null_and_bands_unknown_after_a_rescore(
    steady, enterprise, enterprise_model
):
    snapshot_recompute(as_of=D)
    assert stored(steady).health_score is not None

    HealthModel.objects.update(is_active=False)
    health_scores_recompute(first=D, last=D)

    for row in AccountSnapshot.objects.filter(as_of=D):
        assert row.health_score is None
        assert row.health_band == "unknown"
        assert row.health_components == []
        assert row.health_model_version is None


def test_rescoring_reads_the_stored_metric_values_not_the_raw_records(steady, default_model):
    snapshot_recompute(as_of=D)
    UsageDaily.objects.all().delete()
    Ticket.objects.all().delete()
    SurveyResponse.objects.all().delete()
    health_model_apply(
        model=default_model,
        definition=Definition(
            70,
            40,
            (
                Component("seat_utilization", 1, 20, 80),
                Component("open_tickets", 1, 10, 0),
                Component("nps_180d", 2, -50, 50),
            ),
        ),
        user=None,
    )

    health_scores_recompute(first=D, last=D)

    row = stored(steady)
    # The stored values are those of the deleted records: seat_utilization 60 -> 66.6667,
    # open_tickets 2 -> 80, nps_180d 25 -> 75. Score (66.6667 + 80 + 2 x 75) / 4 = 74.1667.
    assert (row.seat_utilization, row.open_tickets, row.nps_180d) == (
        pytest.approx(60.0),
        2,
        pytest.approx(25.0),
    )
    assert row.health_score == pytest.approx((200 / 3 + 80 + 150) / 4)
    assert row.health_band == "green"
    assert row.health_model_version == latest_version(default_model).pk


def test_a_rescore_touches_only_the_dates_asked_for(only_model):
    only_model([("open_tickets", 1, 10, 0)])
    inside = AccountSnapshotFactory(as_of=date(2024, 3, 30), open_tickets=5)
    before = AccountSnapshotFactory(as_of=date(2024, 3, 29), open_tickets=5)
    after = AccountSnapshotFactory(as_of=date(2024, 4, 1), open_tickets=5)

    rows = health_scores_recompute(first=date(2024, 3, 30), last=date(2024, 3, 31))

    assert rows == 1
    for row in (inside, before, after):
        row.refresh_from_db()
    assert inside.health_score == pytest.approx(50.0)  # (5 - 10) / -10 x 100
    assert before.health_score is None
    assert after.health_score is None
    assert before.health_band == after.health_band == "unknown"


# Collapsing usage (kpi-spec sections 7 and 8): a fall from a positive base to zero is a trend
# of -100 % and scores at the bad end; no events in either window is 0 / 0, null, left out.


@pytest.fixture
def collapsed(db):
    """100 events in [02-01, 03-01], none since: usage fell to nothing."""
    account = AccountFactory(external_id="collapsed")
    contract(account, "2024-01-01", None, mrr=1000, seats=10)
    UsageDailyFactory(account=account, user_id="u1", date=date(2024, 2, 20), events=100)
    return account


@pytest.fixture
def silent(db):
    """Used in 2023, no event in the 60 days to D."""
    account = AccountFactory(external_id="silent")
    contract(account, "2024-01-01", None, mrr=1000, seats=10)
    UsageDailyFactory(account=account, user_id="u1", date=date(2023, 12, 1), events=100)
    return account


def test_usage_falling_to_nothing_is_a_trend_of_minus_100_scoring_at_the_bad_end(
    collapsed, only_model
):
    only_model([("usage_trend", 20, -50, 10), ("open_tickets", 10, 10, 0)])

    snapshot_recompute(as_of=D)

    row = stored(collapsed)
    assert row.usage_trend == pytest.approx(-100.0)  # (0 - 100) / 100 x 100
    components = {c["metric"]: c for c in row.health_components}
    assert components["usage_trend"]["score"] == 0  # below bad (-50): clamped to 0
    assert components["usage_trend"]["note"] == ""
    # (20 x 0 + 10 x 100) / 30 = 33.33: the heaviest component pulls the score down.
    assert row.health_score == pytest.approx(100 / 3)
    assert row.health_band == "red"


def test_no_usage_in_60_days_leaves_the_trend_out_as_the_spec_says_and_says_why(silent, only_model):
    only_model([("usage_trend", 20, -50, 10), ("open_tickets", 10, 10, 0)])

    snapshot_recompute(as_of=D)

    row = stored(silent)
    assert row.usage_trend is None  # 0 events vs 0 events: 0 / 0
    components = {c["metric"]: c for c in row.health_components}
    assert components["usage_trend"]["score"] is None
    assert components["usage_trend"]["note"] == "No usage in the last 60 days"
    assert components["open_tickets"]["note"] == ""
    assert row.health_score == pytest.approx(100.0)  # open tickets alone: 10 x 100 / 10
