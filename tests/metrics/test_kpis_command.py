"""`manage.py kpis --as-of D`: the machine-readable document of kpi-spec section 9, read from the
snapshots stored by `manage.py recompute_snapshots`."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from metrics.registry import PORTFOLIO_KPIS
from tests.factories import AccountFactory
from tests.metrics.conftest import contract

# Every key of sections 3 to 6, as the spec lists them.
PORTFOLIO_KEYS = {
    # section 3
    "mrr",
    "arr",
    "active_customers",
    "arpa",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "net_new_mrr",
    "grr",
    "nrr",
    "nrr_12m",
    "grr_12m",
    "revenue_churn_rate",
    "customers_start",
    "new_customers",
    "churned_customers",
    "logo_churn_rate",
    "crr",
    "renewal_rate",
    "acv",
    "tcv",
    "clv",
    "cac",
    "clv_cac_ratio",
    "crc",
    "trial_conversion_rate",
    "avg_days_to_onboard",
    # section 4
    "tickets_opened",
    "avg_first_response_hours",
    "avg_resolution_hours",
    "fcr_rate",
    "open_tickets",
    # section 5
    "nps",
    "csat",
    "ces",
    "nps_responses",
    "csat_responses",
    "ces_responses",
    # section 6
    "mau",
    "wau",
    "dau",
    "stickiness",
    "avg_session_minutes",
}
PORTFOLIO_MONEY = {
    "mrr",
    "arr",
    "arpa",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "net_new_mrr",
    "acv",
    "tcv",
    "clv",
    "cac",
    "crc",
}
# Every key of section 7.
ACCOUNT_KEYS = {
    "mrr",
    "arr",
    "movement",
    "movement_mrr",
    "seats",
    "active_users_30d",
    "seat_utilization",
    "usage_trend",
    "feature_adoption",
    "time_on_platform_minutes",
    "open_tickets",
    "tickets_90d",
    "avg_first_response_hours_90d",
    "fcr_rate_90d",
    "nps_180d",
    "csat_180d",
    "ces_180d",
    "days_to_renewal",
    "champion_left_90d",
    "health_score",
    "health_band",
}
ACCOUNT_MONEY = {"mrr", "arr", "movement_mrr"}
# Filled by the health scoring of section 8: only their presence is checked here.
HEALTH_KEYS = {"health_score", "health_band"}
TWO_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{2}")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def kpis_json(as_of: str, *options: str) -> str:
    return run("kpis", "--as-of", as_of, "--format", "json", *options)


def parsed(text: str) -> dict:
    """The document with every fractional number kept as its printed text ("3000.00")."""
    return json.loads(text, parse_float=str)


def by_external_id(document: dict) -> dict[str, dict]:
    return {entry["external_id"]: entry for entry in document["accounts"]}


@pytest.fixture
def march_31_document(march_portfolio, settings) -> dict:
    settings.CURRENCY = "EUR"
    run("recompute_snapshots", "--date", "2024-03-31")
    return parsed(kpis_json("2024-03-31"))


def test_the_document_has_the_period_the_currency_and_every_spec_key(march_31_document):
    document = march_31_document

    assert set(document) == {
        "as_of",
        "period_start",
        "period_end",
        "currency",
        "portfolio",
        "accounts",
    }
    assert (document["as_of"], document["period_start"], document["period_end"]) == (
        "2024-03-31",
        "2024-03-01",
        "2024-03-31",
    )
    assert document["currency"] == "EUR"
    assert set(document["portfolio"]) == PORTFOLIO_KEYS
    assert len(document["accounts"]) == 8
    for entry in document["accounts"]:
        assert set(entry) == {"external_id", "health_components", *ACCOUNT_KEYS}
        assert isinstance(entry["health_components"], list)


def test_money_is_printed_as_a_number_with_two_decimals(march_31_document):
    portfolio = march_31_document["portfolio"]

    for key in PORTFOLIO_MONEY:
        assert TWO_DECIMALS.fullmatch(portfolio[key]), (key, portfolio[key])
    for entry in march_31_document["accounts"]:
        for key in ACCOUNT_MONEY:
            if key == "movement_mrr" and entry["movement"] is None:
                continue  # no movement, no amount: null (see below)
            assert TWO_DECIMALS.fullmatch(entry[key]), (entry["external_id"], key, entry[key])


def test_an_account_without_a_movement_has_no_movement_amount(march_31_document):
    without = [e for e in march_31_document["accounts"] if e["movement"] is None]

    assert without  # steady and prospect
    assert all(entry["movement_mrr"] is None for entry in without)


def test_the_portfolio_figures_are_the_hand_computed_ones(march_31_document):
    portfolio = march_31_document["portfolio"]

    # Money, exactly as printed (see test_revenue for the arithmetic).
    assert {key: portfolio[key] for key in PORTFOLIO_MONEY} == {
        "mrr": "3000.00",
        "arr": "36000.00",
        "arpa": "600.00",
        "starting_mrr": "3300.00",
        "new_mrr": "250.00",
        "reactivation_mrr": "350.00",
        "expansion_mrr": "300.00",
        "contraction_mrr": "200.00",
        "churned_mrr": "1000.00",
        "net_new_mrr": "-300.00",
        "acv": "4500.00",
        "tcv": "0.00",
        "clv": "7200.00",
        "cac": "5000.00",
        "crc": "240.00",
    }
    # Other numbers, rounded to 2 decimals when printed; nulls for what is undefined.
    printed = {
        "grr": 63.64,  # 2100 / 3300 = 63.6363...
        "nrr": 72.73,  # 2400 / 3300 = 72.7272...
        "revenue_churn_rate": 36.36,
        "logo_churn_rate": 40,
        "crr": 60,
        "renewal_rate": 50,
        "clv_cac_ratio": 1.44,
        "active_customers": 5,
        "customers_start": 5,
        "new_customers": 2,
        "churned_customers": 2,
        "trial_conversion_rate": None,
        "avg_days_to_onboard": None,
        "tickets_opened": 0,
        "avg_first_response_hours": None,
        "open_tickets": 0,
        "nps": None,
        "nps_responses": 0,
        "mau": 0,
        "dau": 0,
        "stickiness": None,
        "avg_session_minutes": None,
    }
    assert {
        key: None if portfolio[key] is None else float(portfolio[key]) for key in printed
    } == printed


def test_each_account_entry_has_its_hand_computed_keys(march_31_document):
    entries = by_external_id(march_31_document)

    assert {key: entries["churns-mid-march"][key] for key in ACCOUNT_KEYS - HEALTH_KEYS} == {
        "mrr": "0.00",
        "arr": "0.00",
        "movement": "churn",
        "movement_mrr": "600.00",
        "seats": 0,  # its only contract ended on 03-20
        "active_users_30d": 0,
        "seat_utilization": None,
        "usage_trend": None,
        "feature_adoption": None,  # no usage row anywhere: 0 features ever seen
        "time_on_platform_minutes": None,
        "open_tickets": 0,
        "tickets_90d": 0,
        "avg_first_response_hours_90d": None,
        "fcr_rate_90d": None,
        "nps_180d": None,
        "csat_180d": None,
        "ces_180d": None,
        "days_to_renewal": None,
        "champion_left_90d": 0,
    }
    steady = entries["steady"]
    assert (steady["mrr"], steady["arr"], steady["movement"], steady["movement_mrr"]) == (
        "1000.00",
        "12000.00",
        None,
        None,
    )
    assert steady["seats"] == 10
    assert (entries["expands"]["movement"], entries["expands"]["movement_mrr"]) == (
        "expansion",
        "300.00",
    )


def test_money_is_rounded_half_up_to_the_cent_only_when_printed(db):
    account = AccountFactory(external_id="odd-cents")
    # tcv: 100 x 12 x 31 / 365 + 0.01 = 101.917808... + 0.01 = 101.927808... -> 101.93
    contract(account, "2024-03-01", "2024-03-31", 100, one_time_fee="0.01")
    contract(AccountFactory(), "2024-01-01", None, "0.01")
    run("recompute_snapshots", "--date", "2024-03-31")

    portfolio = parsed(kpis_json("2024-03-31"))["portfolio"]

    assert portfolio["tcv"] == "101.93"
    assert portfolio["mrr"] == "100.01"
    assert portfolio["arpa"] == "50.01"  # 100.01 / 2 = 50.005, half up
    assert portfolio["acv"] == "1200.00"  # 12 x 100, the fee excluded


def test_recomputing_the_same_date_again_prints_byte_identical_json(march_portfolio):
    run("recompute_snapshots", "--date", "2024-03-15")
    first = kpis_json("2024-03-15")

    run("recompute_snapshots", "--date", "2024-03-15")

    assert kpis_json("2024-03-15") == first
    document = parsed(first)
    assert len(document["accounts"]) == 8  # replaced, not duplicated
    # Mid-month, the period runs from the first of the month to D.
    assert (document["period_start"], document["period_end"]) == ("2024-03-01", "2024-03-15")


def test_without_a_snapshot_for_the_date_the_command_fails_naming_the_recompute_command(
    march_portfolio,
):
    run("recompute_snapshots", "--date", "2024-03-30")

    with pytest.raises(CommandError, match="recompute_snapshots"):
        kpis_json("2024-03-31")


def test_a_range_recompute_makes_every_date_of_the_range_printable(march_portfolio):
    run("recompute_snapshots", "--from", "2024-03-14", "--to", "2024-03-16")

    for day in ("2024-03-14", "2024-03-15", "2024-03-16"):
        assert parsed(kpis_json(day))["as_of"] == day
    # 03-15: mrr 3600 (see test_revenue).
    assert parsed(kpis_json("2024-03-15"))["portfolio"]["mrr"] == "3600.00"
    with pytest.raises(CommandError, match="recompute_snapshots"):
        kpis_json("2024-03-17")


def test_the_table_format_prints_every_portfolio_kpi_with_its_label(march_portfolio):
    run("recompute_snapshots", "--date", "2024-03-31")

    table = run("kpis", "--as-of", "2024-03-31", "--format", "table")

    for kpi in PORTFOLIO_KPIS:
        assert kpi.label in table, kpi.key
    mrr_line = next(line for line in table.splitlines() if line.strip().startswith("MRR "))
    assert re.search(r"3,?000\.00", mrr_line), mrr_line


def test_a_segment_option_filters_both_the_portfolio_and_the_accounts(march_portfolio):
    run("recompute_snapshots", "--date", "2024-03-31")

    document = parsed(kpis_json("2024-03-31", "--segment", "SMB"))

    assert set(by_external_id(document)) == {"ended-feb", "new", "reactivated", "prospect"}
    # new 250 + reactivated 350; ended-feb's 400 at the start
    assert (document["portfolio"]["mrr"], document["portfolio"]["starting_mrr"]) == (
        "600.00",
        "400.00",
    )
    assert document["portfolio"]["active_customers"] == 2


def test_an_owner_option_filters_both_the_portfolio_and_the_accounts(march_portfolio):
    run("recompute_snapshots", "--date", "2024-03-31")

    document = parsed(kpis_json("2024-03-31", "--owner", "alice@northstar.example"))

    assert set(by_external_id(document)) == {"steady", "shrinks", "new"}
    assert document["portfolio"]["mrr"] == "1850.00"  # 1000 + 600 + 250
    assert document["portfolio"]["net_new_mrr"] == "50.00"  # new 250 - contraction 200


def test_segment_and_owner_options_combine(march_portfolio):
    run("recompute_snapshots", "--date", "2024-03-31")

    document = parsed(
        kpis_json("2024-03-31", "--segment", "Enterprise", "--owner", "alice@northstar.example")
    )

    assert set(by_external_id(document)) == {"steady", "shrinks"}
    assert document["portfolio"]["mrr"] == "1600.00"  # 1000 + 600
