"""Each account's own row of an as-of date (kpi-spec section 7): revenue, renewal, support,
sentiment and champion keys (the usage keys are in test_usage)."""

from datetime import date

import pytest

from tests.factories import (
    AccountFactory,
    ContactFactory,
    SurveyResponseFactory,
    TicketFactory,
)
from tests.metrics.conftest import (
    END_OF_MARCH,
    MID_MARCH,
    assert_kpis,
    at,
    contract,
    money,
    snapshots,
)

REVENUE_KEYS = ("mrr", "arr", "starting_mrr", "movement", "movement_mrr")


def revenue_of(rows) -> dict[str, tuple]:
    return {
        external_id: tuple(
            float(value) if key != "movement" and value is not None else value
            for key, value in ((key, getattr(row, key)) for key in REVENUE_KEYS)
        )
        for external_id, row in rows.items()
    }


def test_each_account_has_its_mrr_and_its_movement_mid_month(march_portfolio):
    rows = snapshots(MID_MARCH, march_portfolio.values())

    # (mrr, arr, starting mrr m0, movement, movement amount)
    assert revenue_of(rows) == {
        "steady": (1000, 12000, 1000, None, None),
        "expands": (800, 9600, 500, "expansion", 300),
        "shrinks": (600, 7200, 800, "contraction", 200),
        "churns-mid-march": (600, 7200, 600, None, None),  # ends 03-20: still paying on 03-15
        "ended-feb": (0, 0, 400, "churn", 400),
        "new": (250, 3000, 0, "new", 250),
        "reactivated": (350, 4200, 0, "reactivation", 350),
        "prospect": (0, 0, 0, None, None),
    }


def test_each_account_has_its_mrr_and_its_movement_at_month_end(march_portfolio):
    rows = snapshots(END_OF_MARCH, march_portfolio.values())

    assert revenue_of(rows) == {
        "steady": (1000, 12000, 1000, None, None),
        "expands": (800, 9600, 500, "expansion", 300),
        "shrinks": (600, 7200, 800, "contraction", 200),
        "churns-mid-march": (0, 0, 600, "churn", 600),
        "ended-feb": (0, 0, 400, "churn", 400),
        "new": (250, 3000, 0, "new", 250),
        "reactivated": (350, 4200, 0, "reactivation", 350),
        "prospect": (0, 0, 0, None, None),
    }


def test_seats_sum_the_contracts_active_on_the_as_of_date(db):
    account = AccountFactory()
    contract(account, "2024-01-01", None, 1000, seats=10)
    contract(account, "2024-03-01", None, 0, seats=5)  # a free add-on still brings seats
    contract(account, "2024-01-01", None, 50, seats=None)  # no seats given
    contract(account, "2023-01-01", "2024-03-14", 500, seats=20)  # ended the day before
    contract(account, "2024-03-16", None, 500, seats=7)  # starts the day after

    rows = snapshots(MID_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"seats": 15})  # 10 + 5


def test_seats_are_zero_without_an_active_contract(db):
    account = AccountFactory()

    rows = snapshots(MID_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"seats": 0, "mrr": 0, "arr": 0})


def test_days_to_renewal_counts_to_the_earliest_end_of_an_active_contract(db):
    account = AccountFactory()
    contract(account, "2024-01-01", None, 100)
    contract(account, "2024-01-01", "2024-06-30", 100)
    contract(account, "2024-02-01", "2024-04-10", 0)  # free contracts are active too
    contract(account, "2023-01-01", "2024-03-14", 100)  # ended before D
    contract(account, "2024-03-20", "2024-03-25", 100)  # not active yet

    rows = snapshots(MID_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"days_to_renewal": 26})  # 04-10 - 03-15


def test_days_to_renewal_is_zero_for_a_contract_ending_on_the_as_of_date(db):
    account = AccountFactory()
    contract(account, "2024-01-01", "2024-03-15", 100)

    rows = snapshots(MID_MARCH, [account])
    assert_kpis(vars(rows[account.external_id]), {"days_to_renewal": 0})


def test_days_to_renewal_is_null_when_no_active_contract_has_an_end_date(db):
    open_ended = AccountFactory(external_id="open-ended")
    contract(open_ended, "2024-01-01", None, 100)
    contract(open_ended, "2023-01-01", "2024-03-01", 100)  # ended
    no_contract = AccountFactory(external_id="no-contract")

    rows = snapshots(MID_MARCH, [open_ended, no_contract])
    assert rows["open-ended"].days_to_renewal is None
    assert rows["no-contract"].days_to_renewal is None


@pytest.fixture
def support_history(db):
    """Tickets of one account around the 90 days [2024-01-02, 2024-03-31] of D = 03-31."""
    account = AccountFactory(external_id="supported")
    for opened, responded, resolved, first_contact in [
        # Opened on D-89 at midnight: inside. 6 h to answer, resolved on first contact.
        ("2024-01-02 00:00", "2024-01-02 06:00", "2024-01-03 00:00", True),
        # Opened on D-90: outside, but answered (2 h) and resolved in the window.
        ("2024-01-01 23:00", "2024-01-02 01:00", "2024-01-02 02:00", False),
        # Answered after 10 h, still open.
        ("2024-03-30 10:00", "2024-03-30 20:00", None, None),
        # Opened long ago, never answered, still open.
        ("2023-11-01 09:00", None, None, None),
        # Opened on D, resolved after D: open on D.
        ("2024-03-31 12:00", None, "2024-04-01 01:00", None),
        # Opened, answered and resolved long ago: in nothing.
        ("2023-12-01 09:00", "2023-12-01 10:00", "2023-12-02 09:00", True),
        # 4 h to answer; resolved with an empty first-contact flag, which counts as false.
        ("2024-02-10 00:00", "2024-02-10 04:00", "2024-02-11 00:00", None),
        # Opened after D: in nothing.
        ("2024-04-01 00:00", "2024-04-01 01:00", "2024-04-01 02:00", True),
    ]:
        TicketFactory(
            account=account,
            opened_at=at(opened),
            first_response_at=at(responded) if responded else None,
            resolved_at=at(resolved) if resolved else None,
            resolved_on_first_contact=first_contact,
        )
    return account


def test_each_account_has_its_support_keys_over_the_last_90_days(support_history):
    quiet = AccountFactory(external_id="quiet")

    rows = snapshots(END_OF_MARCH, [support_history, quiet])
    assert_kpis(
        vars(rows["supported"]),
        {
            "open_tickets": 3,  # 03-30, 2023-11-01, 03-31
            "tickets_90d": 4,  # 01-02, 03-30, 03-31, 02-10
            "avg_first_response_hours_90d": 5.5,  # (6 + 2 + 10 + 4) / 4
            "fcr_rate_90d": 100 / 3,  # resolved 01-03 true, 01-02 false, 02-11 empty: 1 of 3
        },
    )
    assert_kpis(
        vars(rows["quiet"]),
        {
            "open_tickets": 0,
            "tickets_90d": 0,
            "avg_first_response_hours_90d": None,
            "fcr_rate_90d": None,
        },
    )


@pytest.fixture
def sentiment_history(db):
    """Responses of one account around the 180 days [2023-10-04, 2024-03-31] of D = 03-31."""
    account = AccountFactory(external_id="vocal")
    for kind, score, responded in [
        ("nps", 10, "2023-10-04 00:00"),  # D-179: inside
        ("nps", 0, "2023-10-03 23:59"),  # D-180: outside
        ("nps", 3, "2024-01-15 12:00"),
        ("nps", 9, "2024-03-31 23:00"),
        ("nps", 0, "2024-04-01 00:30"),  # after D
        ("csat", 4, "2023-12-01 12:00"),
        ("csat", 2, "2024-02-01 12:00"),
        ("ces", 6, "2023-11-01 12:00"),
        ("ces", 3, "2024-03-01 12:00"),
        ("ces", 5, "2024-03-02 12:00"),
    ]:
        SurveyResponseFactory(account=account, kind=kind, score=score, responded_at=at(responded))
    return account


def test_each_account_has_its_sentiment_over_the_last_180_days(sentiment_history):
    silent = AccountFactory(external_id="silent")

    rows = snapshots(END_OF_MARCH, [sentiment_history, silent])
    assert_kpis(
        vars(rows["vocal"]),
        {
            "nps_180d": 100 / 3,  # 10, 3, 9: (2 promoters - 1 detractor) / 3
            "csat_180d": 50,  # 4, 2
            "ces_180d": 14 / 3,  # (6 + 3 + 5) / 3
        },
    )
    assert_kpis(vars(rows["silent"]), {"nps_180d": None, "csat_180d": None, "ces_180d": None})


@pytest.mark.parametrize(
    ("is_champion", "left_on", "flag"),
    [
        (True, date(2024, 1, 2), 1),  # D-89: inside the last 90 days
        (True, date(2024, 3, 31), 1),  # on D
        (True, date(2024, 1, 1), 0),  # D-90: too long ago
        (True, date(2024, 4, 5), 0),  # after D
        (True, None, 0),  # still there
        (False, date(2024, 3, 1), 0),  # not a champion
    ],
)
def test_champion_left_90d_flags_a_champion_who_left_in_the_last_90_days(
    db, is_champion, left_on, flag
):
    account = AccountFactory()
    ContactFactory(account=account, is_champion=is_champion, left_on=left_on)

    rows = snapshots(END_OF_MARCH, [account])
    assert rows[account.external_id].champion_left_90d == flag


def test_two_champions_leaving_still_flag_one(db):
    account = AccountFactory()
    ContactFactory.create_batch(2, account=account, is_champion=True, left_on=date(2024, 3, 1))

    rows = snapshots(END_OF_MARCH, [account])
    assert rows[account.external_id].champion_left_90d == 1


def test_money_columns_are_stored_exactly(db):
    account = AccountFactory()
    contract(account, "2024-01-01", None, "333.33")

    row = snapshots(END_OF_MARCH, [account])[account.external_id]
    assert (row.mrr, row.arr) == (money("333.33"), money("3999.96"))
