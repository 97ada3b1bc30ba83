"""The admins' audit page: filters by actor, object type, action and dates, a page at a time by
keyset with a fixed number of queries, its CSV export (itself an entry), and the read API."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from api.models import Scope
from api.services import api_key_create
from audit import services
from audit.context import Actor, acting_as
from audit.models import ActorKind, AuditEntry
from tests.api.conftest import bearer
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(alice):
    """Entries by alice on accounts, by a playbook on an account, and old ones by the system."""
    acme, globex = AccountFactory(name="Acme"), AccountFactory(name="Globex")
    alice_actor = Actor.user(alice, "10.0.0.7")
    with acting_as(alice_actor):
        services.record("account.update", obj=acme, changes={"segment": ["SMB", "Enterprise"]})
        services.record("note.create", obj=acme)
    with acting_as(Actor(ActorKind.PLAYBOOK, 3, "Renewals")):
        services.record("account.update", obj=globex, changes={"lifecycle_stage": ["a", "b"]})
    with connection.cursor() as cursor:  # a month ago (inserted so; never updated)
        cursor.execute(
            "INSERT INTO audit_auditentry (at, actor_kind, actor_label, action, object_id, "
            "object_label, changes, details) VALUES (now() - interval '30 days', 'system', "
            "'system', 'snapshot.recompute', '', 'Snapshots of old', '{}', '{}')"
        )
    return {"acme": acme, "globex": globex}


def page(client, **params):
    response = client.get(reverse("audit_log"), params)
    return response, [e.action + ":" + e.object_label for e in response.context["entries"]]


def test_the_page_lists_every_entry_newest_first_with_actor_address_and_changes(
    client, admin_user, log
):
    client.force_login(admin_user)
    response, shown = page(client)
    assert shown[:4] == [
        "user.sign_in:admin", "account.update:Globex", "note.create:Acme", "account.update:Acme",
    ]  # fmt: skip
    assert shown[-1] == "snapshot.recompute:Snapshots of old"
    body = response.content.decode()
    assert "10.0.0.7" in body and "Enterprise" in body and "Renewals" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "ali"}, ["note.create:Acme", "account.update:Acme"]),
        ({"actor_kind": "playbook"}, ["account.update:Globex"]),
        (
            {"object_type": "accounts.account", "actor_kind": "user"},
            ["note.create:Acme", "account.update:Acme"],
        ),
        ({"action": "note"}, ["note.create:Acme"]),
        ({"action": "account.update"}, ["account.update:Globex", "account.update:Acme"]),
    ],
)
def test_each_filter_narrows_the_list(client, admin_user, log, params, expected):
    client.force_login(admin_user)
    assert page(client, **params)[1] == expected


def test_the_date_range_is_in_workspace_days(client, admin_user, log):
    client.force_login(admin_user)
    today = timezone.localdate()
    month_ago = (today - timedelta(days=30)).isoformat()
    assert page(client, date_from=month_ago, date_to=month_ago)[1] == [
        "snapshot.recompute:Snapshots of old"
    ]
    assert "snapshot.recompute:Snapshots of old" not in page(client, date_from=today)[1]


def test_a_bad_filter_is_a_field_error_and_nothing_else(client, admin_user, log):
    client.force_login(admin_user)
    response = client.get(reverse("audit_log"), {"date_from": "2026-05-02", "date_to": "2026-05-01",
                                                 "cursor": "garbage"})  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end date is before the start date." in body
    assert "This page link is not valid" in body


def test_pages_follow_by_keyset_with_the_same_queries_whatever_the_depth(
    client, admin_user, django_assert_max_num_queries
):
    accounts = [AccountFactory(name=f"Account {n:03}") for n in range(120)]
    for account in accounts:
        services.record("account.update", obj=account)
    client.force_login(admin_user)
    seen, params = [], {"action": "account.update"}
    for _ in range(3):
        # session, user, the freshness line's run, import log and connectors, the filter's
        # content types, the page's entries: the same on the third page as on the first
        with django_assert_max_num_queries(7):
            response = client.get(reverse("audit_log"), params)
        seen += [e.object_label for e in response.context["entries"]]
        if not response.context["next_url"]:
            break
        params = dict(p.split("=", 1) for p in response.context["next_url"][1:].split("&"))
        params = {k: v.replace("%3A", ":").replace("%2B", "+") for k, v in params.items()}
    assert seen == [f"Account {n:03}" for n in reversed(range(120))]


def test_the_csv_export_has_every_matching_entry_and_is_itself_recorded(client, admin_user, log):
    client.force_login(admin_user)
    response = client.get(reverse("audit_export"), {"actor": "alice"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["action"], r["object"], r["ip"]) for r in rows] == [
        ("note.create", "Acme", "10.0.0.7"), ("account.update", "Acme", "10.0.0.7"),
    ]  # fmt: skip
    assert rows[1]["changes"] == '{"segment": ["SMB", "Enterprise"]}'
    export = AuditEntry.objects.get(action="export.audit-log")
    assert (export.actor_label, export.details["query"]) == ("admin", {"actor": ["alice"]})


def test_the_read_api_pages_the_log_for_a_staff_users_key(client, admin_user, leader, log):
    _key, text = api_key_create(name="siem", user=admin_user, scopes=[Scope.READ_AUDIT])
    first = client.get("/api/v1/audit", {"actor": "alice", "limit": 1}, headers=bearer(text))
    assert first.status_code == 200
    document = first.json()
    assert [(i["action"], i["object"], i["actor"]) for i in document["items"]] == [
        ("note.create", "Acme", "alice")
    ]
    assert 'rel="next"' in first["Link"]
    second = client.get(
        "/api/v1/audit",
        {"actor": "alice", "limit": 1, "cursor": document["next_cursor"]},
        headers=bearer(text),
    ).json()
    assert [(i["action"], i["changes"]) for i in second["items"]] == [
        ("account.update", {"segment": ["SMB", "Enterprise"]})
    ]
    assert second["next_cursor"] is None
    assert second["items"][0]["object_type"] == "accounts.account"
    assert second["items"][0]["object_id"] == str(log["acme"].pk)


def test_the_read_api_refuses_a_key_without_the_scope_or_of_a_user_who_is_not_staff(
    client, admin_user, leader
):
    _k, metrics_only = api_key_create(name="m", user=admin_user, scopes=[Scope.READ_METRICS])
    _k, leaders = api_key_create(name="l", user=leader, scopes=[Scope.READ_AUDIT])
    assert client.get("/api/v1/audit", headers=bearer(metrics_only)).status_code == 403
    refused = client.get("/api/v1/audit", headers=bearer(leaders))
    assert refused.status_code == 403
    assert "not staff" in refused.json()["detail"]
    bad = client.get("/api/v1/audit", {"cursor": "nope"}, headers=bearer(leaders))
    assert bad.status_code == 403  # the user is checked before the parameters


def test_the_read_api_says_which_parameter_is_wrong(client, admin_user):
    _k, text = api_key_create(name="siem", user=admin_user, scopes=[Scope.READ_AUDIT])
    response = client.get(
        "/api/v1/audit", {"cursor": "nope", "object_type": "no.such"}, headers=bearer(text)
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"cursor", "object_type"}
    assert Account.objects.count() == 0
