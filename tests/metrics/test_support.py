"""Support KPIs of the portfolio (kpi-spec section 4), dated by the local date of each timestamp
in the workspace time zone."""

from datetime import date

import pytest

from accounts.models import Account
from metrics.selectors import AccountFilter
from tests.factories import AccountFactory, TicketFactory
from tests.metrics.conftest import END_OF_MARCH, MID_MARCH, assert_kpis, at, kpis


def ticket(account, opened, responded=None, resolved=None, first_contact=None):
    return TicketFactory(
        account=account,
        opened_at=at(opened),
        first_response_at=at(responded) if responded else None,
        resolved_at=at(resolved) if resolved else None,
        resolved_on_first_contact=first_contact,
    )


@pytest.fixture
def tickets(db) -> dict[str, Account]:
    """Tickets of two accounts around March 2024 (UTC workspace)."""
    acme = AccountFactory(external_id="acme", segment="Enterprise")
    globex = AccountFactory(external_id="globex", segment="SMB")
    # Opened in February, answered after 120 h and resolved after 144 h in March.
    ticket(acme, "2024-02-25 10:00", "2024-03-01 10:00", "2024-03-02 10:00", first_contact=True)
    # 2 h to answer, 4 h to resolve; an empty first-contact flag counts as false.
    ticket(acme, "2024-03-05 08:00", "2024-03-05 10:00", "2024-03-05 12:00", first_contact=None)
    # 4 h to answer, resolved after 240 h on 03-20.
    ticket(globex, "2024-03-10 09:00", "2024-03-10 13:00", "2024-03-20 09:00", first_contact=False)
    # Opened 03-14, never answered.
    ticket(globex, "2024-03-14 09:00")
    # Opened 03-20: 24 h to answer, 48 h to resolve.
    ticket(acme, "2024-03-20 09:00", "2024-03-21 09:00", "2024-03-22 09:00", first_contact=True)
    # Opened and resolved in January: nothing in March.
    ticket(acme, "2024-01-10 09:00", "2024-01-10 10:00", "2024-01-11 09:00", first_contact=True)
    # Opened in December, still open.
    ticket(globex, "2023-12-01 09:00")
    # Opened in the last half hour of March.
    ticket(acme, "2024-03-31 23:30")
    # Opened after the end of March: in no March figure.
    ticket(acme, "2024-04-01 00:30", "2024-04-01 01:00", "2024-04-01 02:00", first_contact=True)
    return {"acme": acme, "globex": globex}


def test_every_support_kpi_in_the_middle_of_the_month(tickets):
    assert_kpis(
        kpis(MID_MARCH),
        {
            "tickets_opened": 3,  # 03-05, 03-10, 03-14
            "avg_first_response_hours": 42,  # first responses 03-01..03-15: (120 + 2 + 4) / 3
            "avg_resolution_hours": 74,  # resolved 03-01..03-15: (144 + 4) / 2
            "fcr_rate": 50,  # true, empty -> 1 / 2
            # Opened by 03-15 and not resolved by then: 03-10 (resolved 03-20), 03-14, December's.
            "open_tickets": 3,
        },
    )


def test_every_support_kpi_at_month_end(tickets):
    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "tickets_opened": 5,  # 03-05, 03-10, 03-14, 03-20, 03-31 23:30
            "avg_first_response_hours": 37.5,  # (120 + 2 + 4 + 24) / 4
            "avg_resolution_hours": 109,  # (144 + 4 + 240 + 48) / 4
            "fcr_rate": 50,  # true, empty, false, true -> 2 / 4
            "open_tickets": 3,  # 03-14, December's, 03-31 23:30
        },
    )


def test_support_kpis_over_no_tickets_are_zero_counts_and_null_means(db):
    AccountFactory()

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "tickets_opened": 0,
            "avg_first_response_hours": None,
            "avg_resolution_hours": None,
            "fcr_rate": None,
            "open_tickets": 0,
        },
    )


def test_a_ticket_resolved_on_the_as_of_date_is_no_longer_open(db):
    account = AccountFactory()
    ticket(account, "2024-03-10 09:00", resolved="2024-03-15 23:59")
    ticket(account, "2024-03-10 09:00", resolved="2024-03-16 00:00")

    # The second is resolved on 03-16, after D: still open on 03-15.
    assert_kpis(kpis(MID_MARCH), {"open_tickets": 1, "avg_resolution_hours": 134.98333333333})


def test_a_segment_filter_gives_the_support_kpis_of_its_accounts_only(tickets):
    smb = AccountFilter(segment="SMB").apply(Account.objects.all())

    # globex: opened 03-10 (4 h, 240 h, false), 03-14 (open), December's (open).
    assert_kpis(
        kpis(END_OF_MARCH, smb),
        {
            "tickets_opened": 2,
            "avg_first_response_hours": 4,
            "avg_resolution_hours": 240,
            "fcr_rate": 0,  # 0 / 1: a value, not null
            "open_tickets": 2,
        },
    )


# 2024-03-31T23:30-04:00 is 2024-04-01 03:30 UTC: March 31st in New York, April 1st in UTC.
# 2024-03-01T02:00+00:00 is 2024-02-29 21:00 in New York (EST): February there, March in UTC.
@pytest.mark.parametrize(
    ("zone", "opened", "opened_in_march"),
    [
        ("UTC", "2024-03-31T23:30:00-04:00", 0),
        ("America/New_York", "2024-03-31T23:30:00-04:00", 1),
        ("UTC", "2024-03-01T02:00:00+00:00", 1),
        ("America/New_York", "2024-03-01T02:00:00+00:00", 0),
    ],
)
def test_a_ticket_opened_near_midnight_counts_on_its_local_date(
    workspace_in, db, zone, opened, opened_in_march
):
    workspace_in(zone)
    ticket(AccountFactory(), opened)

    assert_kpis(kpis(END_OF_MARCH), {"tickets_opened": opened_in_march})


def test_a_ticket_opened_late_on_the_last_local_day_is_open_on_it_in_new_york(workspace_in, db):
    workspace_in("America/New_York")
    ticket(AccountFactory(), "2024-03-31T23:30:00-04:00")

    assert_kpis(kpis(END_OF_MARCH), {"tickets_opened": 1, "open_tickets": 1})
    # In April it is still open but was not opened in April.
    assert_kpis(kpis(date(2024, 4, 1)), {"tickets_opened": 0, "open_tickets": 1})


def test_a_ticket_opened_late_on_the_last_local_day_is_not_yet_opened_in_utc(workspace_in, db):
    workspace_in("UTC")
    ticket(AccountFactory(), "2024-03-31T23:30:00-04:00")

    assert_kpis(kpis(END_OF_MARCH), {"tickets_opened": 0, "open_tickets": 0})
    assert_kpis(kpis(date(2024, 4, 1)), {"tickets_opened": 1, "open_tickets": 1})


@pytest.mark.parametrize(("zone", "resolved_in_march"), [("UTC", 0), ("America/New_York", 1)])
def test_a_resolution_near_midnight_counts_on_its_local_date(
    workspace_in, db, zone, resolved_in_march
):
    workspace_in(zone)
    # Resolved 2024-03-31 23:30 in New York = 2024-04-01 03:30 UTC; 10.5 h after opening.
    ticket(
        AccountFactory(),
        "2024-03-31T13:00:00-04:00",
        responded="2024-03-31T23:30:00-04:00",
        resolved="2024-03-31T23:30:00-04:00",
        first_contact=True,
    )

    assert_kpis(
        kpis(END_OF_MARCH),
        {
            "open_tickets": 1 - resolved_in_march,
            "avg_resolution_hours": 10.5 if resolved_in_march else None,
            "avg_first_response_hours": 10.5 if resolved_in_march else None,
            "fcr_rate": 100 if resolved_in_march else None,
        },
    )


def test_response_hours_are_elapsed_hours_across_a_daylight_saving_change(workspace_in, db):
    workspace_in("America/New_York")
    # Clocks jump from 02:00 to 03:00 on 2024-03-10: noon to noon is 23 hours.
    ticket(
        AccountFactory(),
        "2024-03-09T12:00:00-05:00",
        responded="2024-03-10T12:00:00-04:00",
        resolved="2024-03-11T12:00:00-04:00",
    )

    assert_kpis(kpis(MID_MARCH), {"avg_first_response_hours": 23, "avg_resolution_hours": 47})
