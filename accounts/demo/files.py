"""Write the demo's CSV files (kpi-spec section 2): one pass over the accounts, seven files.

The same seed, as-of date and zone give byte-identical files: every random draw comes from a
seeded `random.Random`, nothing iterates over a set, and numbers are formatted explicitly.
"""

import csv
import random
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from accounts.demo.activity import survey_rows, ticket_rows, usage_lines
from accounts.demo.calendar import Window
from accounts.demo.story import Story, seeded_random, story_build
from accounts.demo.users import CSM_EMAILS
from accounts.demo.vocabulary import COMPANY_STEMS, COMPANY_TAILS, INDUSTRY_WORDS, LEGAL_FORMS

HEADERS = {
    "accounts": "external_id,name,segment,industry,region,owner_email,created_on,"
    "trial_started_on,converted_on,onboarded_on",
    "contacts": "external_id,account_external_id,name,email,title,is_champion,left_on",
    "contracts": "external_id,account_external_id,plan,start_date,end_date,mrr,seats,one_time_fee",
    "tickets": "external_id,account_external_id,subject,priority,opened_at,first_response_at,"
    "resolved_at,resolved_on_first_contact",
    "usage": "account_external_id,user_id,date,feature,events,minutes,sessions",
    "surveys": "external_id,account_external_id,contact_external_id,kind,score,comment,"
    "responded_at",
    "costs": "month,sales_marketing_spend,retention_spend",
}
# Storylines every demo has at least a few of, whatever its size, so each page has something to
# show: accounts that churned, came back, are sliding now, outgrew their seats, or are in trial.
ROLES = (
    ("churned", 3),
    ("reactivated", 2),
    ("at_risk", 2),
    ("over_seated", 2),
    ("trial_now", 2),
)
USAGE_BATCH = 200_000  # lines per writelines() call

Log = Callable[[str], None]


def demo_files_write(
    directory: Path,
    *,
    accounts: int,
    seed: int,
    today: date,
    zone: str = "UTC",
    log: Log | None = None,
    hierarchy: bool = False,
) -> dict[str, int]:
    """Write the seven CSV files for `accounts` accounts with three years of history ending on
    `today` into `directory`; return the rows written per file kind. With `hierarchy`, every
    account is in a company group of GROUP_SIZE, three levels deep (see parent_index)."""
    started = time.perf_counter()
    window = Window(today, zone)
    rng = seeded_random(seed)
    names = _company_names(rng, accounts)
    roles = _roles(rng, accounts)
    ledger = _CostLedger(window)
    counts = dict.fromkeys(HEADERS, 0)
    report_every = max(1, accounts // 10)
    with ExitStack() as stack:
        handles = {
            kind: stack.enter_context((directory / f"{kind}.csv").open("w", newline=""))
            for kind in HEADERS
        }
        for kind, handle in handles.items():
            parents = f",{PARENT_COLUMN}" if hierarchy and kind == "accounts" else ""
            handle.write(HEADERS[kind] + parents + "\n")
        writers = {
            kind: csv.writer(handle, lineterminator="\n") for kind, handle in handles.items()
        }
        pending: list[str] = []
        for index in range(accounts):
            name, industry = names[index]
            story = story_build(
                index=index,
                seed=seed,
                window=window,
                name=name,
                industry=industry,
                owners=CSM_EMAILS,
                role=roles.get(index),
            )
            # The parent's column, empty for a group's top, when the demo has groups.
            extra = [_parent_id(parent_index(index))] if hierarchy else []
            _write_story(story, window, writers, counts, extra=extra)
            lines = usage_lines(story, window)
            pending.extend(lines)
            counts["usage"] += len(lines)
            if len(pending) >= USAGE_BATCH:
                handles["usage"].writelines(pending)
                pending.clear()
            ledger.add(story)
            if log and ((index + 1) % report_every == 0 or index + 1 == accounts):
                seconds = time.perf_counter() - started
                log(
                    f"  {index + 1:,}/{accounts:,} accounts, {counts['usage']:,} usage rows, "
                    f"{counts['tickets']:,} tickets ({seconds:.1f} s)"
                )
        handles["usage"].writelines(pending)
        rows = ledger.rows(rng, accounts)
        writers["costs"].writerows(rows)
        counts["costs"] = len(rows)
    return counts


GROUP_SIZE = 10
PARENT_COLUMN = "parent_external_id"


def parent_index(index: int) -> int | None:
    """The demo's company groups (`make bench`'s hierarchy): accounts in blocks of GROUP_SIZE,
    the first of a block its parent company, the next three its subsidiaries, and the other six
    two subsidiaries' subsidiaries each (depth 3). A last, short block keeps the same shape."""
    root, position = index - index % GROUP_SIZE, index % GROUP_SIZE
    if position == 0:
        return None
    if position <= 3:
        return root
    return root + 1 + (position - 4) // 2


def _parent_id(index: int | None) -> str:
    return "" if index is None else f"ACC-{index + 1:05d}"  # as story_build names accounts


def _write_story(
    story: Story, window: Window, writers, counts: dict[str, int], *, extra: list[str]
) -> None:
    iso = window.iso
    lifecycle = (story.trial, story.converted, story.onboarded)
    writers["accounts"].writerow(
        [
            story.external_id,
            story.name,
            story.segment.name,
            story.industry,
            story.region,
            story.owner_email,
            iso(story.created),
            *("" if day is None else iso(day) for day in lifecycle),
            *extra,
        ]
    )
    counts["accounts"] += 1
    contacts = [
        [
            person.external_id,
            story.external_id,
            person.name,
            person.email,
            person.title,
            "true" if person.champion else "false",
            "" if person.left is None else iso(person.left),
        ]
        for person in story.contacts
    ]
    contracts = [
        [
            f"CTR-{story.index + 1:05d}-{number:03d}",
            story.external_id,
            term.plan,
            iso(term.start),
            iso(term.end),
            f"{term.mrr}.00",
            str(term.seats),
            "" if term.fee is None else f"{term.fee}.00",
        ]
        for number, term in enumerate(story.terms, start=1)
    ]
    tickets, outcomes = ticket_rows(story, window)
    surveys = survey_rows(story, window, outcomes)
    for kind, rows in (
        ("contacts", contacts),
        ("contracts", contracts),
        ("tickets", tickets),
        ("surveys", surveys),
    ):
        writers[kind].writerows(rows)
        counts[kind] += len(rows)


def _company_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Distinct (name, industry) pairs: stem + tail + industry word, e.g. "Cedarstone Freight"."""
    tails = list(dict.fromkeys(COMPANY_TAILS))
    words = [(industry, word) for industry, group in INDUSTRY_WORDS.items() for word in group]
    total = len(COMPANY_STEMS) * len(tails) * len(words)
    names = []
    for round_, number in enumerate(_distinct_numbers(rng, total, count)):
        combination, word_index = divmod(number % total, len(words))
        stem, tail = divmod(combination, len(tails))
        industry, word = words[word_index]
        legal = rng.choice(LEGAL_FORMS)
        base = f"{COMPANY_STEMS[stem]}{tails[tail]} {word}"
        suffix = f" {round_ // total + 1}" if round_ >= total else ""
        names.append((f"{base}{suffix} {legal}".strip(), industry))
    return names


def _distinct_numbers(rng: random.Random, total: int, count: int) -> list[int]:
    numbers = []
    while len(numbers) < count:
        numbers.extend(rng.sample(range(total), min(total, count - len(numbers))))
    return numbers


def _roles(rng: random.Random, accounts: int) -> dict[int, str]:
    wanted = [role for role, times in ROLES for _ in range(times)]
    indices = rng.sample(range(accounts), min(accounts, len(wanted)))
    return dict(zip(indices, wanted, strict=False))


class _CostLedger:
    """Monthly spend that follows the story: sales and marketing grows with new logos (at each
    segment's acquisition cost), retention spend with the customers being served."""

    def __init__(self, window: Window):
        self.window = window
        self.months = window.month_starts()
        self.new_cost = [0.0] * len(self.months)
        self.trials = [0] * len(self.months)
        self.customers = [0] * len(self.months)

    def _month(self, day: int) -> int | None:
        if day < 0 or day > self.window.last:
            return None
        month = self.window.date(day)
        first = self.window.offset(month.replace(day=1))
        return self.months.index(first)

    def add(self, story: Story) -> None:
        if story.terms and story.terms[0].start >= 0:
            month = self._month(story.terms[0].start)
            if month is not None:
                self.new_cost[month] += story.segment.cac
        if story.trial is not None and (month := self._month(story.trial)) is not None:
            self.trials[month] += 1
        for span in story.spans:
            if span.paid is None:
                continue
            for month, first in enumerate(self.months):
                if max(span.paid, span.start) <= first < span.end:
                    self.customers[month] += 1

    def rows(self, rng: random.Random, accounts: int) -> list[list[str]]:
        rows = []
        for month, first in enumerate(self.months):
            growth = 1 + 0.5 * month / max(1, len(self.months) - 1)
            brand = accounts * 2.5 * growth * rng.uniform(0.85, 1.15)
            acquisition = self.new_cost[month] * rng.uniform(0.8, 1.25) + self.trials[month] * 120
            team = accounts * 1.5 * rng.uniform(0.95, 1.05)
            retention = self.customers[month] * 38 * rng.uniform(0.9, 1.1) + team
            month_text = self.window.date(first).strftime("%Y-%m")
            rows.append([month_text, f"{brand + acquisition:.2f}", f"{retention:.2f}"])
        return rows
