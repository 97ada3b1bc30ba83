"""The results page's charts, built from hand-made months without a database."""

from datetime import date

from surveys.charts import nps_figure, response_rate_figure, satisfaction_figure
from surveys.selectors import RateMonth, SentimentMonth

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def months(*counts) -> list[SentimentMonth]:
    return [
        SentimentMonth(month=first, as_of=first, **values)
        for first, values in zip((JAN, FEB, MAR), counts, strict=True)
    ]


def test_nps_stacks_the_three_groups_as_shares_and_draws_the_score():
    figure = nps_figure(
        months(
            {"nps_promoters": 2, "nps_detractors": 1, "nps_responses": 4},
            {},  # no answers: a gap, not a zero
            {"nps_promoters": 0, "nps_detractors": 3, "nps_responses": 3},
        )
    )

    detractors, passives, promoters, score = figure.data
    assert detractors.y == (25, None, 100)
    assert passives.y == (25, None, 0)
    assert promoters.y == (50, None, 0)
    assert score.y == (25, None, -100)
    assert list(figure.data[0].x) == ["Jan 2024", "Feb 2024", "Mar 2024"]


def test_the_nps_never_shares_an_axis_with_the_shares_of_answers():
    figure = nps_figure(months({"nps_promoters": 2, "nps_responses": 4}, {}, {}))

    *shares, score = figure.data
    assert {bar.yaxis for bar in shares} == {None}  # the first axis: 0..100 % of answers
    assert figure.layout.yaxis.range == (0, 100)
    assert score.yaxis == "y2" and figure.layout.yaxis2.range == (-100, 100)
    top, bottom = figure.layout.yaxis.domain, figure.layout.yaxis2.domain
    assert bottom[1] < top[0]  # two panels, one above the other, not two scales overlaid


def test_invitations_are_counted_in_whole_numbers():
    figure = response_rate_figure(
        [RateMonth(month=JAN, sent=3, answered=1), RateMonth(month=FEB, sent=2, answered=2)]
    )

    assert figure.layout.yaxis.dtick == 1  # never "0.5 invitations"


def test_csat_is_the_share_of_4_and_5_and_ces_the_mean_on_the_right_axis():
    figure = satisfaction_figure(
        months(
            {"csat_satisfied": 3, "csat_responses": 4, "ces_score_sum": 11, "ces_responses": 2},
            {"csat_satisfied": 0, "csat_responses": 0},
            {"ces_score_sum": 7, "ces_responses": 1},
        )
    )

    csat, ces = figure.data
    assert csat.y == (75, None, None)
    assert ces.y == (5.5, None, 7)
    assert ces.yaxis == "y2" and figure.layout.yaxis2.range == (1, 7)


def test_the_response_rate_is_answered_over_sent_and_empty_without_invitations():
    figure = response_rate_figure(
        [RateMonth(JAN, sent=4, answered=1), RateMonth(FEB, sent=0, answered=0)]
    )

    sent, answered, rate = figure.data
    assert (sent.y, answered.y, rate.y) == ((4, 0), (1, 0), (25, None))


def test_a_period_without_answers_says_so_instead_of_drawing_empty_axes():
    empty = months({}, {}, {})

    assert nps_figure(empty).layout.annotations[0].text == "No NPS answers in this period"
    assert satisfaction_figure(empty).data == ()
    assert response_rate_figure([RateMonth(JAN, 0, 0)]).layout.annotations[0].text == (
        "No invitations sent in this period"
    )
