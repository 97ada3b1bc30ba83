"""The read replica (core/replica.py) against a real streaming replica made on this machine.

The session starts two private PostgreSQL clusters (tests/replica_clusters.py): a primary holding
a copy of the test database, and a replica made from it with `pg_basebackup -R`. The `site`
fixture points Django's `default` alias at that primary and adds the `replica` alias, as
DATABASE_REPLICA_URL does in production. Rows written there are committed (no test
transaction: a replica only sees what the primary committed); the clusters are thrown away at
the end of the session.

Where a page was served from is proved twice: by the alias each of its queries ran on, and by
what it shows: with the replica's replay paused, a rename committed on the primary is not yet on
the replica, so the old name on the page can only have come from there.
"""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from accounts.models import Account
from api.models import Scope
from api.services import api_key_create
from core import replica
from core.replica import LAG_SQL, REPLICA, WROTE_COOKIE, ReplicaRouter, replica_status
from tests.factories import AccountFactory, UserFactory
from tests.replica_clusters import ReplicatedPair, replicated_pair
from tests.test_settings import assert_refused_naming, start_django

pytestmark = pytest.mark.replica


@pytest.fixture(scope="session")
def pair(django_db_setup, django_db_blocker) -> Iterator[ReplicatedPair]:
    """A primary with a copy of the test database and its streaming replica."""
    with django_db_blocker.unblock():
        source = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    with replicated_pair(source) as clusters:
        yield clusters


@pytest.fixture
def site(db, pair, django_db_blocker, settings, monkeypatch) -> Iterator[ReplicatedPair]:
    """The site as deployed with DATABASE_REPLICA_URL: `default` is the private primary, the
    router and middleware are on, the lag is measured at every request unless a test says
    otherwise, and the replica may lag 30 s. (`db` holds the test database's connection in its
    transaction, untouched, while the test's `default` is the primary's.)"""
    template = connections[DEFAULT_DB_ALIAS].settings_dict
    saved_settings = connections.settings[DEFAULT_DB_ALIAS]
    saved_connection = connections[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = pair.primary.django_settings(template)
    connections.settings[REPLICA] = pair.replica.django_settings(template)
    for alias in (DEFAULT_DB_ALIAS, REPLICA):
        connections[alias] = connections.create_connection(alias)
    settings.DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setattr(replica, "_status", None)
    try:
        with django_db_blocker.unblock():
            yield pair
            for alias in (DEFAULT_DB_ALIAS, REPLICA):
                connections[alias].close()
    finally:
        connections.settings[DEFAULT_DB_ALIAS] = saved_settings
        del connections.settings[REPLICA]
        connections[DEFAULT_DB_ALIAS] = saved_connection
        del connections[REPLICA]


@contextlib.contextmanager
def queries_by_alias() -> Iterator[dict[str, list[str]]]:
    """The SQL run on each alias meanwhile; the replica's lag checks are left out."""
    seen: dict[str, list[str]] = {DEFAULT_DB_ALIAS: [], REPLICA: []}

    def recorder(alias: str):
        def record(execute, sql, params, many, context):
            if sql != LAG_SQL:
                seen[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    with (
        connections[DEFAULT_DB_ALIAS].execute_wrapper(recorder(DEFAULT_DB_ALIAS)),
        connections[REPLICA].execute_wrapper(recorder(REPLICA)),
    ):
        yield seen


def reads_accounts(queries: list[str]) -> bool:
    return any('FROM "accounts_account"' in sql for sql in queries)


def in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def signed_in_owner(site: ReplicatedPair, name: str) -> tuple[Client, Account]:
    """A CSM signed in, owning one account named `name`, all of it on the replica already."""
    alice = UserFactory(groups=["CSM"])
    account = AccountFactory(owner=alice, name=name)
    client = Client()
    client.force_login(alice)
    site.replica_caught_up()
    return client, account


def page(client: Client, account: Account) -> str:
    response = client.get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_account_page_is_served_from_the_replica(site):
    client, account = signed_in_owner(site, "Fjord Freight")
    assert in_recovery(REPLICA) and not in_recovery(DEFAULT_DB_ALIAS)

    with site.replay_paused():
        Account.objects.filter(pk=account.pk).update(name="Fjord Logistics")
        with queries_by_alias() as seen:
            html = page(client, account)

    assert "Fjord Freight" in html and "Fjord Logistics" not in html  # the replica's copy
    assert reads_accounts(seen[REPLICA])
    assert not reads_accounts(seen[DEFAULT_DB_ALIAS])
    # Only who is signed in was read from the primary (settings.REPLICA_PRIMARY_MODELS).
    assert all("auth_" in sql or "django_session" in sql for sql in seen[DEFAULT_DB_ALIAS])


def test_the_read_api_is_served_from_the_replica(site):
    leader = UserFactory(groups=["Leader"])
    _key, text = api_key_create(
        name="replica", user=leader, scopes=[Scope.READ_METRICS], rate_limit_per_minute=1000
    )
    client = Client(headers={"Authorization": f"Bearer {text}"})
    client.get("/api/v1/kpi-definitions")  # the key's last-used stamp: a write, once a minute
    site.replica_caught_up()

    with site.replay_paused():
        AccountFactory(external_id="ACC-ONLY-ON-PRIMARY")
        with queries_by_alias() as seen:
            response = client.get("/api/v1/accounts/ACC-ONLY-ON-PRIMARY/snapshots")

    assert response.status_code == 404  # the replica has not replayed the new account yet
    assert reads_accounts(seen[REPLICA]) and not reads_accounts(seen[DEFAULT_DB_ALIAS])
    site.replica_caught_up()
    assert client.get("/api/v1/accounts/ACC-ONLY-ON-PRIMARY/snapshots").status_code == 200


def test_a_replica_lagging_past_the_limit_is_passed_over_until_it_catches_up(site, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    client, account = signed_in_owner(site, "Lagoon Labs")

    with site.replay_paused():
        Account.objects.filter(pk=account.pk).update(name="Lagoon Laboratories")
        time.sleep(1.5)  # the last transaction the replica replayed is older than the limit
        with queries_by_alias() as seen:
            html = page(client, account)
        assert replica_status().reason.startswith("lagging")

    assert "Lagoon Laboratories" in html  # the primary's current name
    assert reads_accounts(seen[DEFAULT_DB_ALIAS]) and not seen[REPLICA]

    site.replica_caught_up()
    with queries_by_alias() as seen:
        html = page(client, account)
    assert "Lagoon Laboratories" in html
    assert reads_accounts(seen[REPLICA]) and not reads_accounts(seen[DEFAULT_DB_ALIAS])


def test_an_idle_primary_does_not_make_a_current_replica_look_late(site, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    client, account = signed_in_owner(site, "Quiet Quarry")
    time.sleep(1.5)  # nothing written: the last replayed transaction ages, the replica is current

    with queries_by_alias() as seen:
        page(client, account)

    assert replica_status().lag_seconds == 0
    assert reads_accounts(seen[REPLICA])


def test_a_stopped_replica_falls_back_to_the_primary(site):
    client, account = signed_in_owner(site, "Halt Holdings")
    page(client, account)  # a connection to the replica is open when it stops

    with site.replica_stopped(), queries_by_alias() as seen:
        html = page(client, account)
        assert replica_status().reason.startswith("unreachable")

    assert "Halt Holdings" in html
    assert reads_accounts(seen[DEFAULT_DB_ALIAS]) and not seen[REPLICA]


def test_a_replica_lost_under_a_view_is_replaced_by_the_primary_for_that_request(site, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60  # the replica was fine a moment ago
    client, account = signed_in_owner(site, "Sudden Systems")
    page(client, account)

    with site.replica_stopped(), queries_by_alias() as seen:
        html = page(client, account)  # its first query on the replica fails; run again
        assert not replica_status().usable

    assert "Sudden Systems" in html
    assert reads_accounts(seen[DEFAULT_DB_ALIAS])


def test_after_a_post_that_browser_reads_the_primary_until_the_replica_has_replayed_it(site):
    client, account = signed_in_owner(site, "Echo Enterprises")

    with site.replay_paused():
        response = client.post(f"/accounts/{account.pk}/notes/", {"body": "Renewal call booked"})
        assert response.status_code == 302
        assert response.cookies[WROTE_COOKIE].value  # the primary's WAL position after it
        with queries_by_alias() as seen:
            html = page(client, account)
        assert "Renewal call booked" in html
        assert reads_accounts(seen[DEFAULT_DB_ALIAS]) and not seen[REPLICA]

    site.replica_caught_up()
    with queries_by_alias() as seen:
        html = page(client, account)
    assert "Renewal call booked" in html
    assert reads_accounts(seen[REPLICA])


def test_the_lag_is_measured_once_per_interval_not_once_per_request(site, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    client, account = signed_in_owner(site, "Cache Cove")
    checks = []

    def count(execute, sql, params, many, context):
        checks.extend([sql] if sql == LAG_SQL else [])
        return execute(sql, params, many, context)

    with connections[REPLICA].execute_wrapper(count):
        for _ in range(3):
            page(client, account)

    assert len(checks) == 1


def test_writes_and_migrations_never_go_to_the_replica():
    router = ReplicaRouter()
    assert router.db_for_write(Account) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "accounts") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "accounts") is True
    # Outside a request (tasks, commands, the nightly job) reads go to the primary too.
    assert router.db_for_read(Account) == DEFAULT_DB_ALIAS


def test_a_write_pins_the_rest_of_its_request_to_the_primary(monkeypatch):
    reads = replica.RequestReads(replica_allowed=True)
    monkeypatch.setattr(reads, "_decision", True)  # the replica was usable at the first read
    token = replica._current.set(reads)
    try:
        router = ReplicaRouter()
        assert router.db_for_read(Account) == REPLICA
        router.db_for_write(Account)
        assert router.db_for_read(Account) == DEFAULT_DB_ALIAS
    finally:
        replica._current.reset(token)


def test_a_wal_position_compares_as_the_position_does():
    assert replica.lsn_value("0/16B3748") < replica.lsn_value("1/0") < replica.lsn_value("A/1")
    assert replica.lsn_value("not a position") is None


def settings_of(module: str, **environment: str) -> str:
    """What `module`'s settings make of the replica variables, printed by a fresh process."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS, s.DATABASE_REPLICA_MAX_LAG_SECONDS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": module, **environment},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_the_replica_url_adds_the_alias_and_the_router():
    url = "postgres://northstar:northstar@replica.internal:5432/northstar"
    assert settings_of("config.settings.local", DATABASE_REPLICA_URL=url) == (
        "['default', 'replica'] ['core.replica.ReplicaRouter'] 30"
    )
    assert settings_of("config.settings.local", DATABASE_REPLICA_URL="") == "['default'] [] 30"


def test_the_test_settings_never_use_a_replica_even_when_one_is_set():
    url = "postgres://northstar:northstar@replica.internal:5432/northstar"
    assert settings_of("config.settings.test", DATABASE_REPLICA_URL=url) == "['default'] [] 30"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_REPLICA_URL", "mysql://northstar:northstar@replica/northstar"),
        ("DATABASE_REPLICA_URL", "postgres://northstar:northstar@replica:port/db"),
        ("DATABASE_REPLICA_MAX_LAG_SECONDS", "-1"),
        ("DATABASE_REPLICA_CHECK_SECONDS", "soon"),
        ("DATABASE_REPLICA_CONNECT_TIMEOUT", "2s"),
    ],
)
def test_a_malformed_replica_setting_stops_start_up_naming_it(name, value):
    environment = {"DATABASE_REPLICA_URL": "postgres://northstar:northstar@replica/northstar"}
    assert_refused_naming(start_django(**{**environment, name: value}), name)
