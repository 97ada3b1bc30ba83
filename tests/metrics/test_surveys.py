"""Survey KPIs of the portfolio (kpi-spec section 5): responses whose local response date is in
the period."""

import pytest

from accounts.models import Account
from metrics.selectors import AccountFilter
from tests.factories import AccountFactory, SurveyResponseFactory
from tests.metrics.conftest import END_OF_MARCH, MID_MARCH, assert_kpis, at, kpis


def response(account, kind: str, score: int, responded: str):
    return SurveyResponseFactory(
        account=account, kind=kind, score=score, responded_at=at(responded)
    )


@pytest.fixture
def responses(db) -> None:
    acme = AccountFactory(segment="Enterprise")
    globex = AccountFactory(segment="SMB")
    for account, kind, score, responded in [
        (acme, "nps", 10, "2024-03-02 10:00"),
        (acme, "nps", 9, "2024-03-05 10:00"),
        (globex, "nps", 8, "2024-03-08 10:00"),  # passive
        (globex, "nps", 6, "2024-03-12 10:00"),  # detractor
        (acme, "nps", 0, "2024-03-20 10:00"),
        (globex, "nps", 7, "2024-03-25 10:00"),  # passive
        (acme, "nps", 0, "2024-02-28 10:00"),  # February: not in March
        (acme, "nps", 0, "2024-04-01 00:00"),  # April: not in March
        (acme, "csat", 5, "2024-03-01 00:00"),
        (globex, "csat", 4, "2024-03-03 10:00"),
        (acme, "csat", 3, "2024-03-14 10:00"),
        (globex, "csat", 1, "2024-03-16 10:00"),
        (acme, "csat", 2, "2024-03-29 10:00"),
        (acme, "ces", 7, "2024-03-02 10:00"),
        (globex, "ces", 4, "2024-03-10 10:00"),
        (acme, "ces", 1, "2024-03-20 10:00"),
        (globex, "ces", 2, "2024-02-29 23:59"),  # February
    ]:
        response(account, kind, score, responded)


def test_every_survey_kpi_in_the_middle_of_the_month(responses):
    assert_kpis(
        kpis(MID_MARCH),
        {
            # 10, 9, 8, 6: promoters 2 (50 %), detractors 1 (25 %)
            "nps": 25,
            "csat": 2 / 3 * 100,  # 5, 4, 3: 2 of 3 score 4 or 5
            "ces": 5.5,  # (7 + 4) / 2
            "nps_responses": 4,
            "csat_responses": 3,
            "ces_responses": 2,
        },
    )


def test_every_survey_kpi_at_month_end(responses):
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            # 10, 9, 8, 6, 0, 7: promoters 2, detractors 2 -> 0, a value and not null
            "nps": 0,
            "csat": 40,  # 5, 4, 3, 1, 2: 2 of 5
            "ces": 4,  # (7 + 4 + 1) / 3
            "nps_responses": 6,
            "csat_responses": 5,
            "ces_responses": 3,
        },
    )


def test_survey_kpis_over_no_responses_are_null_and_their_counts_zero(db):
    response(AccountFactory(), "nps", 10, "2024-02-29 12:00")

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "nps": None,
            "csat": None,
            "ces": None,
            "nps_responses": 0,
            "csat_responses": 0,
            "ces_responses": 0,
        },
    )


@pytest.mark.parametrize(("scores", "nps"), [((9, 10, 10), 100), ((0, 6, 3), -100), ((7, 8), 0)])
def test_nps_runs_from_minus_100_to_100(db, scores, nps):
    account = AccountFactory()
    for score in scores:
        response(account, "nps", score, "2024-03-10 12:00")

    assert_kpis(kpis(END_OF_MARCH), {"nps": nps})


def test_a_segment_filter_gives_the_survey_kpis_of_its_accounts_only(responses):
    smb = AccountFilter(segment="SMB").apply(Account.objects.all())

    # globex in March: nps 8, 6, 7; csat 4, 1; ces 4.
    assert_kpis(
        kpis(END_OF_MARCH, smb),
        {
            "nps": -100 / 3,  # 0 promoters, 1 detractor of 3
            "csat": 50,  # 1 of 2
            "ces": 4,
            "nps_responses": 3,
            "csat_responses": 2,
            "ces_responses": 1,
        },
    )


# 2024-03-31T23:30-04:00 is 2024-04-01 03:30 UTC: March in New York, April in UTC.
@pytest.mark.parametrize(("zone", "in_march"), [("UTC", 0), ("America/New_York", 1)])
def test_a_response_near_midnight_counts_on_its_local_date(workspace_in, db, zone, in_march):
    workspace_in(zone)
    response(AccountFactory(), "csat", 5, "2024-03-31T23:30:00-04:00")

    assert_kpis(
        kpis(END_OF_MARCH),
        {"csat_responses": in_march, "csat": 100 if in_march else None},
    )


# 2024-03-01T03:00+00:00 is 2024-02-29 22:00 in New York: February there.
@pytest.mark.parametrize(("zone", "in_march"), [("UTC", 1), ("America/New_York", 0)])
def test_a_response_early_on_the_first_utc_day_may_be_last_month_locally(
    workspace_in, db, zone, in_march
):
    workspace_in(zone)
    response(AccountFactory(), "ces", 6, "2024-03-01T03:00:00+00:00")

    assert_kpis(kpis(MID_MARCH), {"ces_responses": in_march, "ces": 6 if in_march else None})
