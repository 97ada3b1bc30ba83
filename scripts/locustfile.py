"""`make loadtest`'s users: CSMs and leaders browsing the accounts list, account pages and the
portfolio, as people do: log in once, open the list, click accounts, look at the portfolio.

Each simulated user waits 1-2 s between pages (think time). Requests are grouped by page in
the figures (`name=`), so per-page percentiles can be read from the report.
"""

# ruff: noqa: S311 - random picks simulated clicks, not secrets
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

# The demo users' password (seed_demo), public on purpose; the load database only.
PASSWORD = "northstar-demo"  # noqa: S105
ACCOUNT_LINK = re.compile(rb'href="/accounts/(\d+)/"')
SORTS = ["name", "-mrr", "health", "renewal", "-open_tickets"]
# Every page request's (name, milliseconds, failed), written when locust stops, so the report
# computes percentiles over the pages alone (locust's own totals include the logins).
RECORD = os.environ.get("LOADTEST_RECORD", "var/loadtest/requests.json")
PAGES = {"accounts list", "account page", "portfolio"}
# The first seconds, while the users log in (PBKDF2: CPU-heavy on purpose), are left out.
WARMUP_SECONDS = float(os.environ.get("LOADTEST_WARMUP", "10"))
STARTED = time.monotonic()
requests_made: list[tuple[str, float, bool]] = []


@events.request.add_listener
def _record(name, response_time, exception, response=None, **kwargs) -> None:
    failed = exception is not None or (response is not None and response.status_code >= 400)
    warming_up = time.monotonic() - response_time / 1000 - STARTED < WARMUP_SECONDS
    if name in PAGES and not warming_up:
        requests_made.append((name, response_time, failed))


@events.quitting.add_listener
def _write(environment, **kwargs) -> None:
    with open(RECORD, "w") as handle:
        json.dump(requests_made, handle)


class Browsing(HttpUser):
    abstract = True
    wait_time = between(1, 2)
    usernames: tuple[str, ...] = ()

    def on_start(self) -> None:
        username = random.choice(self.usernames)
        self.client.get("/login/", name="/login/")
        token = self.client.cookies.get("csrftoken", "")
        response = self.client.post(
            "/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (POST)",
        )
        if "sessionid" not in self.client.cookies:
            response.failure(f"could not log in as {username}")
        self.account_ids: list[str] = []
        self.accounts_list()

    def _remember_accounts(self, body: bytes) -> None:
        ids = [match.decode() for match in ACCOUNT_LINK.findall(body)]
        self.account_ids = (ids + self.account_ids)[:500]

    @task(3)
    def accounts_list(self) -> None:
        params = {"sort": random.choice(SORTS), "page": random.randint(1, 20)}
        with self.client.get("/", params=params, name="accounts list", catch_response=True) as r:
            if r.status_code == 200:
                self._remember_accounts(r.content)

    @task(5)
    def account_page(self) -> None:
        if not self.account_ids:
            return self.accounts_list()
        account_id = random.choice(self.account_ids)
        self.client.get(f"/accounts/{account_id}/", name="account page")

    # LOAD_PORTFOLIO_WEIGHT=0 leaves the portfolio out, to see what the other pages do alone.
    @task(int(os.environ.get("LOAD_PORTFOLIO_WEIGHT", "2")))
    def portfolio(self) -> None:
        self.client.get("/portfolio/", name="portfolio")


class Csm(Browsing):
    weight = 3
    usernames = ("csm1", "csm2", "csm3")


class Leader(Browsing):
    weight = 1
    usernames = ("leader",)
