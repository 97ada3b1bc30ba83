"""`make bench-api`: usage events per second through the real HTTP stack, from one client process.

A gunicorn server is started on a free loopback port against the same database; one client
process keeps a few keep-alive connections busy, each POSTing 1,000-event batches with their own
Idempotency-Key, and counts the events the server accepted. The usage table must then hold exactly
that many more events: speed that loses or doubles events would not count.
"""

import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum

from accounts.models import Account, UsageDaily
from api.models import Scope
from api.services import api_key_create, api_key_revoke
from metrics.benchmark import machine

BASE_DIR = Path(settings.BASE_DIR)
# Distinct request bodies, sent in turn: 200,000 events, each on a usage row of its own at first
# (a run's first pass inserts rows and sessions; later passes add to them).
BODIES = 200
FEATURES = ("dashboards", "reports", "alerts", "exports", "search", "api", "billing", "admin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_accounts(count: int) -> list[str]:
    """External ids of `count` accounts, creating bench accounts when the database has fewer."""
    ids = list(Account.objects.order_by("pk").values_list("external_id", flat=True)[:count])
    missing = count - len(ids)
    if missing > 0:
        made = Account.objects.bulk_create(
            Account(external_id=f"bench-api-{uuid.uuid4().hex[:12]}", name="Bench API account")
            for _ in range(missing)
        )
        ids += [account.external_id for account in made]
    return ids


def event_batches(
    accounts: list[str], *, batches: int, size: int, seed: int | None = None
) -> list[bytes]:
    """Request bodies of `size` events each: a few hundred users per account, 8 features, the
    last two days, a session per user and hour (so rows repeat across requests, as live
    traffic does)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets; a new seed each run)
    now = datetime.now(UTC).replace(microsecond=0)
    bodies = []
    for _ in range(batches):
        items = []
        for _ in range(size):
            account = rng.choice(accounts)
            user = f"user-{rng.randrange(200)}"
            at = now - timedelta(seconds=rng.randrange(2 * 86_400))
            items.append({
                "account_external_id": account,
                "user_id": user,
                "feature": rng.choice(FEATURES),
                "occurred_at": at.isoformat().replace("+00:00", "Z"),
                "count": rng.choice((1, 1, 1, 2, 5)),
                "minutes": round(rng.random() * 3, 2),
                "session_id": f"{account}-{user}-{at:%Y%m%d%H}",
            })  # fmt: skip
        bodies.append(json.dumps({"items": items}).encode())
    return bodies


class Server:
    """gunicorn serving this project on a loopback port, stopped by `stop()` (only it: by pid)."""

    def __init__(self, *, workers: int, port: int):
        self.url = f"127.0.0.1:{port}"
        env = {
            **os.environ,
            # The database this process uses (a test's, too), whatever DATABASE_URL says.
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
            "SECURE_HTTPS": "false",  # plain HTTP on the loopback: no TLS redirect
            "LOG_LEVEL": "WARNING",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 (our own executable and arguments)
            [str(gunicorn), "config.wsgi", "--workers", str(workers), "--bind", self.url,
             "--error-logfile", "-", "--log-level", "warning"],
            cwd=BASE_DIR, env=env,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                connection = http.client.HTTPConnection(self.url, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Load:
    """What `gunicorn_load` measured: timed seconds, CPU of the server (gunicorn workers and
    their PostgreSQL backends) and of this client, the 1-minute load average before, and what
    `after` returned."""

    elapsed: float
    server_cpu: float
    client_cpu: float
    load_before: float
    after: Any = None


def gunicorn_load(
    *, workers: int, connections: int, seconds: float, warmup: float,
    client: Callable[[str, float, float], None], after: Callable[[str], Any] | None = None,
) -> Load:  # fmt: skip
    """The harness of `make bench-api`'s steps: gunicorn on a free loopback port, `connections`
    threads each running `client(url, stop_at, warm_until)` (one keep-alive connection, timing
    only after `warm_until`), then `after(url)` while the server still runs (a resend)."""
    server = Server(workers=workers, port=free_port())
    try:
        server.wait_ready()
        cpu_before = {pid: _cpu_seconds(pid) for pid in _server_pids(server.process.pid)}
        client_cpu_before = time.process_time()
        load_before = os.getloadavg()[0]
        start = time.monotonic()
        warm_until, stop_at = start + warmup, start + warmup + seconds
        threads = [
            threading.Thread(target=client, args=(server.url, stop_at, warm_until))
            for _ in range(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - warm_until
        # Read before the server stops: its database connections end with its workers.
        server_cpu = sum(
            _cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in _server_pids(server.process.pid)
        )
        client_cpu = time.process_time() - client_cpu_before
        answer = after(server.url) if after else None
    finally:
        server.stop()
    return Load(elapsed, server_cpu, client_cpu, load_before, answer)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(master: int) -> list[int]:
    """The gunicorn workers (children of the master) and the PostgreSQL backends of this
    database other than this process's own connection."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return workers + backends


def _database_url() -> str:
    db = connection.settings_dict
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def _client(url, key, bodies, stop_at, warm_until, results, lock) -> None:
    """One keep-alive connection sending batches until `stop_at`; counts after `warm_until`."""
    connection = http.client.HTTPConnection(url, timeout=60)
    n = 0
    events, latencies, statuses, counted = 0, [], {}, 0
    while time.monotonic() < stop_at:
        body, body_count = bodies[n % len(bodies)]
        n += 1
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                   "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
        started = time.monotonic()
        connection.request("POST", "/api/v1/events", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        finished = time.monotonic()
        if response.status == 200:
            counted += body_count
        if started < warm_until:
            # Warm-up requests are not timed, but their events are in the table.
            statuses["warm-up"] = statuses.get("warm-up", 0) + 1
            if response.status == 200:
                events_warm = json.loads(answer)["received"]
                with lock:
                    results["warm_events"] += events_warm
            continue
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status == 200:
            events += json.loads(answer)["received"]
            latencies.append(finished - started)
    connection.close()
    with lock:
        results["events"] += events
        results["counted"] += counted
        results["latencies"] += latencies
        for status, count in statuses.items():
            results["statuses"][str(status)] = results["statuses"].get(str(status), 0) + count


def events_rate(
    *, seconds: float, warmup: float, workers: int, connections: int, batch: int, accounts: int
) -> dict:
    """Run the server and the client; return the figures as a dict."""
    account_ids = bench_accounts(accounts)
    bodies = [
        (body, _count_sum(body)) for body in event_batches(account_ids, batches=BODIES, size=batch)
    ]
    user, _ = get_user_model().objects.get_or_create(
        username="bench-api", defaults={"is_superuser": True, "is_staff": True}
    )
    api_key, key = api_key_create(
        name="bench_api_events", user=user, scopes=[Scope.WRITE_USAGE],
        rate_limit_per_minute=1_000_000,
    )  # fmt: skip
    events_before = UsageDaily.objects.aggregate(total=Sum("events"))["total"] or 0
    results = {"events": 0, "warm_events": 0, "counted": 0, "latencies": [], "statuses": {}}
    lock = threading.Lock()
    try:
        load = gunicorn_load(
            workers=workers, connections=connections, seconds=seconds, warmup=warmup,
            client=lambda url, stop_at, warm_until: _client(
                url, key, bodies, stop_at, warm_until, results, lock
            ),
        )  # fmt: skip
    finally:
        api_key_revoke(api_key=api_key)
    elapsed, server_cpu, client_cpu = load.elapsed, load.server_cpu, load.client_cpu
    all_events = results["events"] + results["warm_events"]
    written = (UsageDaily.objects.aggregate(total=Sum("events"))["total"] or 0) - events_before
    latencies = sorted(results["latencies"])
    return {
        "machine": machine(),
        # Other work on the machine (1-minute load average) competes for its 2 cores.
        "load_average_before": round(load.load_before, 2),
        "server": f"gunicorn, {workers} sync workers",
        "client": f"one process, {connections} keep-alive connections",
        "batch_events": batch,
        "distinct_bodies": len(bodies),
        "accounts": len(account_ids),
        "seconds": round(elapsed, 1),
        "events": results["events"],
        "events_per_second": round(results["events"] / elapsed),
        "requests": len(latencies),
        "latency_ms": {
            "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1)
            if latencies
            else None,
            "max": round(1000 * latencies[-1], 1) if latencies else None,
        },
        "statuses": results["statuses"],
        # CPU spent per 1,000 events, whatever else runs on the machine: gunicorn workers plus
        # their PostgreSQL backends (server), and this client.
        "cpu_ms_per_1000_events": {
            "server": round(1000 * server_cpu / all_events * 1000, 1) if all_events else None,
            "client": round(1000 * client_cpu / all_events * 1000, 1) if all_events else None,
        },
        # Events carry counts (1 to 5): the usage table must have grown by their sum exactly.
        "usage_events_added": written,
        "usage_events_sent": results["counted"],
        "nothing_lost_or_doubled": written == results["counted"],
    }


def _count_sum(body: bytes) -> int:
    return sum(item["count"] for item in json.loads(body)["items"])
