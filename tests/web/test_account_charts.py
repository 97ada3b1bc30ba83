"""The account 360 charts: pure functions from selector output to figures, no database."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from types import SimpleNamespace

import pytest

from accounts.models import Contract, add_months
from accounts.selectors import (
    ContractEvent,
    TicketMonth,
    contract_events,
    month_starts,
    ticket_months,
)
from core.charts import GREEN, RED, YELLOW, chart_html
from web import charts
from web.selectors import HistoryPoint

START = date(2025, 1, 1)


def history(days: int = 60, **overrides) -> list[HistoryPoint]:
    """`days` daily points from START, with a slowly falling score and growing usage."""
    values = {
        "health_band": "green",
        "health_model_version": 1,
        "mrr": Decimal("1000.00"),
        "seats": 10,
        "seat_utilization": 80.0,
        "feature_adoption": 50.0,
        "features_used_30d": 4,
    }
    points = []
    for offset in range(days):
        row = {
            "as_of": START + timedelta(days=offset),
            "health_score": 90.0 - offset / 2,
            "active_users_30d": 8,
            "events_30d": 300 + offset,
            **values,
        }
        row.update(
            {key: value(offset) if callable(value) else value for key, value in overrides.items()}
        )
        points.append(HistoryPoint(**row))
    return points


def contract(start: date, end: date | None, mrr: str = "1000.00", plan: str = "Growth"):
    return Contract(start_date=start, end_date=end, mrr=Decimal(mrr), plan=plan)


def response(kind: str, score: int, day: int, comment: str = "", contact=None):
    return SimpleNamespace(
        kind=kind,
        score=score,
        comment=comment,
        contact=contact,
        responded_at=datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=day),
    )


def shapes_of(fig, kind: str):
    return [shape for shape in fig.layout.shapes if shape.type == kind]


def test_the_health_chart_draws_the_score_over_the_three_band_areas():
    fig = charts.health_figure(history(), green=70, yellow=40, version_labels={})

    (line,) = fig.data
    assert list(line.y[:2]) == [90.0, 89.5]
    bands = shapes_of(fig, "rect")
    assert [(band.y0, band.y1) for band in bands] == [(0, 40), (40, 70), (70, 100)]
    assert list(fig.layout.yaxis.range) == [0, 100]


def test_the_health_chart_uses_the_models_own_thresholds():
    fig = charts.health_figure(history(), green=75, yellow=50, version_labels={})

    assert [(band.y0, band.y1) for band in shapes_of(fig, "rect")] == [
        (0, 50),
        (50, 75),
        (75, 100),
    ]
    assert list(fig.layout.yaxis.tickvals) == [0, 50, 75, 100]


def test_the_health_chart_marks_the_day_the_model_version_changed_with_its_label():
    points = history(10, health_model_version=lambda offset: 1 if offset < 6 else 2)

    fig = charts.health_figure(points, green=70, yellow=40, version_labels={2: "Default v2"})

    (marker,) = shapes_of(fig, "line")
    assert marker.x0 == START + timedelta(days=6)
    assert [note.text for note in fig.layout.annotations] == ["Default v2"]


def test_days_without_a_score_do_not_count_as_a_model_change():
    versions = [1, 1, None, None, 1, 2, 2]
    points = history(7, health_model_version=lambda offset: versions[offset])

    assert charts.version_changes(points) == [(START + timedelta(days=5), 2)]


def test_a_health_chart_without_any_score_says_so():
    points = history(5, health_score=None)

    fig = charts.health_figure(points, green=70, yellow=40, version_labels={})

    assert fig.data == ()
    assert fig.layout.annotations[0].text == "No health score yet"


def test_the_mrr_chart_marks_contract_starts_and_ends_on_the_mrr_line():
    points = history(30, mrr=lambda offset: Decimal("1000.00") if offset < 20 else Decimal(0))
    contracts = [contract(START + timedelta(days=5), START + timedelta(days=19))]
    events = contract_events(contracts, first=START, last=START + timedelta(days=29))

    fig = charts.mrr_figure(points, events)

    mrr, starts, ends = fig.data
    assert mrr.line.shape == "hv"
    assert list(starts.x) == [START + timedelta(days=5)]
    assert list(ends.x) == [START + timedelta(days=19)]
    assert list(ends.y) == [1000.0]
    assert "Growth contract ends" in ends.text[0]


def test_a_renewal_is_one_event_on_the_renewing_contracts_start():
    old = contract(START, START + timedelta(days=364), mrr="400.00", plan="Team")
    new = contract(START + timedelta(days=365), None, mrr="650.00", plan="Team")
    lapsed = contract(START + timedelta(days=400), START + timedelta(days=410), plan="Add-on")

    events = contract_events([old, new, lapsed], first=START, last=START + timedelta(days=500))

    assert [(e.day - START).days for e in events] == [0, 365, 400, 410]
    assert [e.kind for e in events] == ["start", "start", "start", "end"]
    assert events[1].label == "Team renewed (400 → 650/month)"
    assert events[3].label == "Add-on contract ends (1,000/month)"


def monthly(first: date, months: int, mrr: str = "315.00", plan: str = "Team Monthly"):
    """`months` one-month contracts in a row from `first`, as a monthly plan is imported."""
    starts = [add_months(first, n) for n in range(months + 1)]
    return [
        contract(start, end - timedelta(days=1), mrr=mrr, plan=plan)
        for start, end in pairwise(starts)
    ]


def test_a_monthly_plan_rolling_over_puts_nothing_on_the_timeline():
    contracts = monthly(date(2025, 1, 1), 6)

    events = contract_events(contracts, first=date(2025, 1, 1), last=date(2025, 12, 31))

    assert [e.label for e in events] == [
        "Team Monthly contract starts (315/month)",
        "Team Monthly contract ends (315/month)",
    ]
    assert [e.day for e in events] == [date(2025, 1, 1), date(2025, 6, 30)]


def test_a_monthly_plan_changing_its_mrr_or_plan_is_an_event():
    contracts = [
        *monthly(date(2025, 1, 1), 3),
        *monthly(date(2025, 4, 1), 2, mrr="350.00"),
        contract(date(2025, 6, 1), date(2026, 5, 31), mrr="3000.00", plan="Team Annual"),
    ]

    events = contract_events(contracts, first=date(2025, 1, 1), last=date(2025, 12, 31))

    assert [(e.day, e.label) for e in events] == [
        (date(2025, 1, 1), "Team Monthly contract starts (315/month)"),
        (date(2025, 4, 1), "Team Monthly MRR changed (315 → 350/month)"),
        (date(2025, 6, 1), "Plan changed: Team Monthly → Team Annual (350 → 3,000/month)"),
    ]


def test_a_quarterly_term_is_committed_and_its_continuation_a_renewal(settings):
    quarters = [contract(date(2025, 1, 1), date(2025, 3, 31)),
                contract(date(2025, 4, 1), date(2025, 6, 30))]  # fmt: skip

    events = contract_events(quarters, first=date(2025, 1, 1), last=date(2025, 5, 1))

    assert events[1].label == "Growth renewed (1,000 → 1,000/month)"
    settings.RENEWAL_MIN_TERM_MONTHS = 4
    events = contract_events(quarters, first=date(2025, 1, 1), last=date(2025, 5, 1))
    assert len(events) == 1


def test_mrr_ticks_carry_the_currency_symbol():
    assert charts.mrr_figure(history(3), [], currency="EUR").layout.yaxis.tickprefix == "€"
    # One currency table (core.charts): CHF reads "CHF 1.2k" on axes as "CHF 1,234" on tiles.
    assert charts.mrr_figure(history(3), [], currency="CHF").layout.yaxis.tickprefix == "CHF "


def test_contract_events_outside_the_charted_days_are_left_out():
    points = history(10)
    events = [ContractEvent(START - timedelta(days=3), "start", contract(START, None))]

    fig = charts.mrr_figure(points, events)

    assert [trace.name for trace in fig.data] == ["MRR"]


def test_contract_labels_are_escaped_in_hover_text():
    event = ContractEvent(START, "start", contract(START, None, plan="<b>Pro</b>"))

    fig = charts.mrr_figure(history(3), [event])

    assert "&lt;b&gt;Pro&lt;/b&gt;" in fig.data[1].text[0]


def test_the_usage_chart_shows_events_per_week_as_weekly_bars_from_the_30_day_sum():
    points = history(15, events_30d=300)

    fig = charts.usage_figure(points)

    bars, users, seats = fig.data
    assert list(bars.x) == [points[0].as_of, points[7].as_of, points[14].as_of]
    assert list(bars.y) == [70.0, 70.0, 70.0]  # 300 events in 30 days = 70 a week
    assert bars.yaxis == "y2"
    assert list(users.y) == [8] * 15
    assert list(seats.y) == [10] * 15


def test_weekly_samples_always_include_the_newest_day():
    points = history(10)

    assert [p.as_of for p in charts.weekly(points)] == [points[2].as_of, points[9].as_of]


def test_the_adoption_chart_plots_utilisation_adoption_and_features_used():
    fig = charts.adoption_figure(history(5, seat_utilization=lambda offset: 50.0 + offset))

    names = [trace.name for trace in fig.data]
    assert names == ["Seat utilisation", "Feature adoption", "Features used"]
    assert list(fig.data[0].y) == [50.0, 51.0, 52.0, 53.0, 54.0]
    assert fig.data[2].yaxis == "y2"


def test_small_counts_are_ticked_in_whole_numbers_on_every_360_chart():
    few = history(10, seats=3, active_users_30d=2, features_used_30d=3)
    months = [SimpleNamespace(month=date(2025, m, 1), opened=m % 3, avg_first_response_hours=None)
              for m in range(1, 13)]  # fmt: skip

    axes = [
        charts.usage_figure(few).layout.yaxis,  # users
        charts.adoption_figure(few).layout.yaxis2,  # features used
        charts.tickets_figure(months).layout.yaxis,  # tickets opened
    ]

    # plotly's own ticks for 0..3 are 0.5 apart: "0.5 users"; a secondary axis's "auto" mode
    # ignored a dtick of 1.
    assert [(axis.tickmode, axis.tick0, axis.dtick) for axis in axes] == [("linear", 0, 1)] * 3


def test_secondary_axes_use_their_own_ticks_not_the_first_axis_ones():
    fig = charts.usage_figure(history(10))

    assert fig.layout.yaxis2.tickmode == "auto"
    assert fig.layout.yaxis2.rangemode == "tozero"


def test_charts_of_an_account_without_history_say_there_is_nothing_yet():
    assert charts.mrr_figure([], []).layout.annotations[0].text == "No MRR history yet"
    assert charts.usage_figure([]).layout.annotations[0].text == "No usage yet"
    assert charts.adoption_figure([]).layout.annotations[0].text == "No usage yet"


def test_the_tickets_chart_shows_volume_and_first_response_per_month():
    months = [
        TicketMonth(date(2025, 1, 1), 4, 6.5),
        TicketMonth(date(2025, 2, 1), 0, None),
        TicketMonth(date(2025, 3, 1), 2, 1.0),
    ]

    fig = charts.tickets_figure(months)

    bars, response_line = fig.data
    assert list(bars.y) == [4, 0, 2]
    assert list(response_line.y) == [6.5, None, 1.0]
    assert response_line.yaxis == "y2"


def test_a_year_without_tickets_says_so():
    months = [TicketMonth(day, 0, None) for day in month_starts(date(2025, 6, 15))]

    fig = charts.tickets_figure(months)

    assert fig.layout.annotations[0].text == "No tickets in the last 12 months"


def test_ticket_months_count_openings_and_average_first_responses_by_their_own_month():
    opened = datetime(2025, 1, 31, 20, tzinfo=UTC)
    tickets = [
        SimpleNamespace(opened_at=opened, first_response_at=opened + timedelta(hours=10)),
        SimpleNamespace(opened_at=opened, first_response_at=None),
        SimpleNamespace(
            opened_at=opened + timedelta(days=5),
            first_response_at=opened + timedelta(days=5, hours=2),
        ),
    ]

    months = ticket_months(tickets, [date(2025, 1, 1), date(2025, 2, 1)])

    assert months[0] == TicketMonth(date(2025, 1, 1), 2, None)
    assert months[1] == TicketMonth(date(2025, 2, 1), 1, 6.0)  # (10 + 2) / 2


def test_month_starts_are_the_twelve_months_ending_with_the_as_of_month():
    months = month_starts(date(2025, 3, 17))

    assert months[0] == date(2024, 4, 1)
    assert months[-1] == date(2025, 3, 1)
    assert len(months) == 12


def test_the_surveys_chart_puts_each_kind_on_its_own_scale():
    answers = [response("nps", 3, 1), response("nps", 10, 5), response("ces", 6, 2)]

    fig = charts.surveys_figure(answers)

    nps, _ces = fig.data
    assert list(nps.y) == [3, 10]
    assert list(fig.layout.yaxis.range) == [-0.7, 10.7]
    assert list(fig.layout.yaxis2.range) == pytest.approx([0.3, 7.7])
    assert nps.marker.color == (charts.RED, charts.GREEN)


def test_the_surveys_chart_spans_the_window_of_the_other_charts():
    fig = charts.surveys_figure([response("nps", 9, 40)], window=(START, date(2025, 12, 31)))

    assert list(fig.layout.xaxis.range) == [START, date(2026, 1, 1)]


def test_survey_comments_are_shortened_and_escaped_in_hover_text():
    answer = response("csat", 1, 1, comment="<script>alert(1)</script> " + "slow " * 40)

    fig = charts.surveys_figure([answer])

    text = fig.data[0].text[0]
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert text.endswith("…</i>")


def test_an_account_without_survey_answers_gets_a_message_instead_of_a_chart():
    fig = charts.surveys_figure([])

    assert fig.layout.annotations[0].text == "No survey answers in the last 12 months"


def test_survey_colours_follow_promoters_passives_and_detractors():
    assert [charts.survey_color("nps", s) for s in (0, 6, 7, 8, 9, 10)] == [
        RED,
        RED,
        YELLOW,
        YELLOW,
        GREEN,
        GREEN,
    ]
    # CSAT 3 is passive, as in surveys.models.score_group (alerts, playbooks, results page).
    assert [charts.survey_color("csat", s) for s in (1, 2, 3, 4, 5)] == [
        RED,
        RED,
        YELLOW,
        GREEN,
        GREEN,
    ]
    assert charts.survey_color("ces", 7) == GREEN


def test_chart_html_is_a_div_and_its_data_without_plotly_js_or_the_mode_bar():
    html = chart_html(charts.usage_figure(history(3)), div_id="chart-usage")

    assert html.startswith('<div id="chart-usage"')
    assert '<script type="application/json" data-chart-for="chart-usage">' in html
    assert '"config":{"displayModeBar":false,"displaylogo":false,"responsive":true}' in html
    assert "cdn.plot.ly" not in html
    assert len(html) < 100_000  # the 4.5 MB library is served once, not inlined
