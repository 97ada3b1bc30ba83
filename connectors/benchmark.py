"""`make bench-api`'s Segment step: Segment messages per second through gunicorn.

One client process keeps a few keep-alive connections busy POSTing Segment batches (track calls
with context.groupId, as a product's SDK sends them) to /ingest/segment/v1/batch, each message
with a messageId of its own. Then one request of every kind is sent again with the same
messageIds: the usage table must have grown by exactly the messages accepted once.
"""

import base64
import http.client
import json
import random
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import Sum

from accounts.models import UsageDaily
from api.benchmark import FEATURES, bench_accounts, gunicorn_load
from connectors.models import Connector
from connectors.services import connector_create
from metrics.benchmark import machine

BODIES = 50
PREFIX = b"@@PREFIX@@"  # replaced per request, so every messageId is new


def segment_batches(accounts: list[str], *, batches: int, size: int) -> list[bytes]:
    """Batch bodies of `size` track calls: a few hundred users per account, 8 features, the
    last two days; messageIds `<PREFIX>-<n>` made unique per request by the client."""
    rng = random.Random()  # noqa: S311 (test data, not secrets)
    now = datetime.now(UTC).replace(microsecond=0)
    bodies = []
    for _ in range(batches):
        messages = []
        for n in range(size):
            account = rng.choice(accounts)
            at = now - timedelta(seconds=rng.randrange(2 * 86_400))
            messages.append({
                "type": "track", "messageId": f"{PREFIX.decode()}-{n}",
                "userId": f"user-{rng.randrange(200)}", "event": "Feature Used",
                "properties": {"feature": rng.choice(FEATURES)},
                "context": {"groupId": account, "library": {"name": "bench"}},
                "timestamp": at.isoformat().replace("+00:00", "Z"),
            })  # fmt: skip
        bodies.append(json.dumps({"batch": messages}).encode())
    return bodies


def _client(url, auth, bodies, stop_at, warm_until, results, lock, resend) -> None:
    connection = http.client.HTTPConnection(url, timeout=60)
    n, messages, counted, latencies, statuses = 0, 0, 0, [], {}
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    while time.monotonic() < stop_at:
        prefix = uuid.uuid4().hex.encode()
        body = bodies[n % len(bodies)].replace(PREFIX, prefix)
        n += 1
        started = time.monotonic()
        connection.request("POST", "/ingest/segment/v1/batch", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        finished = time.monotonic()
        if response.status == 200:
            counted += answer["applied"]
            if len(resend) < 5:
                resend.append(body)
        if started < warm_until:
            continue
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status == 200:
            messages += answer["received"]
            latencies.append(finished - started)
    connection.close()
    with lock:
        results["messages"] += messages
        results["counted"] += counted
        results["latencies"] += latencies
        for status, count in statuses.items():
            results["statuses"][str(status)] = results["statuses"].get(str(status), 0) + count


def segment_rate(
    *, seconds: float, warmup: float, workers: int, connections: int, batch: int, accounts: int
) -> dict:
    """Run gunicorn and the client; return the figures as a dict."""
    account_ids = bench_accounts(accounts)
    bodies = segment_batches(account_ids, batches=BODIES, size=batch)
    connector, key = connector_create(kind="segment", name=f"bench-{uuid.uuid4().hex[:8]}")
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    events_before = UsageDaily.objects.aggregate(total=Sum("events"))["total"] or 0
    resend: list[bytes] = []
    results = {"messages": 0, "counted": 0, "latencies": [], "statuses": {}}
    lock = threading.Lock()
    try:
        load = gunicorn_load(
            workers=workers, connections=connections, seconds=seconds, warmup=warmup,
            client=lambda url, stop_at, warm_until: _client(
                url, auth, bodies, stop_at, warm_until, results, lock, resend
            ),
            after=lambda url: _resend(url, auth, resend),
        )  # fmt: skip
    finally:
        Connector.objects.filter(pk=connector.pk).update(is_active=False)
    elapsed, server_cpu, duplicates = load.elapsed, load.server_cpu, load.after
    written = (UsageDaily.objects.aggregate(total=Sum("events"))["total"] or 0) - events_before
    latencies = sorted(results["latencies"])
    return {
        "machine": machine(),
        # Other work on the machine (1-minute load average) competes for its 2 cores.
        "load_average_before": round(load.load_before, 2),
        "server": f"gunicorn, {workers} sync workers",
        "client": f"one process, {connections} keep-alive connections",
        "batch_messages": batch,
        "seconds": round(elapsed, 1),
        "messages": results["messages"],
        "messages_per_second": round(results["messages"] / elapsed),
        "latency_ms": {
            "p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1)
            if latencies
            else None,
        },
        "statuses": results["statuses"],
        "server_cpu_ms_per_1000_messages": round(
            1000 * server_cpu / max(results["messages"], 1) * 1000, 1
        ),
        "resent_batches": len(resend),
        "resent_messages_skipped_as_duplicates": duplicates,
        "usage_events_added": written,
        "messages_applied": results["counted"],
        "nothing_lost_or_doubled": written == results["counted"],
    }


def _resend(url: str, auth: str, bodies: list[bytes]) -> int:
    """Send the same batches again: every message must come back as a duplicate."""
    connection = http.client.HTTPConnection(url, timeout=60)
    duplicates = 0
    for body in bodies:
        connection.request(
            "POST", "/ingest/segment/v1/batch", body=body,
            headers={"Authorization": auth, "Content-Type": "application/json"},
        )  # fmt: skip
        duplicates += json.loads(connection.getresponse().read())["duplicates"]
    connection.close()
    return duplicates
