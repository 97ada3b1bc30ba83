"""Turns locust's statistics CSV into `make loadtest`'s summary: printed, and appended to
docs/performance.md as a dated section, so each run's figures stay next to the earlier ones."""

import argparse
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

GOAL_P95_MS = 300
PAGES = ("accounts list", "account page", "portfolio")


def percentile(sorted_ms: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    index = max(0, min(len(sorted_ms) - 1, round(share * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[index]


def figures(rows: list[list], seconds: int) -> dict[str, float]:
    times = sorted(ms for _name, ms, _failed in rows)
    return {
        "requests": len(rows),
        "errors": sum(1 for *_rest, failed in rows if failed),
        "rps": len(rows) / seconds,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
    }


def table(by_page: dict[str, dict], total: dict) -> list[str]:
    lines = [
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, f in [*by_page.items(), ("**all pages**", total)]:
        lines.append(
            f"| {label} | {f['requests']:,} | {f['rps']:.1f} | {f['p50']:.0f} | {f['p95']:.0f} "
            f"| {f['p99']:.0f} | {f['errors']} |"
        )
    return lines


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("record", type=Path, help="the locustfile's requests.json")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--accounts", required=True)
    parser.add_argument("--load-before", required=True)
    parser.add_argument("--load-after", required=True)
    parser.add_argument("--baseline", type=Path, help="loadtest_baseline.py's figures")
    parser.add_argument("--append", type=Path)
    args = parser.parse_args()

    rows = json.loads(args.record.read_text())
    if not rows:
        raise SystemExit("locust requested no page: see var/loadtest/locust.log")
    total = figures(rows, args.seconds)
    by_page = {
        name: figures([r for r in rows if r[0] == name], args.seconds)
        for name in PAGES
        if any(r[0] == name for r in rows)
    }
    verdict = "met" if total["errors"] == 0 and total["p95"] < GOAL_P95_MS else "NOT met"
    slow = [name for name, f in by_page.items() if f["p95"] >= GOAL_P95_MS]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = [
        f"{args.users} users for {args.seconds} s, {args.accounts} accounts, {args.server}: "
        f"{total['rps']:.1f} requests/s, p50 {total['p50']:.0f} ms, p95 {total['p95']:.0f} ms, "
        f"p99 {total['p99']:.0f} ms, {total['errors']} errors "
        f"(goal: 0 errors and p95 < {GOAL_P95_MS} ms: {verdict}"
        + (f"; pages over it: {', '.join(slow)}" if slow else "")
        + ").",
        f"Load average (1/5/15 min) before: {args.load_before}; after: {args.load_after}.",
    ]
    if args.baseline and args.baseline.is_file():
        alone = json.loads(args.baseline.read_text())
        summary.append(
            "One user at a time, before the run (median / slowest ms): "
            + "; ".join(f"{k} {v['median']:.0f} / {v['max']:.0f}" for k, v in alone.items())
            + "."
        )
    print("\n".join(summary))
    print("\n".join(table(by_page, total)))
    if args.append:
        section = [
            "",
            f"### Load run of {when} (commit {commit()})",
            "",
            *summary,
            "",
            *table(by_page, total),
            "",
        ]
        with args.append.open("a") as handle:
            handle.write("\n".join(section))
        print(f"Appended to {args.append}.")


if __name__ == "__main__":
    main()
