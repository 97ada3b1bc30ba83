"""Model versions (healthscores/services.py): every change to weights or thresholds is a new
numbered, frozen definition, stored scores cite the version that produced them, and rescores are
queued for the latest snapshot dates."""

from datetime import date, timedelta

import pytest

from healthscores.models import HealthComponent, HealthModel
from healthscores.scoring import Component, Definition
from healthscores.selectors import version_labels
from healthscores.services import (
    health_model_apply,
    health_model_publish,
    health_scores_recompute,
    rescore_enqueue,
    rescore_parts,
)
from healthscores.tasks import rescore
from metrics.models import AccountSnapshot
from tests.healthscores.conftest import (
    AccountSnapshotFactory,
    SnapshotRunFactory,
    health_model,
    latest_version,
)

D = date(2024, 3, 31)


def test_publishing_an_unchanged_model_creates_no_version(default_model):
    assert health_model_publish(model=default_model) is None
    assert default_model.versions.count() == 1


def test_publishing_a_changed_weight_creates_the_next_version_by_its_author(default_model, alice):
    default_model.components.filter(metric="open_tickets").update(weight=30)

    version = health_model_publish(model=default_model, user=alice)

    assert version.number == 2
    assert version.created_by == alice
    weights = {c["metric"]: c["weight"] for c in version.definition["components"]}
    assert weights["open_tickets"] == 30
    assert weights["usage_trend"] == 20


def test_publishing_a_changed_threshold_creates_a_version(default_model):
    HealthModel.objects.filter(pk=default_model.pk).update(yellow_threshold=45)
    default_model.refresh_from_db()

    version = health_model_publish(model=default_model)

    assert (version.number, version.definition["yellow"], version.definition["green"]) == (
        2,
        45,
        70,
    )


def test_a_model_without_versions_publishes_version_1(db):
    model = HealthModel.objects.create(name="Fresh", segment="SMB", is_active=False)
    HealthComponent.objects.create(model=model, metric="open_tickets", weight=1, bad=10, good=0)

    version = health_model_publish(model=model)

    assert version.number == 1
    assert version.definition == {
        "green": 70.0,
        "yellow": 40.0,
        "components": [
            {"position": 0, "metric": "open_tickets", "weight": 1.0, "bad": 10.0, "good": 0.0}
        ],
    }


def test_each_change_gets_the_next_number_and_old_versions_stay_frozen(default_model):
    for weight in (11, 12, 13):
        default_model.components.filter(metric="open_tickets").update(weight=weight)
        health_model_publish(model=default_model)

    versions = list(default_model.versions.order_by("number"))

    assert [v.number for v in versions] == [1, 2, 3, 4]
    assert [
        next(c["weight"] for c in v.definition["components"] if c["metric"] == "open_tickets")
        for v in versions
    ] == [10, 11, 12, 13]


def test_applying_a_proposal_replaces_thresholds_and_components_and_publishes(
    default_model, leader
):
    proposal = Definition(
        75, 45, (Component("open_tickets", 2, 10, 0), Component("nps_180d", 3, -50, 50))
    )

    version = health_model_apply(model=default_model, definition=proposal, user=leader)

    default_model.refresh_from_db()
    assert (default_model.green_threshold, default_model.yellow_threshold) == (75, 45)
    assert sorted(default_model.components.values_list("metric", "weight", "bad", "good")) == [
        ("nps_180d", 3, -50.0, 50.0),
        ("open_tickets", 2, 10.0, 0.0),
    ]
    assert version.number == 2
    assert Definition.from_json(version.definition) == proposal


def test_applying_the_current_definition_again_publishes_nothing(default_model, leader):
    current = Definition.from_json(latest_version(default_model).definition)

    assert health_model_apply(model=default_model, definition=current, user=leader) is None
    assert default_model.versions.count() == 1


def test_a_rescore_of_the_latest_date_leaves_older_dates_citing_the_older_version(only_model):
    model = only_model([("open_tickets", 1, 10, 0)])
    older = AccountSnapshotFactory(as_of=date(2024, 3, 30), open_tickets=4)
    newer = AccountSnapshotFactory(as_of=D, account=older.account, open_tickets=4)
    health_scores_recompute(first=date(2024, 3, 30), last=D)
    first = latest_version(model)

    model.components.update(bad=20)
    second = health_model_publish(model=model)
    health_scores_recompute(first=D, last=D)

    older.refresh_from_db()
    newer.refresh_from_db()
    # v1: (4 - 10) / (0 - 10) x 100 = 60; v2: (4 - 20) / (0 - 20) x 100 = 80
    assert (older.health_score, older.health_model_version) == (pytest.approx(60.0), first.pk)
    assert (newer.health_score, newer.health_model_version) == (pytest.approx(80.0), second.pk)
    assert version_labels({first.pk, second.pk}) == {first.pk: "Custom v1", second.pk: "Custom v2"}


def test_the_rescore_task_rescores_the_dates_it_is_given(only_model):
    only_model([("open_tickets", 1, 10, 0)])
    AccountSnapshotFactory.create_batch(3, as_of=D, open_tickets=5)
    AccountSnapshotFactory(as_of=date(2024, 3, 1), open_tickets=5)

    result = rescore("2024-03-31", "2024-03-31")

    assert result == {"first": "2024-03-31", "last": "2024-03-31", "rows": 3}
    # (5 - 10) / -10 x 100 = 50
    scores = dict(AccountSnapshot.objects.values_list("as_of", "health__score").distinct())
    assert scores == {D: pytest.approx(50.0), date(2024, 3, 1): None}


def test_queueing_a_rescore_covers_the_days_ending_at_the_latest_snapshot(db, queued_rescores):
    SnapshotRunFactory(as_of=date(2024, 3, 10))
    SnapshotRunFactory(as_of=date(2024, 3, 12))

    job = rescore_enqueue(days=30)

    # 2024-03-12 - 29 days = 2024-02-12 (2024 is a leap year: 29 days in February)
    assert (job.first, job.last, job.total_dates) == (date(2024, 2, 12), date(2024, 3, 12), 30)
    # in two parts of 15 days, for two worker processes
    assert queued_rescores == [
        ["2024-02-12", "2024-02-26", job.pk],
        ["2024-02-27", "2024-03-12", job.pk],
    ]


def test_queueing_a_rescore_without_any_snapshot_queues_nothing(db, queued_rescores):
    assert rescore_enqueue(days=365) is None
    assert queued_rescores == []


def test_a_segment_model_created_later_gets_its_own_version_numbers(default_model):
    model = health_model([("nps_180d", 1, -50, 50)], name="SMB", segment="SMB")

    assert latest_version(model).number == 1
    assert latest_version(default_model).number == 1


@pytest.mark.parametrize(
    ("days", "parts", "expected"),
    [
        (1, 2, [(1, 1)]),
        (2, 2, [(1, 1), (2, 2)]),
        (5, 2, [(1, 3), (4, 5)]),
        (6, 3, [(1, 2), (3, 4), (5, 6)]),
        (7, 1, [(1, 7)]),
    ],
)
def test_a_long_rescore_is_cut_into_consecutive_parts_that_cover_every_day(days, parts, expected):
    first = date(2024, 3, 1)
    last = first + timedelta(days=days - 1)

    ranges = rescore_parts(first, last, parts)

    assert [(a.day, b.day) for a, b in ranges] == expected
