"""PostgreSQL restarted while gunicorn is under load: requests during the outage fail fast
with the 503 page, and the same server processes recover on their own when it is back.

What a restart looks like to the application (every open connection dropped, new ones refused,
then accepted again) is played by a TCP proxy between gunicorn and the shared PostgreSQL,
which is never restarted itself.
"""

import threading
import time
from dataclasses import dataclass
from datetime import date

import pytest

from metrics.services import snapshot_recompute
from tests.factories import AccountFactory, ContractFactory
from tests.faults.conftest import Browser, database_url_for_tests

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 4


@dataclass
class Answer:
    path: str
    sent_at: float
    status: int
    seconds: float
    body: str


def browse(browser: Browser, paths: list[str], until: float, answers: list[Answer]) -> None:
    """Request the pages in turn until `until`, recording every answer."""
    turn = 0
    while time.monotonic() < until:
        path = paths[turn % len(paths)]
        turn += 1
        started = time.monotonic()
        try:
            status, _headers, body = browser.request(path, timeout=15)
        except OSError as error:  # the server itself did not answer
            status, body = 0, repr(error)
        answers.append(Answer(path, started, status, time.monotonic() - started, body[:300]))
        time.sleep(0.05)


def test_a_postgresql_restart_under_load_is_503_pages_then_recovery_without_a_restart(
    start_server, postgres_proxy, alice, leader
):
    """PostgreSQL restarted under load: while it is away every request answers within 3 s
    with the 503 page (never a 500 or a traceback), and afterwards the same gunicorn
    processes serve pages again, reconnecting on their own."""
    account = AccountFactory(name="Initech", owner=alice)
    ContractFactory(account=account)
    snapshot_recompute(as_of=date(2024, 3, 31))
    server = start_server(DATABASE_URL=_through(postgres_proxy))
    paths = ["/", f"/accounts/{account.pk}/", "/portfolio/"]
    browsers = []
    for username in ("alice", "lena", "alice", "lena"):
        browser = Browser(server.base_url)
        browser.log_in(username)
        browsers.append(browser)

    answers: list[Answer] = []
    start = time.monotonic()
    until = start + 3 + OUTAGE_SECONDS + 6
    threads = [threading.Thread(target=browse, args=(b, paths, until, answers)) for b in browsers]
    for thread in threads:
        thread.start()
    time.sleep(3)
    cut_at = time.monotonic()
    postgres_proxy.cut()
    time.sleep(OUTAGE_SECONDS)
    postgres_proxy.restore()
    back_at = time.monotonic()
    for thread in threads:
        thread.join()

    before = [a for a in answers if a.sent_at + a.seconds < cut_at]  # answered before
    during = [a for a in answers if cut_at + 0.5 < a.sent_at < back_at - 0.2]
    settled = [a for a in answers if a.sent_at > back_at + 2]
    unanswered = [a for a in answers if a.status not in (200, 503)]
    assert not unanswered, [(a.sent_at - cut_at, a.status, a.seconds, a.path) for a in unanswered]
    assert before and {a.status for a in before} == {200}
    assert during, "no request was made during the outage"
    assert {a.status for a in during} == {503}, sorted({(a.status, a.body) for a in during})
    assert all("briefly unavailable" in a.body for a in during)
    assert max(a.seconds for a in during) < 3
    assert settled and {a.status for a in settled} == {200}, [
        (a.status, a.body) for a in settled if a.status != 200
    ]
    assert server.alive  # recovered without a restart of its own
    print(
        f"{len(before)} answers before the outage (all 200), {len(during)} during it (all 503, "
        f"slowest {max(a.seconds for a in during):.2f} s), {len(settled)} after (all 200)"
    )


def _through(proxy) -> str:
    return database_url_for_tests(port=proxy.port)
