"""The people in a story: contacts at the customer (who answer surveys, and whose champions
sometimes leave) and the end users whose daily activity becomes usage rows."""

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.demo.calendar import Window
from accounts.demo.vocabulary import CHAMPION_TITLES, CONTACT_TITLES, FIRST_NAMES, LAST_NAMES

if TYPE_CHECKING:
    from accounts.demo.story import Span, Story

# Mean weekday probability that one end user is active on a given day, tuned with the seat
# counts so that the demo averages about 500 usage rows per account while most users are active
# in any 30 days (seat utilisation ~70 %); the price is a low stickiness (DAU/MAU ~9 %).
USER_ACTIVITY = 0.11


@dataclass
class Person:
    """A contact at the customer; `since` is internal (when they can answer surveys)."""

    external_id: str
    name: str
    email: str
    title: str
    champion: bool
    since: int
    left: int | None = None


@dataclass
class User:
    """An end user of the product, active in `[start, end)` with a daily probability `rate`."""

    uid: str
    start: int
    end: int
    rate: float


def contacts_build(story: "Story", window: Window) -> None:
    """The customer's people: a few contacts, one or two of them champions; some leave."""
    rng, segment = story.rng, story.segment
    count = rng.randint(*segment.contacts)
    champions = 1 + (segment.name != "SMB" and rng.random() < 0.35)
    last_access = max((span.end for span in story.spans), default=story.created + 30) - 1
    for number in range(count):
        champion = number < champions
        person = _person(story, champion, since=story.created)
        person.left = _leaving_day(story, person, min(last_access, window.last), window)
        story.contacts.append(person)
        if champion and person.left is not None and rng.random() < 0.6:
            since = person.left + rng.randint(15, 90)
            if since <= min(last_access, window.last):
                story.contacts.append(_person(story, True, since=since))


def _person(story: "Story", champion: bool, since: int) -> Person:
    rng = story.rng
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    number = len(story.contacts) + 1
    local = slug(f"{first}.{last}").replace("-", "")
    taken = {person.email for person in story.contacts}
    email = f"{local}@{story.domain}"
    if email in taken:
        email = f"{local}{number}@{story.domain}"
    title = rng.choice(CHAMPION_TITLES if champion else CONTACT_TITLES)
    external_id = f"CON-{story.index + 1:05d}-{number:02d}"
    return Person(external_id, f"{first} {last}", email, title, champion, since)


def _leaving_day(story: "Story", person: Person, last_access: int, window: Window) -> int | None:
    """Champions of churning accounts often leave shortly before the churn; anyone else leaves
    now and then (about one in ten a year)."""
    rng = story.rng
    if person.champion and story.churns and rng.random() < 0.55:
        day = story.churns[0] - rng.randint(20, 150)
        return day if day > max(person.since, 0) else None
    sliding_now = bool(story.declines) and story.declines[-1][1] == window.days
    if person.champion and sliding_now and rng.random() < 0.5:
        return window.last - rng.randint(0, 80)
    first = max(person.since, 0) + 30
    if first >= last_access:
        return None
    years = (last_access - first) / 365
    if rng.random() < 1 - 0.9**years:
        return rng.randint(first, last_access)
    return None


def users_build(story: "Story", window: Window) -> None:
    """End users per span: seats times utilisation, arriving over onboarding, growing and
    shrinking with renewals, leaving early during a decline, replaced when they quit."""
    rng, number = story.rng, 0
    # Accounts with more users than seats are the engaged ones: nobody there is a rare visitor.
    least = 0.12 if story.util > 1 else 0.01
    for span in story.spans:
        slots = _slots(story, span)
        for slot in slots:
            start, end = slot
            while start < end:
                leave = min(end, start + 60 + int(rng.expovariate(1 / 900)))
                if leave > 0 and start < window.days:
                    number += 1
                    rate = min(0.9, max(least, USER_ACTIVITY * rng.gammavariate(3.0, 1 / 3)))
                    story.users.append(User(f"u{number:04d}", start, leave, rate))
                start = leave + rng.randint(5, 40)


def _slots(story: "Story", span: "Span") -> list[list[int]]:
    """Seats in use over a span as [start, end) pairs, following its checkpoints."""
    rng, open_slots, closed = story.rng, [], []
    for day, wanted, ramp in span.checkpoints:
        while len(open_slots) < wanted:
            open_slots.append([day + int(rng.random() * ramp), span.end])
        while len(open_slots) > wanted:
            slot = open_slots.pop(int(rng.random() * len(open_slots)))
            slot[1] = max(slot[0] + 1, day - int(rng.random() * 20))
            closed.append(slot)
    for start, end in story.declines:
        if start < span.end and end >= span.end:  # users drift away before a churn
            for slot in open_slots:
                if slot[0] < span.end and rng.random() < 0.4:
                    slot[1] = max(slot[0] + 1, rng.randint(max(start, slot[0]), span.end))
    return [slot for slot in closed + open_slots if slot[0] < slot[1]]


_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "ł": "l"})


def slug(text: str) -> str:
    """Lower-case ASCII letters, digits, dots and single hyphens: "Søren.O'Brien" gives
    "soren.o-brien"."""
    text = text.translate(_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = "".join(char if char.isalnum() or char == "." else "-" for char in ascii_text.lower())
    return "-".join(part for part in cleaned.split("-") if part)
