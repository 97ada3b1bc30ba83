"""`make bench`, pages step: the server time of the main pages on the scale data set.

Each page is requested through Django's test client, logged in as the demo leader (every
account) and as a demo CSM (their own accounts). After a few warm-up requests, each page is
requested N times; a figure is the milliseconds around `client.get` (routing, middleware, view,
queries and template: everything but the network and the browser) with the SQL queries of each
request. The account page is requested for a different account each time, none of them
requested before, as someone going down the list would open them.
"""

import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.access import accounts_visible_to
from core.process import freeze_startup_objects
from metrics.dashboard import filter_options

PERSONAS = ("leader", "csm1")  # the demo's leader and first CSM (accounts.demo.users)
REQUESTS = 30
WARM_UP = 3


@dataclass(frozen=True)
class Page:
    """A page to time: the URLs requested in turn (one, or one per account)."""

    name: str
    path: str  # what the figures are of, for the reader
    urls: Sequence[str]


def page_figures(*, requests: int = REQUESTS, warm_up: int = WARM_UP) -> dict:
    """{persona: {page: figures}} for each demo persona found in the database, in a process
    prepared as config.wsgi prepares a server's (its startup objects frozen out of the
    collector's way)."""
    freeze_startup_objects()
    users = get_user_model().objects.filter(username__in=PERSONAS)
    return {
        user.get_username(): persona_figures(user, requests=requests, warm_up=warm_up)
        for user in sorted(users, key=lambda user: PERSONAS.index(user.get_username()))
    }


def persona_figures(user, *, requests: int, warm_up: int) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return {
        page.name: page_timing(client, page, requests, warm_up)
        for page in pages_for(user, requests, warm_up)
    }


def pages_for(user, requests: int, warm_up: int) -> list[Page]:
    """The pages a user lands on and their most common variants; the account page over
    `warm_up + requests` different accounts the user may see, spread over their ids."""
    visible = accounts_visible_to(user)
    segments = filter_options(visible).segments
    accounts = [f"/accounts/{pk}/" for pk in spread_ids(visible, warm_up + requests)]
    pages = [
        Page("accounts", "/", ["/"]),
        Page("accounts_by_mrr", "/?sort=-mrr", ["/?sort=-mrr"]),
        Page("accounts_red", "/?band=red", ["/?band=red"]),
        Page("account", "/accounts/<id>/", accounts),
        Page("portfolio", "/portfolio/", ["/portfolio/"]),
    ]
    if segments:
        segment = f"/portfolio/?segment={segments[0]}"
        pages.append(Page("portfolio_segment", segment, [segment]))
    return pages


def spread_ids(accounts, count: int) -> list[int]:
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    step = max(len(ids) // count, 1)
    return ids[::step][:count]


def page_timing(client: Client, page: Page, requests: int, warm_up: int) -> dict:
    """Warm up on the first `warm_up` URLs, then time `requests` requests over the others."""
    urls = list(page.urls)
    for number in range(warm_up):
        _get(client, urls[number % len(urls)])
    measured = urls[warm_up:] or urls
    milliseconds, queries = [], []
    for number in range(requests):
        url = measured[number % len(measured)]
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _get(client, url)
            milliseconds.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
    return {"path": page.path, **summary(milliseconds, queries)}


def summary(milliseconds: list[float], queries: list[int]) -> dict:
    return {
        "requests": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 1),
        "p95_ms": round(statistics.quantiles(milliseconds, n=20, method="inclusive")[18], 1),
        "max_ms": round(max(milliseconds), 1),
        "queries": max(queries),
        **({"queries_min": min(queries)} if min(queries) != max(queries) else {}),
    }


def _get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


def search_queries(seed: int = 7) -> list[str]:
    """What people type in the header's box: 30 account-name prefixes of 3 letters, 30 of 5,
    30 contact surnames' first 5 letters, and 15 misses (seeded, so runs compare)."""
    from accounts.models import Account, Contact

    rng = random.Random(seed)  # noqa: S311 (a sample, not a secret)
    names = list(Account.objects.order_by("pk").values_list("name", flat=True))
    people = list(Contact.objects.order_by("pk").values_list("name", flat=True)[:5000])
    if not names or not people:
        return []
    return (
        [rng.choice(names)[:3] for _ in range(30)]
        + [rng.choice(names)[:5] for _ in range(30)]
        + [rng.choice(people).split()[-1][:5] for _ in range(30)]
        + ["zzqx", "qwerty", "xylo"] * 5
    )


def search_figures(warm_up: int = WARM_UP) -> dict:
    """{persona: figures} of accounts.search.search over search_queries(), in process (the
    statement and its Python, without the page around it)."""
    from accounts.search import search

    queries = search_queries()
    figures = {}
    for user in get_user_model().objects.filter(username__in=PERSONAS).order_by("username"):
        for text in queries[:warm_up]:
            search(user=user, text=text)
        milliseconds = []
        for text in queries:
            started = time.perf_counter()
            search(user=user, text=text)
            milliseconds.append((time.perf_counter() - started) * 1000)
        figures[user.get_username()] = summary(milliseconds, [1] * len(milliseconds))
    return figures
