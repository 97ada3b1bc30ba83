"""Read endpoints for BI tools: the `kpis` document, an account's snapshot history and the KPI
registry, read from snapshots, a page at a time, limited to what the key's user may see."""

import io
import json

import pytest
from django.core.management import call_command

from api.models import Scope
from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Group
from tests.api.conftest import bearer
from tests.metrics.conftest import march_portfolio  # noqa: F401 (a fixture)


def kpis_command(*options: str) -> dict:
    out = io.StringIO()
    call_command("kpis", "--format", "json", *options, stdout=out)
    return json.loads(out.getvalue(), parse_float=str)


def get(client, path: str, api_key: str, **params):
    return client.get(f"/api/v1/{path}", params, headers=bearer(api_key))


def body(response) -> dict:
    """The JSON answer with fractional numbers kept as printed ("3000.00")."""
    assert response.status_code == 200, response.content
    return json.loads(response.content, parse_float=str)


@pytest.fixture
def snapshots(march_portfolio):  # noqa: F811
    for as_of in ("2024-03-15", "2024-03-31"):
        call_command("recompute_snapshots", "--date", as_of, stdout=io.StringIO())
    return march_portfolio


@pytest.fixture
def alices_key(make_key, alice) -> str:
    return make_key(Scope.READ_METRICS, user=alice)


def test_a_leaders_kpis_are_the_kpis_commands_document(client, key, snapshots):
    response = get(client, "kpis", key, as_of="2024-03-31")
    assert body(response) == kpis_command("--as-of", "2024-03-31")
    assert response["X-Total-Count"] == "8"
    assert "Link" not in response


def test_money_is_a_number_with_two_decimals(client, key, snapshots):
    text = get(client, "kpis", key, as_of="2024-03-31").content.decode()
    assert '"mrr":3000.00' in text.replace(" ", "")


def test_without_a_date_the_newest_snapshot_is_read(client, key, snapshots):
    assert body(get(client, "kpis", key))["as_of"] == "2024-03-31"


def test_a_filter_cuts_the_portfolio_as_the_command_does(client, key, snapshots):
    response = get(client, "kpis", key, as_of="2024-03-15", segment="SMB", stage="active")
    assert body(response) == kpis_command(
        "--as-of", "2024-03-15", "--segment", "SMB", "--stage", "active"
    )


def test_a_csms_key_reads_her_own_accounts_only(client, alices_key, snapshots, alice):
    document = body(get(client, "kpis", alices_key, as_of="2024-03-31"))
    assert document == kpis_command("--as-of", "2024-03-31", "--owner", alice.email)
    assert {entry["external_id"] for entry in document["accounts"]} == {
        "steady",
        "shrinks",
        "new",
    }


def test_a_csm_asking_for_another_owners_accounts_gets_none(client, alices_key, snapshots, bob):
    document = body(get(client, "kpis", alices_key, as_of="2024-03-31", owner=bob.email))
    assert document["accounts"] == []
    assert document["portfolio"]["mrr"] == "0.00"


def test_the_accounts_come_a_page_at_a_time_with_a_link_to_the_next(client, key, snapshots):
    first = get(client, "kpis", key, as_of="2024-03-31", limit=3)
    assert [entry["external_id"] for entry in body(first)["accounts"]] == [
        "churns-mid-march",
        "ended-feb",
        "expands",
    ]
    assert first["X-Total-Count"] == "8"
    assert first["Link"] == ('</api/v1/kpis?as_of=2024-03-31&limit=3&offset=3>; rel="next"')
    last = get(client, "kpis", key, as_of="2024-03-31", limit=3, offset=6)
    assert [entry["external_id"] for entry in body(last)["accounts"]] == ["shrinks", "steady"]
    assert "Link" not in last
    # Every page carries the whole portfolio's figures.
    assert body(first)["portfolio"] == body(last)["portfolio"]


def test_a_date_without_snapshot_says_how_to_compute_it(client, key, snapshots):
    response = get(client, "kpis", key, as_of="2024-02-10")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No snapshot for 2024-02-10. Compute it with: python manage.py recompute_snapshots "
        "--date 2024-02-10"
    )


def test_no_snapshot_at_all_says_how_to_compute_one(client, key):
    response = get(client, "kpis", key)
    assert response.status_code == 404
    assert "recompute_snapshots" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2024-02-30"}, "as_of"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"stage": "happy"}, "stage"),
    ],
)
def test_a_bad_parameter_gets_422_naming_it(client, key, snapshots, params, field):
    response = get(client, "kpis", key, **params)
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["problems"]] == [field]


def test_the_kpis_read_takes_a_fixed_number_of_queries(
    client, key, snapshots, django_assert_max_num_queries
):
    # The key, its last use, the user's permissions (2), the snapshot run, the account count,
    # the portfolio aggregate, the month's costs, the page of rows.
    with django_assert_max_num_queries(9):
        get(client, "kpis", key, as_of="2024-03-31")


# -- An account's history ----------------------------------------------------------------------


def test_an_accounts_history_lists_its_snapshots_oldest_first(client, key, snapshots):
    document = body(get(client, "accounts/expands/snapshots", key))
    assert (document["external_id"], document["count"]) == ("expands", 2)
    assert [(item["as_of"], item["mrr"]) for item in document["items"]] == [
        ("2024-03-15", "800.00"),
        ("2024-03-31", "800.00"),
    ]
    march_31 = next(e for e in kpis_command("--as-of", "2024-03-31")["accounts"]
                    if e["external_id"] == "expands")  # fmt: skip
    assert document["items"][1] == {"as_of": "2024-03-31", **march_31}


def test_an_account_without_a_movement_reads_null_for_its_amount(client, key, snapshots):
    document = body(get(client, "accounts/steady/snapshots", key))
    assert [(item["movement"], item["movement_mrr"]) for item in document["items"]] == [
        (None, None),
        (None, None),
    ]


def test_the_history_can_be_cut_by_dates_and_paged(client, key, snapshots):
    cut = body(get(client, "accounts/expands/snapshots", key, **{"from": "2024-03-20"}))
    assert [item["as_of"] for item in cut["items"]] == ["2024-03-31"]
    upto = body(get(client, "accounts/expands/snapshots", key, to="2024-03-20"))
    assert [item["as_of"] for item in upto["items"]] == ["2024-03-15"]
    page = get(client, "accounts/expands/snapshots", key, limit=1)
    assert [item["as_of"] for item in body(page)["items"]] == ["2024-03-15"]
    assert page["Link"].endswith('offset=1>; rel="next"')


def test_another_owners_account_is_not_found_like_a_missing_one(client, alices_key, snapshots):
    hidden = get(client, "accounts/expands/snapshots", alices_key)
    missing = get(client, "accounts/nobody/snapshots", alices_key)
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json() == {"detail": "No account 'expands'."}
    assert body(get(client, "accounts/steady/snapshots", alices_key))["count"] == 2


def test_the_history_takes_a_fixed_number_of_queries(
    client, key, snapshots, django_assert_max_num_queries
):
    # The key, its last use, the user's permissions (2), the account, the count, the page.
    with django_assert_max_num_queries(7):
        get(client, "accounts/expands/snapshots", key)


# -- The registry ------------------------------------------------------------------------------


def test_the_definitions_are_the_registrys(client, key):
    document = body(get(client, "kpi-definitions", key, limit=1000))
    assert document["count"] == len(PORTFOLIO_KPIS) + len(ACCOUNT_KPIS)
    mrr = document["items"][0]
    assert mrr == {
        "key": "mrr",
        "scope": "portfolio",
        "label": "MRR",
        "unit": "money",
        "group": "Revenue",
        "definition": PORTFOLIO_KPIS[0].definition,
        "higher_is_better": True,
    }


def test_the_definitions_filter_by_scope_group_and_key(client, key):
    account = body(get(client, "kpi-definitions", key, scope="account", limit=1000))
    assert [item["key"] for item in account["items"]] == [kpi.key for kpi in ACCOUNT_KPIS]
    support = body(get(client, "kpi-definitions", key, group="Support", scope="portfolio"))
    assert {item["key"] for item in support["items"]} == {
        kpi.key for kpi in PORTFOLIO_KPIS if kpi.group == Group.SUPPORT
    }
    one = body(get(client, "kpi-definitions", key, key="nrr"))
    assert [item["key"] for item in one["items"]] == ["nrr"]


def test_the_definitions_come_a_page_at_a_time(client, key):
    page = body(get(client, "kpi-definitions", key, limit=5, offset=5))
    assert [item["key"] for item in page["items"]] == [kpi.key for kpi in PORTFOLIO_KPIS[5:10]]
    assert page["count"] == len(PORTFOLIO_KPIS) + len(ACCOUNT_KPIS)
