"""The write endpoints under hostile bodies: a few bytes of JSON never become gigabytes.

`1e999999999` is 11 bytes of JSON and a billion digits once written out; a 2 MB string echoed
into every problem of a thousand items is 2 GB of answer. Whatever the body, the answer is a 2xx,
400, 413 or 422 (never a 5xx), quotes at most 80 characters of any value, and one request grows
the process's memory by less than 100 MB (measured with tracemalloc).
"""

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.importer.records import ACCOUNTS, CONTACTS, CONTRACTS, EVENTS, SURVEYS, TICKETS
from accounts.models import Account
from tests.api.conftest import bearer, post_items, problems

pytestmark = pytest.mark.django_db

MEMORY_LIMIT = 100 * 2**20
ENDPOINTS = {
    "accounts": ACCOUNTS,
    "contacts": CONTACTS,
    "contracts": CONTRACTS,
    "tickets": TICKETS,
    "survey-responses": SURVEYS,
    "events": EVENTS,
}
# Each kind's required fields, valid, so the hostile field is the one judged.
BASE = {
    "accounts": {"external_id": "X1", "name": "X"},
    "contacts": {"external_id": "C1", "account_external_id": "A1"},
    "contracts": {"external_id": "K1", "account_external_id": "A1", "start_date": "2024-01-01",
                  "mrr": 100},
    "tickets": {"external_id": "T1", "account_external_id": "A1",
                "opened_at": "2024-03-01T09:00:00Z"},
    "survey-responses": {"external_id": "S1", "account_external_id": "A1", "kind": "nps",
                         "score": 9, "responded_at": "2024-03-01T12:00:00Z"},
    "events": {"account_external_id": "A1", "user_id": "u1", "feature": "f",
               "occurred_at": "2024-03-01T09:00:00Z"},
}  # fmt: skip


def number_text(mantissa: str, exponent: int) -> str:
    return f"{mantissa}e{exponent}"


# JSON numbers as text (json.dumps cannot write 1e999999999): exponents far past any column,
# 4,000-digit integers (json's own limit is 4,300), tiny and huge fractions.
extreme_number = st.one_of(
    st.builds(
        number_text,
        st.sampled_from(["1", "-1", "0", "9.99", "123456789"]),
        st.integers(-(10**9), 10**9),
    ),
    st.builds(lambda n: "9" * n, st.integers(20, 4_000)),
    st.builds(lambda n: "0." + "0" * n + "1", st.integers(20, 100_000)),
)
huge_string = st.builds(
    lambda char, length: json.dumps(char * length),
    st.sampled_from(["a", "9", "é", "\u0000", '"', "2024-01-01"]),
    st.sampled_from([81, 10_000, 200_000, 2_000_000]),
)
deep_nesting = st.builds(
    lambda opener, depth: opener * depth + {"[": "]", "{": "}"}[opener] * depth,
    st.sampled_from(["["]),
    st.integers(100, 200_000),
)
hostile_value = st.one_of(extreme_number, huge_string, deep_nesting)


@st.composite
def hostile_body(draw) -> tuple[str, bytes]:
    """An endpoint and a body whose items carry a hostile value in one of the kind's fields (or
    under a field name of that value), 1 to 300 items of them."""
    endpoint = draw(st.sampled_from(sorted(ENDPOINTS)))
    field = draw(st.sampled_from([*ENDPOINTS[endpoint].column_names, "(name)"]))
    value = draw(hostile_value)
    base = json.dumps(BASE[endpoint])[:-1]
    if field == "(name)":  # the value as a field name: an unknown field, echoed by name
        name = value if value.startswith('"') else json.dumps(value)
        item = f"{base}, {name}: 1}}"
    else:
        item = f'{base}, "{field}": {value}}}'
    count = draw(st.sampled_from([1, 2, 300])) if len(item) < 5_000 else 1
    return endpoint, ('{"items": [' + ", ".join([item] * count) + "]}").encode()


def post_raw(client, endpoint: str, body: bytes, key: str):
    return client.post(
        f"/api/v1/{endpoint}", data=body, content_type="application/json", headers=bearer(key)
    )


def measured_post(client, endpoint: str, body: bytes, key: str):
    """The response and how far the traced memory rose above where it started while it ran."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        response = post_raw(client, endpoint, body, key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, peak - start


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(case=hostile_body())
@example(case=("accounts", b'{"items": [{"external_id": "X", "name": "X", '
                  b'"created_on": 1e999999999}]}'))  # fmt: skip
@example(case=("contracts", b'{"items": [{"external_id": "K", "account_external_id": "A1", '
                  b'"start_date": "2024-01-01", "mrr": 1e-999999999}]}'))  # fmt: skip
@example(case=("events", b'{"items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"))
def test_no_body_costs_more_than_100_mb_or_ends_in_a_server_error(client, key, case):
    endpoint, body = case
    Account.objects.get_or_create(external_id="A1", defaults={"name": "Acme"})

    response, grown = measured_post(client, endpoint, body, key)

    assert response.status_code in {200, 400, 413, 422}, response.content[:500]
    assert grown < MEMORY_LIMIT, f"{grown / 2**20:.0f} MB for {endpoint}, {len(body):,} bytes"
    if response.status_code == 422:
        for problem in response.json()["problems"]:
            assert len(problem["field"]) <= 80 and len(problem["message"]) <= 300, problem


def test_a_number_past_any_columns_range_is_refused_without_being_written_out(client, key):
    response = post_raw(client, "accounts", b'{"items": [{"external_id": "X", "name": "X", '
                        b'"created_on": 1e999999999}]}', key)  # fmt: skip

    assert problems(response) == [
        (0, "created_on", "1E+999999999 is out of range: no field takes a number of 1e30 or more, "
         "or one closer to zero than 1e-30"),
    ]  # fmt: skip
    assert len(response.content) < 1_000


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    [
        ("contracts", "mrr", 10**31),  # 32 digits: past every column
        ("contracts", "seats", "1e-31"),
        ("events", "minutes", "-1e40"),
        ("survey-responses", "score", "0e999999999"),
    ],
)
def test_every_kind_refuses_numbers_out_of_range_in_any_field(client, key, endpoint, field, value):
    item = json.dumps(BASE[endpoint])[:-1] + f', "{field}": {value}}}'

    body = f'{{"items": [{item}]}}'.encode()

    ((index, name, message),) = problems(post_raw(client, endpoint, body, key))

    assert (index, name) == (0, field)
    assert "is out of range" in message


def test_a_value_quoted_in_a_message_is_cut_to_80_characters(client, key):
    long_date = "2024-01-01" + "x" * 100_000

    item = {"external_id": "X", "name": "X", "created_on": long_date}

    ((_item, _field, message),) = problems(post_items(client, "accounts", [item], key))

    quoted = message.removesuffix(" is not a date (YYYY-MM-DD)")
    assert len(quoted) == 80 and quoted.startswith("'2024-01-01xxx") and quoted.endswith("\u2026")


def test_an_unknown_field_is_named_by_its_first_80_characters(client, key):
    ((_item, field, message),) = problems(
        post_items(client, "accounts", [{"external_id": "X", "name": "X", "y" * 5_000: 1}], key)
    )

    assert field == "y" * 79 + "\u2026"
    assert message.startswith("unknown field")


def test_an_import_quotes_at_most_80_characters_of_a_cell(run_import, csv_dir, write_csv):
    write_csv(csv_dir, "accounts.csv", "external_id,name,created_on\nA1,Acme," + "9" * 50_000)

    result = run_import(csv_dir)

    (line,) = result.problems
    assert line.startswith("accounts.csv:2: created_on: '999")
    assert len(line) < 150
