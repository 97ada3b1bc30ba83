"""The database itself refuses rows that break kpi-spec section 2, whoever writes them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError

from tests.factories import (
    AccountFactory,
    ContractFactory,
    CostMonthFactory,
    SurveyResponseFactory,
    TicketFactory,
    UsageDailyFactory,
)

pytestmark = pytest.mark.django_db

OPENED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_the_factories_make_valid_rows():
    ContractFactory()
    TicketFactory()
    UsageDailyFactory()
    SurveyResponseFactory()
    CostMonthFactory()


def test_a_contract_with_negative_mrr_is_refused():
    with pytest.raises(IntegrityError, match="contract_mrr_not_negative"):
        ContractFactory(mrr=Decimal("-0.01"))


def test_a_contract_with_negative_seats_is_refused():
    with pytest.raises(IntegrityError, match="contract_seats_not_negative"):
        ContractFactory(seats=-1)


def test_a_contract_ending_before_it_starts_is_refused():
    with pytest.raises(IntegrityError, match="contract_ends_after_start"):
        ContractFactory(start_date=date(2024, 2, 1), end_date=date(2024, 1, 31))


def test_a_one_day_contract_is_accepted():
    ContractFactory(start_date=date(2024, 2, 1), end_date=date(2024, 2, 1))


@pytest.mark.parametrize(
    ("kind", "score"),
    [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6), ("ces", 0), ("ces", 8), ("xyz", 5)],
)
def test_a_survey_score_outside_its_kinds_range_is_refused(kind, score):
    with pytest.raises(IntegrityError, match="survey_score_in_range"):
        SurveyResponseFactory(kind=kind, score=score)


@pytest.mark.parametrize(
    ("kind", "score"),
    [("nps", 0), ("nps", 10), ("csat", 1), ("csat", 5), ("ces", 1), ("ces", 7)],
)
def test_a_survey_score_at_the_edge_of_its_kinds_range_is_accepted(kind, score):
    SurveyResponseFactory(kind=kind, score=score)


def test_a_ticket_answered_before_it_was_opened_is_refused():
    with pytest.raises(IntegrityError, match="ticket_response_after_open"):
        TicketFactory(opened_at=OPENED, first_response_at=OPENED - timedelta(seconds=1))


def test_a_ticket_resolved_before_it_was_opened_is_refused():
    with pytest.raises(IntegrityError, match="ticket_resolved_after_open"):
        TicketFactory(opened_at=OPENED, resolved_at=OPENED - timedelta(minutes=1))


def test_a_ticket_with_an_unknown_priority_is_refused():
    with pytest.raises(IntegrityError, match="ticket_priority_known"):
        TicketFactory(priority="critical")


def test_a_second_usage_row_for_the_same_account_user_day_and_feature_is_refused():
    first = UsageDailyFactory()

    # The table is partitioned by month (accounts 0008): the partition's copy of
    # usage_daily_unique is the one that reports it, under the partition's own name.
    with pytest.raises(IntegrityError, match=r"Key \(date, account_id, user_id, feature\)"):
        UsageDailyFactory(
            account=first.account, user_id=first.user_id, date=first.date, feature=first.feature
        )


def test_usage_of_another_feature_the_same_day_is_accepted():
    first = UsageDailyFactory()

    UsageDailyFactory(account=first.account, user_id=first.user_id, feature="reports")


def test_usage_with_negative_events_is_refused():
    with pytest.raises(IntegrityError, match="usage_events_not_negative"):
        UsageDailyFactory(events=-1)


def test_a_cost_month_not_on_the_first_day_is_refused():
    with pytest.raises(IntegrityError, match="cost_month_first_day"):
        CostMonthFactory(month=date(2024, 3, 15))


def test_a_negative_spend_is_refused():
    with pytest.raises(IntegrityError, match="cost_sm_spend_not_negative"):
        CostMonthFactory(sales_marketing_spend=Decimal("-1.00"))


def test_two_accounts_with_the_same_external_id_are_refused():
    AccountFactory(external_id="A1")

    with pytest.raises(IntegrityError, match="external_id"):
        AccountFactory(external_id="A1")


def test_every_feature_name_written_to_usage_is_kept_in_the_feature_catalog(
    db, run_import, csv_dir, write_csv
):
    from accounts.models import UsageFeature

    UsageDailyFactory(feature="dashboards")
    write_csv(csv_dir, "accounts.csv", "external_id,name\nA1,Acme\n")
    write_csv(
        csv_dir,
        "usage.csv",
        "account_external_id,user_id,date,feature,events\n"
        "A1,u1,2024-03-01,reports,0\nA1,u1,2024-03-01,exports,2\n",
    )

    run_import(csv_dir)

    # Zero-event rows count too: "ever seen in any usage row".
    assert set(UsageFeature.objects.values_list("name", flat=True)) == {
        "dashboards",
        "reports",
        "exports",
    }
