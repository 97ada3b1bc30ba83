"""POST /api/v1/events: raw usage events rolled into the daily usage rows (kpi-spec section 2),
counted once per Idempotency-Key, even when the retry races the first request."""

import io
import json
import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import UsageDaily, UsageFeature
from api.benchmark import events_rate
from api.models import EventSession, IdempotencyKey
from api.services import (
    api_key_create,
    event_sessions_prune,
    idempotency_keys_prune,
    usage_events_record,
)
from tests.api.conftest import bearer, post_items, problems
from tests.factories import AccountFactory, UsageDailyFactory


def event(**fields) -> dict:
    return {"account_external_id": "A1", "user_id": "u1", "feature": "reports",
            "occurred_at": "2024-03-01T10:00:00Z", **fields}  # fmt: skip


def usage_rows() -> list[tuple]:
    return list(
        UsageDaily.objects.order_by("date", "user_id", "feature").values_list(
            "account__external_id", "user_id", "date", "feature", "events", "minutes", "sessions"
        )
    )


@pytest.fixture
def a1(db):
    return AccountFactory(external_id="A1")


def test_events_of_one_user_day_and_feature_roll_into_one_row(client, key, a1):
    events = [
        event(count=3, minutes=1.5, session_id="s1"),
        event(minutes=2, session_id="s1"),
        event(occurred_at="2024-03-01T23:59:59Z", session_id="s2"),
        event(feature="alerts"),
        event(user_id="u2", occurred_at="2024-03-02T00:00:00Z"),
    ]
    response = post_items(client, "events", events, key)
    assert response.json() == {"received": 5, "usage_rows": 3}
    assert usage_rows() == [
        ("A1", "u1", date(2024, 3, 1), "alerts", 1, None, None),
        ("A1", "u1", date(2024, 3, 1), "reports", 5, 3.5, 2),
        ("A1", "u2", date(2024, 3, 2), "reports", 1, None, None),
    ]


def test_later_events_add_to_the_row_and_count_a_session_once(client, key, a1):
    post_items(client, "events", [event(count=2, minutes=1, session_id="s1")], key)
    post_items(client, "events", [event(count=1, minutes=4, session_id="s1"),
                                  event(session_id="s2")], key)  # fmt: skip
    assert usage_rows() == [("A1", "u1", date(2024, 3, 1), "reports", 4, 5.0, 2)]


def test_events_add_to_a_row_the_import_wrote(client, key, a1):
    UsageDailyFactory(account=a1, user_id="u1", date=date(2024, 3, 1), feature="reports",
                      events=10, minutes=15.0, sessions=1)  # fmt: skip
    post_items(client, "events", [event(minutes=5, session_id="new")], key)
    assert usage_rows() == [("A1", "u1", date(2024, 3, 1), "reports", 11, 20.0, 2)]


def test_an_events_day_is_its_local_date_in_the_workspace_time_zone(client, key, a1, settings):
    settings.TIME_ZONE = "America/New_York"
    from core.workspace import workspace_zone

    workspace_zone.cache_clear()
    try:
        # 03:30 UTC on March 2nd is 22:30 on March 1st in New York (UTC-5).
        post_items(client, "events", [event(occurred_at="2024-03-02T03:30:00Z"),
                                      event(occurred_at="2024-03-01T23:00:00")], key)  # fmt: skip
    finally:
        workspace_zone.cache_clear()
    assert [row[2:5] for row in usage_rows()] == [(date(2024, 3, 1), "reports", 2)]


def test_a_new_feature_joins_the_feature_catalog(client, key, a1):
    post_items(client, "events", [event(feature="brand-new")], key)
    assert UsageFeature.objects.filter(name="brand-new").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"count": -1}, "count", "must be >= 0, got -1"),
        ({"count": 2**31}, "count", "2147483648 is too large (at most 2147483647)"),
        ({"minutes": -0.5}, "minutes", "must be >= 0, got -0.5"),
        ({"occurred_at": "2024-03-01 25:00"}, "occurred_at",
         "'2024-03-01 25:00' is not a valid timestamp"),
        ({"occurred_at": None}, "occurred_at", "is required"),
        ({"user_id": ""}, "user_id", "is required"),
        ({"feature": "f" * 101}, "feature", "longer than 100 characters (101)"),
        ({"account_external_id": "ghost"}, "account_external_id", "unknown account 'ghost'"),
        ({"session_id": "s" * 129}, "session_id", "longer than 128 characters (129)"),
        ({"date": "2024-03-01"}, "date", "unknown field (expected: account_external_id, "
         "user_id, feature, occurred_at, count, minutes, session_id)"),
    ],
)  # fmt: skip
def test_an_invalid_event_refuses_the_whole_request(client, key, a1, fields, field, message):
    response = post_items(client, "events", [event(), event(**fields)], key)
    assert problems(response) == [(1, field, message)]
    assert not UsageDaily.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"feature": "f" * 101}, "feature"), ({"user_id": None}, "user_id"),
     ({"minutes": "a while"}, "minutes")],
)  # fmt: skip
def test_an_events_shared_fields_get_the_usage_imports_messages(
    client, key, a1, csv_dir, write_csv, run_import, fields, field
):
    response = post_items(client, "events", [event(**fields)], key)
    ((_item, _field, message),) = problems(response)
    row = {"account_external_id": "A1", "user_id": "u1", "date": "2024-03-01",
           "feature": "reports", "events": "1", "minutes": "", **fields}  # fmt: skip
    text = ",".join(row) + "\n" + ",".join("" if v is None else str(v) for v in row.values())
    write_csv(csv_dir, "usage.csv", text + "\n")
    assert run_import(csv_dir).problems == [f"usage.csv:2: {field}: {message}"]


# -- Idempotency ------------------------------------------------------------------------------


def post_events(client, events, key, idempotency_key=None):
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return post_items(client, "events", events, key, headers=headers)


def test_a_retried_request_with_its_idempotency_key_counts_once(client, key, a1):
    events = [event(count=5, session_id="s1")]
    first = post_events(client, events, key, "batch-0001")
    retry = post_events(client, events, key, "batch-0001")
    assert first.json() == retry.json() == {"received": 1, "usage_rows": 1}
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert usage_rows()[0][4] == 5


def test_without_an_idempotency_key_a_resent_request_counts_again(client, key, a1):
    post_events(client, [event()], key)
    post_events(client, [event()], key)
    assert usage_rows()[0][4] == 2


def test_different_idempotency_keys_count_separately(client, key, a1):
    post_events(client, [event()], key, "one")
    post_events(client, [event()], key, "two")
    assert usage_rows()[0][4] == 2


def test_an_idempotency_key_belongs_to_its_api_key(client, make_key, a1):
    post_events(client, [event()], make_key(), "same")
    post_events(client, [event()], make_key(), "same")
    assert usage_rows()[0][4] == 2


def test_an_idempotency_key_reused_with_another_body_is_refused(client, key, a1):
    post_events(client, [event()], key, "batch-7")
    response = post_events(client, [event(count=9)], key, "batch-7")
    assert problems(response) == [(None, "Idempotency-Key", "already used with another body")]
    assert usage_rows()[0][4] == 1


def test_a_refused_request_does_not_use_up_its_idempotency_key(client, key, a1):
    assert post_events(client, [event(count=-1)], key, "k").status_code == 422
    assert post_events(client, [event(count=1)], key, "k").status_code == 200
    assert usage_rows()[0][4] == 1


@pytest.mark.parametrize("value", ["x" * 256, "with space", "naïve"])
def test_an_idempotency_key_must_be_printable_ascii_up_to_255(client, key, a1, value):
    response = client.post(
        "/api/v1/events", data=json.dumps({"items": [event()]}),
        content_type="application/json",
        headers={**bearer(key), "Idempotency-Key": value},
    )  # fmt: skip
    assert problems(response)[0][1] == "Idempotency-Key"
    assert not UsageDaily.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_retry_racing_the_first_request_in_another_process_counts_once(leader):
    """Two connections (two gunicorn workers) send the same key at the same moment: one counts
    the events; the other waits for it on the key's unique index, then answers with its
    result."""
    AccountFactory(external_id="A1")
    api_key, _text = api_key_create(name="race", user=leader, scopes=["write:usage"])
    events = [event(count=1, session_id=f"s{n}") for n in range(200)]
    barrier, results, errors = threading.Barrier(2), [], []

    def send():
        try:
            barrier.wait()
            results.append(usage_events_record(
                api_key=api_key, items=events, idempotency_key="race", request_sha256="same"
            ))  # fmt: skip
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result.replayed for result in results) == [False, True]
    assert results[0].response == results[1].response
    assert usage_rows() == [("A1", "u1", date(2024, 3, 1), "reports", 200, None, 200)]
    assert IdempotencyKey.objects.count() == 1


def test_old_idempotency_keys_are_pruned(client, key, a1):
    from datetime import timedelta

    from django.utils import timezone

    post_events(client, [event()], key, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=8))
    post_events(client, [event()], key, "new")
    assert idempotency_keys_prune() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_a_thousand_events_take_a_fixed_number_of_statements(
    client, key, a1, django_assert_max_num_queries
):
    events = [event(user_id=f"u{n % 50}", session_id=f"s{n % 7}") for n in range(1000)]
    # 13: the key's user's permissions are read on every request (issue 13), 2 statements.
    with django_assert_max_num_queries(13):
        response = post_events(client, events, key, "big")
    assert response.json() == {"received": 1000, "usage_rows": 50}
    assert sum(row[4] for row in usage_rows()) == 1000


def test_session_ids_of_old_days_are_pruned(client, key, a1):
    post_items(client, "events", [event(occurred_at="2024-03-01T10:00:00Z", session_id="s1"),
                                  event(occurred_at="2024-03-20T10:00:00Z", session_id="s2")],
               key)  # fmt: skip
    assert event_sessions_prune(today=date(2024, 3, 22)) == 1
    assert list(EventSession.objects.values_list("date", flat=True)) == [date(2024, 3, 20)]


def test_the_prune_command_says_what_it_deleted(db):
    out = io.StringIO()
    call_command("api_prune", stdout=out)
    assert out.getvalue() == (
        "Deleted 0 Idempotency-Keys older than 7 days and 0 event session ids of days before "
        "the last 14.\n"
    )


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_posts_through_gunicorn_and_loses_or_doubles_nothing():
    """`make bench-api` in miniature: a real server, a real client, the usage table checked."""
    figures = events_rate(seconds=1, warmup=0.2, workers=1, connections=1, batch=50, accounts=3)
    assert figures["events"] > 0
    assert figures["statuses"].keys() <= {"200", "warm-up"}
    assert figures["nothing_lost_or_doubled"]
