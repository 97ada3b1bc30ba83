"""The health-score arithmetic of kpi-spec section 8 (healthscores/scoring.py), and the default
model the migration installs. Every expected number is worked out from the spec by hand."""

import pytest

from healthscores.models import HealthModel
from healthscores.scoring import Component, Definition, band_of, score
from tests.healthscores.conftest import SPEC_DEFAULT_COMPONENTS


def definition(*components: tuple[str, float, float, float], green=70.0, yellow=40.0):
    return Definition(green, yellow, tuple(Component(*c) for c in components))


# Component scores: 0 at bad, 100 at good, linear between, clamped.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20, 0.0),  # at bad
        (80, 100.0),  # at good
        (50, 50.0),  # (50 - 20) / (80 - 20) x 100 = 30 / 60 x 100
        (35, 25.0),  # (35 - 20) / 60 x 100 = 15 / 60 x 100
        (5, 0.0),  # (5 - 20) / 60 x 100 = -25, clamped to 0
        (140, 100.0),  # (140 - 20) / 60 x 100 = 200, clamped to 100
    ],
)
def test_a_component_scores_linearly_between_bad_and_good_clamped_to_0_100(value, expected):
    seat_utilization = Component("seat_utilization", 15, bad=20, good=80)

    assert seat_utilization.score(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, 0.0),  # at bad
        (0, 100.0),  # at good
        (2, 80.0),  # (2 - 10) / (0 - 10) x 100 = -8 / -10 x 100
        (7, 30.0),  # (7 - 10) / -10 x 100
        (25, 0.0),  # (25 - 10) / -10 x 100 = -150, clamped
    ],
)
def test_a_component_whose_good_is_below_bad_scores_lower_values_higher(value, expected):
    open_tickets = Component("open_tickets", 10, bad=10, good=0)

    assert open_tickets.score(value) == pytest.approx(expected)


def test_a_component_with_a_null_metric_has_no_score():
    assert Component("nps_180d", 15, bad=-50, good=50).score(None) is None


def test_the_score_is_the_weighted_mean_of_the_component_scores():
    model = definition(("seat_utilization", 3, 20, 80), ("open_tickets", 1, 10, 0))

    scored = score(model, {"seat_utilization": 50, "open_tickets": 2})

    # seat_utilization (50 - 20) / 60 x 100 = 50; open_tickets (2 - 10) / -10 x 100 = 80
    # (3 x 50 + 1 x 80) / (3 + 1) = 230 / 4 = 57.5
    assert scored.score == pytest.approx(57.5)
    assert scored.band == "yellow"


def test_a_null_metric_is_left_out_and_the_remaining_weights_renormalised():
    model = definition(
        ("seat_utilization", 3, 20, 80), ("open_tickets", 1, 10, 0), ("nps_180d", 6, -50, 50)
    )

    scored = score(model, {"seat_utilization": 50, "open_tickets": 2, "nps_180d": None})

    # nps_180d is null: (3 x 50 + 1 x 80) / (3 + 1) = 57.5, not / (3 + 1 + 6) = 23.0
    assert scored.score == pytest.approx(57.5)
    nps = scored.components[2]
    assert (nps["metric"], nps["value"], nps["score"], nps["contribution"]) == (
        "nps_180d",
        None,
        None,
        None,
    )


def test_a_metric_missing_from_the_values_counts_as_null():
    model = definition(("seat_utilization", 1, 20, 80), ("open_tickets", 1, 10, 0))

    # open_tickets absent: only seat_utilization (35 - 20) / 60 x 100 = 25 counts
    assert score(model, {"seat_utilization": 35}).score == pytest.approx(25.0)


def test_the_score_is_null_and_the_band_unknown_when_no_component_is_present():
    model = definition(("seat_utilization", 1, 20, 80), ("nps_180d", 1, -50, 50))

    scored = score(model, {"seat_utilization": None, "nps_180d": None})

    assert scored.score is None
    assert scored.band == "unknown"
    assert [c["contribution"] for c in scored.components] == [None, None]


def test_the_score_is_null_when_the_present_components_weigh_0():
    model = definition(("seat_utilization", 0, 20, 80), ("nps_180d", 5, -50, 50))

    # nps_180d (weight 5) is null; seat_utilization is present with weight 0: sum(w) = 0
    scored = score(model, {"seat_utilization": 50, "nps_180d": None})

    assert scored.score is None
    assert scored.band == "unknown"


def test_a_zero_weight_component_counts_for_nothing_when_others_weigh_more():
    model = definition(("seat_utilization", 0, 20, 80), ("open_tickets", 2, 10, 0))

    scored = score(model, {"seat_utilization": 80, "open_tickets": 7})

    # (0 x 100 + 2 x 30) / (0 + 2) = 30
    assert scored.score == pytest.approx(30.0)
    assert scored.components[0]["contribution"] == 0.0
    assert scored.band == "red"


def test_contributions_are_weight_times_score_over_present_weights_and_sum_to_the_score():
    model = definition(
        ("usage_trend", 20, -50, 10),
        ("seat_utilization", 15, 20, 80),
        ("csat_180d", 10, 50, 90),
        ("nps_180d", 15, -50, 50),
    )

    scored = score(model, {"usage_trend": -20, "seat_utilization": 65, "csat_180d": 70})

    # Component scores: usage_trend (-20 + 50) / 60 x 100 = 50; seat_utilization
    # (65 - 20) / 60 x 100 = 75; csat_180d (70 - 50) / 40 x 100 = 50; nps_180d null.
    # Present weights 20 + 15 + 10 = 45.
    # Contributions 20 x 50 / 45 = 22.2222, 15 x 75 / 45 = 25, 10 x 50 / 45 = 11.1111, None.
    # Score (1000 + 1125 + 500) / 45 = 2625 / 45 = 58.3333.
    contributions = [c["contribution"] for c in scored.components]
    assert contributions == [
        pytest.approx(1000 / 45),
        pytest.approx(25.0),
        pytest.approx(500 / 45),
        None,
    ]
    assert scored.score == pytest.approx(2625 / 45)
    assert sum(c for c in contributions if c is not None) == pytest.approx(scored.score)
    assert [c["score"] for c in scored.components] == [
        pytest.approx(50.0),
        pytest.approx(75.0),
        pytest.approx(50.0),
        None,
    ]
    assert [c["weight"] for c in scored.components] == [20, 15, 10, 15]


# Bands on the score rounded to 2 decimals: green >= 70.00, yellow >= 40.00, else red.


@pytest.mark.parametrize(
    ("health", "band"),
    [
        (100.0, "green"),
        (70.0, "green"),
        (69.995, "green"),  # rounds to 70.00
        (69.994, "yellow"),  # rounds to 69.99
        (40.0, "yellow"),
        (39.995, "yellow"),  # rounds to 40.00
        (39.994, "red"),  # rounds to 39.99
        (0.0, "red"),
        (None, "unknown"),
    ],
)
def test_bands_are_taken_on_the_score_rounded_to_2_decimals(health, band):
    assert band_of(health, green=70.0, yellow=40.0) == band


def test_the_band_of_a_computed_score_of_69_995_is_green():
    model = definition(("csat_180d", 1, 0, 100))

    # (69.995 - 0) / (100 - 0) x 100 = 69.995, rounded 70.00 >= 70.00
    scored = score(model, {"csat_180d": 69.995})

    assert scored.score == pytest.approx(69.995)
    assert scored.band == "green"


def test_the_band_of_a_computed_score_of_39_994_is_red():
    model = definition(("csat_180d", 1, 0, 100))

    # 39.994 rounds to 39.99 < 40.00
    assert score(model, {"csat_180d": 39.994}).band == "red"


def test_a_model_with_its_own_thresholds_bands_with_them():
    model = definition(("csat_180d", 1, 0, 100), green=80, yellow=60)

    assert score(model, {"csat_180d": 75}).band == "yellow"  # 60 <= 75 < 80
    assert score(model, {"csat_180d": 55}).band == "red"  # 55 < 60
    assert score(model, {"csat_180d": 80}).band == "green"


# The default model of the spec, installed by the migration.


def test_the_migration_installs_the_default_model_of_the_spec_active_for_every_segment(db):
    model = HealthModel.objects.get(name="Default")

    assert model.is_active
    assert model.segment == ""
    assert (model.green_threshold, model.yellow_threshold) == (70, 40)
    components = sorted((c.metric, float(c.weight), c.bad, c.good) for c in model.components.all())
    assert components == sorted(
        (metric, float(weight), float(bad), float(good))
        for metric, weight, bad, good in SPEC_DEFAULT_COMPONENTS
    )


def test_the_default_model_starts_at_version_1_with_the_spec_definition(db):
    model = HealthModel.objects.get(name="Default")

    [version] = model.versions.all()

    assert version.number == 1
    assert version.definition["green"] == 70
    assert version.definition["yellow"] == 40
    assert [
        (c["metric"], c["weight"], c["bad"], c["good"]) for c in version.definition["components"]
    ] == [(m, float(w), float(b), float(g)) for m, w, b, g in SPEC_DEFAULT_COMPONENTS]


def test_the_default_model_scores_an_account_by_hand(db):
    version = HealthModel.objects.get(name="Default").versions.get()
    default = Definition.from_json(version.definition)

    scored = score(
        default,
        {
            "usage_trend": -40,  # (-40 + 50) / 60 x 100 = 16.6667
            "seat_utilization": 60,  # (60 - 20) / 60 x 100 = 66.6667
            "feature_adoption": 50,  # (50 - 10) / 50 x 100 = 80
            "nps_180d": 25,  # (25 + 50) / 100 x 100 = 75
            "csat_180d": 200 / 3,  # (66.6667 - 50) / 40 x 100 = 41.6667
            "open_tickets": 2,  # (2 - 10) / -10 x 100 = 80
            "avg_first_response_hours_90d": 6,  # (6 - 48) / (4 - 48) x 100 = 95.4545
            "champion_left_90d": 0,  # (0 - 1) / (0 - 1) x 100 = 100
        },
    )

    # (20 x 16.6667 + 15 x 66.6667 + 10 x 80 + 15 x 75 + 10 x 41.6667 + 10 x 80 + 10 x 95.4545
    #  + 10 x 100) / 100 = (333.33 + 1000 + 800 + 1125 + 416.67 + 800 + 954.55 + 1000) / 100
    #  = 6429.55 / 100 = 64.2955
    assert scored.score == pytest.approx(64.29545, abs=1e-4)
    assert scored.band == "yellow"
