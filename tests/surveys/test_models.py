"""Survey kinds, score groups and the surveys a fresh install gets."""

import pytest
from django.db import IntegrityError

from surveys.models import ScoreGroup, Survey, is_detractor, score_group
from surveys.selectors import active_survey


@pytest.mark.parametrize(
    ("kind", "detractors", "others"),
    [
        ("nps", range(0, 7), range(7, 11)),
        ("csat", range(1, 3), range(3, 6)),
        ("ces", range(1, 4), range(4, 8)),
    ],
)
def test_detractors_are_nps_0_to_6_csat_1_to_2_and_ces_1_to_3(kind, detractors, others):
    assert all(is_detractor(kind, score) for score in detractors)
    assert not any(is_detractor(kind, score) for score in others)


@pytest.mark.parametrize(
    ("kind", "score", "group"),
    [
        ("nps", 6, ScoreGroup.DETRACTOR),
        ("nps", 7, ScoreGroup.PASSIVE),
        ("nps", 8, ScoreGroup.PASSIVE),
        ("nps", 9, ScoreGroup.PROMOTER),
        ("csat", 3, ScoreGroup.PASSIVE),
        ("csat", 4, ScoreGroup.PROMOTER),
        ("ces", 5, ScoreGroup.PASSIVE),
        ("ces", 6, ScoreGroup.PROMOTER),
    ],
)
def test_promoters_follow_the_spec_and_csats_satisfied_answers(kind, score, group):
    assert score_group(kind, score) == group


def test_a_fresh_install_has_one_active_survey_of_each_kind_with_its_scale_labels(db):
    nps, csat, ces = (active_survey(kind) for kind in ("nps", "csat", "ces"))

    assert nps.question == "How likely are you to recommend {company} to a friend or colleague?"
    assert (nps.low_label, nps.high_label) == ("Not at all likely", "Extremely likely")
    assert list(nps.scale) == list(range(0, 11))
    assert list(csat.scale) == [1, 2, 3, 4, 5]
    assert list(ces.scale) == [1, 2, 3, 4, 5, 6, 7]
    assert ces.high_label == "Very easy"  # kpi-spec section 5: 7 = easiest
    assert {s.follow_up_question for s in (nps, csat, ces)} == {
        "What is the main reason for your score?"
    }


def test_only_one_survey_of_a_kind_is_active_at_a_time(db):
    fields = {"name": "Second NPS", "question": "Q?", "low_label": "low", "high_label": "high",
              "email_subject": "S", "email_intro": "I"}  # fmt: skip
    Survey.objects.create(kind="nps", is_active=False, **fields)  # an inactive draft is fine

    with pytest.raises(IntegrityError):
        Survey.objects.create(kind="nps", is_active=True, **fields)


def test_no_active_survey_of_a_kind_means_none(db):
    Survey.objects.filter(kind="ces").update(is_active=False)

    assert active_survey("ces") is None
