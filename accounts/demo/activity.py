"""The rows one story produces: daily usage, support tickets and survey answers.

Usage is the hot path (millions of rows), so it samples only the days a user is active: gaps
between candidate days are drawn from a geometric distribution at the user's peak rate, and each
candidate is kept with the probability that day's weekday, season and account health allow
(thinning). Rows are built as ready-to-write text lines.
"""

import math
from dataclasses import dataclass

from accounts.demo.calendar import DAY_SECONDS, Window
from accounts.demo.story import Person, Story
from accounts.demo.vocabulary import COMMENTS, FEATURES, INTEGRATIONS, TICKET_SUBJECTS

PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (0.28, 0.47, 0.18, 0.07)
STRESSED_PRIORITY_WEIGHTS = (0.18, 0.42, 0.27, 0.13)
FIRST_RESPONSE_HOURS = {"urgent": 0.7, "high": 2.5, "normal": 6.0, "low": 14.0}  # medians
RESOLUTION_HOURS = {"urgent": 8.0, "high": 30.0, "normal": 60.0, "low": 120.0}
FIRST_CONTACT_RESOLUTION = {"urgent": 0.15, "high": 0.25, "normal": 0.4, "low": 0.5}
# Tuned so the demo averages about 50 tickets and 20 survey answers per account over 3 years.
TICKET_RATE = 2.25
NPS_EVERY_DAYS = 91
_NAMES = [feature[0] for feature in FEATURES]
_LABELS = [feature[1] for feature in FEATURES]
_MEAN_EVENTS = [feature[3] for feature in FEATURES]
_MINUTES_PER_EVENT = [feature[4] for feature in FEATURES]


def usage_lines(story: Story, window: Window) -> list[str]:
    """`account,user,date,feature,events,minutes,sessions` lines, one per user, day, feature."""
    rng, health, activity, dates = story.rng, story.health, window.activity, window.dates
    rand, log = rng.random, math.log
    pool, core = story.features, story.core_features
    lines: list[str] = []
    append = lines.append
    for user in story.users:
        start, end = max(user.start, 0), min(user.end, window.days)
        if start >= end:
            continue
        scale = 1.0 / log(1.0 - user.rate)
        prefix = f"{story.external_id},{user.uid},"
        intensity = 0.6 + user.rate * 8  # frequent users also do more per day
        day = start + int(log(1.0 - rand()) * scale)
        while day < end:
            level = health[day]
            if rand() < activity[day] * level:
                roll = rand()
                count = 1 if roll < 0.72 or level < 0.5 else (2 if roll < 0.93 else 3)
                choices = core if level < 0.5 and rand() < 0.7 else pool
                first = choices[int(rand() * len(choices))]
                picked = [first]
                for _ in range(count - 1):
                    other = pool[int(rand() * len(pool))]
                    if other not in picked:
                        picked.append(other)
                mood = intensity * (0.35 + 0.65 * level)
                for feature in picked:
                    if rand() < 0.01:
                        events = 0  # opened the page, did nothing
                    else:
                        events = int(-log(1.0 - rand()) * _MEAN_EVENTS[feature] * mood) + 1
                    minutes = int(events * _MINUTES_PER_EVENT[feature] * (0.5 + rand())) + 1
                    append(
                        f"{prefix}{dates[day]},{_NAMES[feature]},{events},{minutes},"
                        f"{1 + events // 25}\n"
                    )
            day += 1 + int(log(1.0 - rand()) * scale)
    return lines


@dataclass
class TicketOutcome:
    """What a survey after a ticket needs to know about it."""

    resolved: int  # seconds since the window's start (UTC)
    slow: bool


def ticket_rows(story: Story, window: Window) -> tuple[list[list[str]], list[TicketOutcome]]:
    """tickets.csv rows; more tickets, and more urgent ones, when the account's health is low
    and during the first two months of a contract."""
    rng, health = story.rng, story.health
    base = story.segment.tickets_per_year / 365 * TICKET_RATE
    peak = base * 4 * 2  # the most any day allows: low health (x4) while onboarding (x2)
    rows: list[list[str]] = []
    outcomes: list[TicketOutcome] = []
    for span in story.spans:
        moment = max(span.start, 0) + rng.expovariate(peak)
        while moment < span.end:
            day = int(moment)
            moment += rng.expovariate(peak)
            level = health[day]
            rate = base * (1 + 3 * (1 - level))
            if span.paid is not None and span.paid <= day < span.paid + 60:
                rate *= 2
            if window.weekday(day) >= 5:
                rate *= 0.15
            if span.paid is None or day < span.paid:
                rate *= 0.5  # trials ask less
            if rng.random() * peak >= rate:
                continue
            row, outcome = _ticket(story, window, day, len(rows) + 1)
            rows.append(row)
            if outcome is not None:
                outcomes.append(outcome)
    return rows, outcomes


def _ticket(story: Story, window: Window, day: int, number: int):
    rng, level = story.rng, story.health[day]
    weights = STRESSED_PRIORITY_WEIGHTS if level < 0.7 else PRIORITY_WEIGHTS
    priority = rng.choices(PRIORITIES, weights)[0]
    weekend = window.weekday(day) >= 5
    if not weekend and rng.random() < 0.88:
        second = 8 * 3600 + int(rng.random() * 10 * 3600)  # office hours
    else:
        second = int(rng.random() * DAY_SECONDS)
    opened = window.local_seconds(day, second)
    hours = FIRST_RESPONSE_HOURS[priority] * math.exp(rng.gauss(0, 0.8))
    stressed = level < 0.6  # an unhappy account's issues are harder and linger
    hours *= (2.5 if weekend else 1.0) * (2.0 if stressed else 1.0)
    if story.segment.name == "Enterprise":
        hours *= 0.7
    responded = opened + max(60, int(hours * 3600))
    if rng.random() < FIRST_CONTACT_RESOLUTION[priority]:
        first_contact, resolved = True, responded + int(rng.random() * 1200)
    else:
        first_contact = False
        hours = RESOLUTION_HOURS[priority] * math.exp(rng.gauss(0, 0.9)) * (2 if stressed else 1)
        resolved = max(responded + 600, opened + int(hours * 3600))
        if rng.random() < (0.06 if stressed else 0.02):
            resolved = None  # fell through the cracks
    end = window.end_seconds
    if responded >= end:
        responded = resolved = None
    elif resolved is not None and resolved >= end:
        resolved = None
    subject = _fill(story, rng.choice(TICKET_SUBJECTS[priority]))
    row = [
        f"TCK-{story.index + 1:05d}-{number:04d}",
        story.external_id,
        subject,
        priority,
        window.stamp(opened),
        "" if responded is None else window.stamp(responded),
        "" if resolved is None else window.stamp(resolved),
        "" if resolved is None else ("true" if first_contact else "false"),
    ]
    if resolved is None:
        return row, None
    return row, TicketOutcome(resolved, slow=(resolved - opened) > 72 * 3600)


def survey_rows(story: Story, window: Window, outcomes: list[TicketOutcome]) -> list[list[str]]:
    """surveys.csv rows: quarterly NPS from contacts of paying accounts, CSAT and sometimes CES
    after a resolved ticket, CES after onboarding. Answers follow the account's health."""
    rng, rows = story.rng, []
    for campaign in range(30, window.days, NPS_EVERY_DAYS):
        span = _paid_span_at(story, campaign)
        if span is None or campaign < span.paid + 45:
            continue
        for person in _present(story, campaign + 14):
            if rng.random() < (0.45 if person.champion else 0.22):
                day = min(campaign + int(rng.expovariate(1 / 3)), campaign + 13, span.end - 1)
                _answer(story, window, rows, "nps", _office_time(story, window, day), person)
    for outcome in outcomes:
        roll = rng.random()
        if roll < 0.28:
            kind = "csat" if roll < 0.22 else "ces"
            moment = outcome.resolved + int(rng.expovariate(1 / (8 * 3600)))
            people = _present(story, moment // DAY_SECONDS)
            person = rng.choice(people) if people and rng.random() < 0.95 else None
            _answer(story, window, rows, kind, moment, person, slow=outcome.slow)
    if story.onboarded is not None and story.onboarded >= 0:
        day = story.onboarded + rng.randint(1, 10)
        for person in _present(story, day):
            if person.champion and rng.random() < 0.7:
                _answer(story, window, rows, "ces", _office_time(story, window, day), person)
    return rows


def _paid_span_at(story: Story, day: int):
    for span in story.spans:
        if span.paid is not None and span.paid <= day < span.end:
            return span
    return None


def _present(story: Story, day: int) -> list[Person]:
    return [
        person
        for person in story.contacts
        if person.since <= day and (person.left is None or person.left > day)
    ]


def _office_time(story: Story, window: Window, day: int) -> int:
    return window.local_seconds(day, 8 * 3600 + int(story.rng.random() * 10 * 3600))


def _answer(story, window, rows, kind, moment, person, *, slow=False) -> None:
    if moment >= window.end_seconds:
        return
    rng, day = story.rng, min(moment // DAY_SECONDS, window.last)
    mood = story.sentiment * (0.3 + 0.7 * story.health[max(day, 0)])
    if any(p.champion and p.left is not None and 0 <= day - p.left < 90 for p in story.contacts):
        mood -= 0.12
    mood -= 0.15 if slow else 0.0
    if kind == "nps":
        score = _clamp(rng.gauss(1.8 + 7.6 * mood, 1.4), 0, 10)
        tone = "positive" if score >= 9 else ("neutral" if score >= 7 else "negative")
    elif kind == "csat":
        score = _clamp(rng.gauss(1.2 + 4.0 * mood, 0.7), 1, 5)
        tone = "positive" if score >= 4 else ("neutral" if score == 3 else "negative")
    else:
        score = _clamp(rng.gauss(1.3 + 5.8 * mood, 0.9), 1, 7)
        tone = "positive" if score >= 6 else ("neutral" if score >= 4 else "negative")
    chance = {"nps": 0.55, "csat": 0.35, "ces": 0.3}[kind]
    comment = _comment(story, tone) if rng.random() < chance else ""
    rows.append(
        [
            f"SRV-{story.index + 1:05d}-{len(rows) + 1:04d}",
            story.external_id,
            "" if person is None else person.external_id,
            kind,
            str(score),
            comment,
            window.stamp(moment),
        ]
    )


def _comment(story: Story, tone: str) -> str:
    rng, choices = story.rng, COMMENTS[tone]
    first = rng.choice(choices)
    if rng.random() < 0.3:
        second = rng.choice(choices)
        if second != first:
            # Now and then a comment spans two lines, as pasted answers do.
            joiner = "\n" if rng.random() < 0.1 else " "
            first = f"{first}{joiner}{second}"
    return _fill(story, first)


def _fill(story: Story, text: str) -> str:
    rng = story.rng
    if "{feature}" in text:
        text = text.replace("{feature}", _LABELS[rng.choice(story.features)])
    if "{integration}" in text:
        text = text.replace("{integration}", rng.choice(INTEGRATIONS))
    if "{n}" in text:
        text = text.replace("{n}", str(rng.randint(2, 40)))
    return text


def _clamp(value: float, low: int, high: int) -> int:
    return min(high, max(low, round(value)))
