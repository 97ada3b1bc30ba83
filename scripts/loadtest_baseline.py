"""One user at a time, no concurrency: each page's own time (median and slowest of a few
requests), before `make loadtest` adds 20 users; the difference is queueing for the 2 cores."""

# ruff: noqa: S311 - random picks simulated clicks, not secrets
import argparse
import json
import random
import re
import statistics
import time

import requests

PASSWORD = "northstar-demo"  # noqa: S105 - the demo users' public password (seed_demo)
ACCOUNT_LINK = re.compile(r'href="/accounts/(\d+)/"')


def session_for(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/")
    response = session.post(
        f"{base}/login/",
        {"username": username, "password": PASSWORD,
         "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )  # fmt: skip
    response.raise_for_status()
    return session


def timed(session: requests.Session, url: str) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = session.get(url)
    return (time.perf_counter() - started) * 1000, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    figures = {}
    for username in ("csm1", "leader"):
        session = session_for(args.base, username)
        _ms, first = timed(session, f"{args.base}/")
        ids = ACCOUNT_LINK.findall(first.text)
        pages = {
            "accounts list": lambda: f"{args.base}/?page={random.randint(1, 20)}",
            "account page": lambda ids=ids: f"{args.base}/accounts/{random.choice(ids)}/",
            "portfolio": lambda: f"{args.base}/portfolio/",
        }
        for page, url in pages.items():
            times = [timed(session, url())[0] for _ in range(args.repeat)]
            figures[f"{page} ({username})"] = {
                "median": statistics.median(times),
                "max": max(times),
            }
    with open(args.out, "w") as handle:
        json.dump(figures, handle)
    for name, f in figures.items():
        print(f"  {name}: median {f['median']:.0f} ms, slowest {f['max']:.0f} ms")


if __name__ == "__main__":
    main()
