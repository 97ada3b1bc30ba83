"""The portfolio over trailing 3 and 12 months (metrics.periods, issue 21 item 1).

Flows are summed over the period's months (each read on its month end), stocks are taken on the
last date, and NRR, GRR and logo churn follow the fixed cohort paying on the day before the
period. Every expected figure is computed by hand below.

| account  | contracts (mrr)                               | 09-30 | 12-31 | 01-31 | 02-29 | 03-31 |
| steady   | 1000 from 2023-01-01                          | 1000  | 1000  | 1000  | 1000  | 1000  |
| oldie    | 50, 2023-01-01 to 2023-11-15                  | 50    | 0     | 0     | 0     | 0     |
| churns   | 100, 2023-01-01 to 2024-01-15                 | 100   | 100   | 0     | 0     | 0     |
| comeback | 80, 2023-01-01 to 2024-01-20; 80 from 03-05   | 80    | 80    | 0     | 0     | 80    |
| expands  | 200, 2023-06-01 to 2024-01-31; 500 from 02-01 | 200   | 200   | 200   | 500   | 500   |
| shrinks  | 400, 2023-06-01 to 2024-02-29; 150 from 03-01 | 400   | 400   | 400   | 400   | 150   |
| newcomer | 300 from 2024-02-10                           | 0     | 0     | 0     | 300   | 300   |
| total    |                                               | 1830  | 1780  | 1600  | 2200  | 2030  |

Movements by month: Jun 2023 new 600 (expands, shrinks); Nov churn 50 (oldie); Jan churn 180
(churns 100, comeback 80); Feb expansion 300, new 300; Mar contraction 250, reactivation 80.
"""

import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from metrics import dashboard
from metrics.periods import PeriodLength, period_label, period_months
from metrics.selectors import portfolio_period, portfolio_totals_by_date
from metrics.sql import period_start_day
from tests.factories import AccountFactory, SurveyResponseFactory, TicketFactory
from tests.metrics.conftest import at, contract, normalised, recompute

END_OF_MARCH = date(2024, 3, 31)
MONTH_ENDS = [
    date(2023, 4, 30), date(2023, 5, 31), date(2023, 6, 30), date(2023, 7, 31),
    date(2023, 8, 31), date(2023, 9, 30), date(2023, 10, 31), date(2023, 11, 30),
    date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31),
]  # fmt: skip


@pytest.fixture
def book(db) -> None:
    contract(AccountFactory(external_id="steady"), "2023-01-01", None, 1000)
    contract(AccountFactory(external_id="oldie"), "2023-01-01", "2023-11-15", 50)
    contract(AccountFactory(external_id="churns"), "2023-01-01", "2024-01-15", 100)
    comeback = AccountFactory(external_id="comeback")
    contract(comeback, "2023-01-01", "2024-01-20", 80)
    contract(comeback, "2024-03-05", None, 80)
    expands = AccountFactory(external_id="expands")
    contract(expands, "2023-06-01", "2024-01-31", 200)
    contract(expands, "2024-02-01", None, 500)
    shrinks = AccountFactory(external_id="shrinks")
    contract(shrinks, "2023-06-01", "2024-02-29", 400)
    contract(shrinks, "2024-03-01", None, 150)
    newcomer = AccountFactory(external_id="newcomer")
    contract(newcomer, "2024-02-10", None, 300)
    # One ticket opened in January and two in March; NPS answers 10 in February, 3 and 8 in March.
    for opened in ("2024-01-10 09:00", "2024-03-02 09:00", "2024-03-20 09:00"):
        TicketFactory(account=newcomer, opened_at=at(opened))
    for score, answered in ((10, "2024-02-05 12:00"), (3, "2024-03-05 12:00"), (8, "2024-03-06")):
        SurveyResponseFactory(account=expands, score=score, responded_at=at(answered))
    recompute(*MONTH_ENDS)


def tiles(length: PeriodLength, as_of: date = END_OF_MARCH, accounts=None):
    return dashboard.portfolio_tiles(
        as_of=as_of,
        months=dashboard.snapshot_months(),
        accounts=Account.objects.all() if accounts is None else accounts,
        targets={},
        period=length,
    )


MONTH, THREE, TWELVE = PeriodLength.MONTH, PeriodLength.TRAILING_3, PeriodLength.TRAILING_12


# (period, key, expected): the table of cases, checked one period at a time (each reads a year
# of snapshots, so a test per period rather than per figure).
CASES = [
    # The month of March alone, as before: starting 2200 on 02-29.
    (MONTH, "starting_mrr", 2200),
    (MONTH, "net_new_mrr", -170),  # 80 - 250
    (MONTH, "nrr", (2200 - 250) / 2200 * 100),
    (MONTH, "tickets_opened", 2),
    (MONTH, "nps", (0 - 1) / 2 * 100),  # 8 is passive, 3 a detractor
    # Trailing 3 months, Jan to Mar 2024: the cohort is the 5 accounts paying on 12-31.
    (THREE, "mrr", 2030),  # a stock: on 03-31
    (THREE, "active_customers", 5),
    (THREE, "starting_mrr", 1780),  # on 12-31, the day before the period
    (THREE, "new_mrr", 300),
    (THREE, "reactivation_mrr", 80),
    (THREE, "expansion_mrr", 300),
    (THREE, "contraction_mrr", 250),
    (THREE, "churned_mrr", 180),  # 100 + 80 in January, summed although comeback returned
    (THREE, "net_new_mrr", 250),  # 300 + 80 + 300 - 250 - 180 = 2030 - 1780
    (THREE, "revenue_churn_rate", (180 + 250) / 1780 * 100),
    # Cohort on D: 1000 + 500 + 150 + 0 + 80 = 1730; kept: 1000 + 200 + 150 + 0 + 80 = 1430.
    (THREE, "nrr", 1730 / 1780 * 100),
    (THREE, "grr", 1430 / 1780 * 100),
    (THREE, "nrr_12m", 1080 / 1230 * 100),  # still its own cohort, of 2023-03-31 (below)
    (THREE, "customers_start", 5),
    (THREE, "churned_customers", 1),  # churns; comeback pays again on 03-31
    (THREE, "new_customers", 1),  # newcomer
    (THREE, "logo_churn_rate", 1 / 5 * 100),
    (THREE, "crr", (5 - 1) / 5 * 100),
    (THREE, "tickets_opened", 3),
    (THREE, "nps_responses", 3),
    (THREE, "nps", (1 - 1) / 3 * 100),
    # Trailing 12 months, Apr 2023 to Mar 2024: the cohort paying on 2023-03-31 is steady,
    # oldie, churns and comeback (1230); expands and shrinks started in June.
    (TWELVE, "starting_mrr", 1230),
    (TWELVE, "new_mrr", 900),  # 600 in June + 300 in February
    (TWELVE, "churned_mrr", 230),  # 50 + 180
    (TWELVE, "net_new_mrr", 800),  # 900 + 80 + 300 - 250 - 230 = 2030 - 1230
    (TWELVE, "nrr", 1080 / 1230 * 100),  # on D: 1000 + 0 + 0 + 80
    (TWELVE, "grr", 1080 / 1230 * 100),
    (TWELVE, "nrr_12m", 1080 / 1230 * 100),  # the same cohort
    (TWELVE, "customers_start", 4),
    (TWELVE, "churned_customers", 2),  # oldie, churns
    (TWELVE, "new_customers", 3),  # expands, shrinks, newcomer
    (TWELVE, "logo_churn_rate", 2 / 4 * 100),
    (TWELVE, "crr", (5 - 3) / 4 * 100),
]


@pytest.mark.parametrize("length", [MONTH, THREE, TWELVE])
def test_a_periods_figures_follow_their_rules(book, length):
    shown = tiles(length).tiles
    expected = {key: value for period, key, value in CASES if period == length}

    assert normalised({key: shown[key].value for key in expected}) == normalised(expected)


def test_a_trailing_period_is_compared_with_the_previous_one_of_the_same_length(book):
    shown = tiles(THREE)
    # Oct to Dec 2023: the cohort paying on 09-30 is 1830 over 6 accounts; oldie left.
    previous = {
        "starting_mrr": 1830,
        "churned_mrr": 50,
        "net_new_mrr": -50,
        "nrr": 1780 / 1830 * 100,
        "logo_churn_rate": 1 / 6 * 100,
        "tickets_opened": 0,
    }

    assert shown.compared_with == date(2023, 12, 31)
    assert shown.previous_period.label == "Oct\N{EN DASH}Dec 2023"
    assert normalised({key: shown.tiles[key].previous for key in previous}) == normalised(previous)


def test_a_period_whose_previous_months_are_not_all_computed_has_no_comparison(book):
    shown = tiles(TWELVE)  # April 2022 to March 2023 was never computed

    assert shown.previous_period is None
    assert shown.tiles["net_new_mrr"].previous is None
    assert shown.tiles["net_new_mrr"].value == 800


def test_the_rollup_gives_the_same_period_as_the_snapshot_rows(book):
    months = MONTH_ENDS[-3:]
    from_rows = portfolio_totals_by_date(dates=months, accounts=Account.objects.all())
    from_rollup = portfolio_totals_by_date(
        dates=months, accounts=Account.objects.all(), whole_groups=True
    )
    keys = [key for key in from_rows[END_OF_MARCH] if key.startswith("cohort_")]

    assert {k: from_rollup[END_OF_MARCH][k] for k in keys} == {
        k: from_rows[END_OF_MARCH][k] for k in keys
    }
    assert from_rows[END_OF_MARCH]["cohort_3m_start_mrr"] == 1780


def test_each_tile_says_what_its_value_covers(book):
    shown = tiles(THREE).tiles

    assert shown["net_new_mrr"].scope == "Jan\N{EN DASH}Mar 2024"
    assert shown["mrr"].scope == "on 31 Mar 2024"
    assert shown["starting_mrr"].scope == "on 31 Dec 2023"
    assert shown["mau"].scope == "30 days to 31 Mar 2024"


@pytest.mark.parametrize(
    ("end", "length", "label"),
    [
        (date(2024, 3, 31), MONTH, "March 2024"),
        (date(2024, 3, 15), MONTH, "March 2024 to 15 Mar"),
        (date(2024, 3, 31), THREE, "Jan\N{EN DASH}Mar 2024"),
        (date(2024, 2, 29), THREE, "Dec 2023\N{EN DASH}Feb 2024"),
        (date(2024, 3, 31), TWELVE, "Apr 2023\N{EN DASH}Mar 2024"),
    ],
)
def test_a_period_is_named_by_its_months(end, length, label):
    assert period_label(period_months({}, end=end, length=length)) == label


@pytest.mark.parametrize(
    ("day", "months", "start"),
    [
        (date(2024, 3, 31), 3, date(2023, 12, 31)),
        (date(2024, 4, 30), 3, date(2024, 1, 31)),  # not the same day: the month before's end
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2024, 3, 15), 12, date(2023, 3, 31)),
        (date(2024, 1, 10), 1, date(2023, 12, 31)),
    ],
)
def test_d3_is_the_day_before_the_periods_first_month(day, months, start):
    assert period_start_day(day, months) == start


def test_the_kpis_command_prints_a_trailing_period(book, capsys):
    call_command("kpis", "--as-of", "2024-03-31", "--period", "3m")
    document = json.loads(capsys.readouterr().out)

    assert document["period_start"] == "2024-01-01"
    assert document["period_end"] == "2024-03-31"
    assert document["portfolio"]["net_new_mrr"] == 250
    assert document["portfolio"]["logo_churn_rate"] == 20
    assert document["portfolio"]["nrr"] == round(1730 / 1780 * 100, 2)


def test_the_kpis_command_refuses_a_period_with_a_month_not_computed(db):
    contract(AccountFactory(), "2024-01-01", None, 100)
    recompute(date(2024, 1, 31), date(2024, 3, 31))

    with pytest.raises(CommandError, match=r"none in 2024-02.*--from 2024-02-01 --to 2024-02-29"):
        call_command("kpis", "--as-of", "2024-03-31", "--period", "3m")


def test_a_period_reads_each_month_on_its_last_computed_date(book):
    recompute(date(2024, 2, 15))

    period = portfolio_period(as_of=END_OF_MARCH, length=THREE)

    assert period.dates == [date(2024, 1, 31), date(2024, 2, 29), END_OF_MARCH]
