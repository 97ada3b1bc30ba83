"""One account's life over the window, decided before any row is written.

A story fixes who the account is, when it arrived, its trial, its contracts (renewals, expansion,
contraction, churn, reactivation), its health curve, its contacts and its end users. The rows of
`activity` only read the story, so usage, tickets and surveys tell the same tale: in the 150 to
240 days before a churn the health curve falls, which thins usage, raises tickets, sours survey
answers, and often follows a champion's departure.

Every account draws from its own `random.Random`, seeded with the run's seed and its index, so
an account's story does not depend on how many accounts come before it.
"""

import math
import random
from dataclasses import dataclass, field

from accounts.demo.calendar import Window
from accounts.demo.people import Person, User, contacts_build, slug, users_build
from accounts.demo.vocabulary import FEATURES, REGION_WEIGHTS, REGIONS

SOURCES = ("base", "sales", "trial")  # customer before the window, sales-led logo, self-serve
SOURCE_WEIGHTS = (0.25, 0.27, 0.48)


@dataclass(frozen=True)
class Segment:
    name: str
    seats: tuple[int, int, int]  # low, high, mode
    seat_price: tuple[float, float]  # per seat and month, annual terms
    platform_fee: tuple[int, int]
    onboarding_fee: tuple[int, int]
    monthly_share: float  # share of customers on monthly terms
    churn_per_year: float
    tickets_per_year: float
    contacts: tuple[int, int]
    plan: str
    cac: float  # sales and marketing cost of one new logo, for the cost ledger


SEGMENTS = {
    "SMB": Segment(
        name="SMB",
        seats=(2, 9, 3),
        seat_price=(60, 120),
        platform_fee=(0, 0),
        onboarding_fee=(0, 0),
        monthly_share=0.45,
        churn_per_year=0.13,
        tickets_per_year=13,
        contacts=(2, 4),
        plan="Team",
        cac=2500,
    ),
    "Mid-Market": Segment(
        name="Mid-Market",
        seats=(5, 25, 10),
        seat_price=(85, 150),
        platform_fee=(0, 1000),
        onboarding_fee=(1500, 5000),
        monthly_share=0.12,
        churn_per_year=0.085,
        tickets_per_year=24,
        contacts=(3, 7),
        plan="Business",
        cac=9000,
    ),
    "Enterprise": Segment(
        name="Enterprise",
        seats=(20, 75, 30),
        seat_price=(130, 200),
        platform_fee=(2000, 6000),
        onboarding_fee=(8000, 25000),
        monthly_share=0.0,
        churn_per_year=0.055,
        tickets_per_year=45,
        contacts=(6, 12),
        plan="Enterprise",
        cac=30000,
    ),
}
SEGMENT_WEIGHTS = {  # by source: self-serve trials are mostly small companies
    "base": (0.50, 0.35, 0.15),
    "sales": (0.40, 0.40, 0.20),
    "trial": (0.78, 0.20, 0.02),
}


@dataclass
class Term:
    """One contract; days are window offsets, `end` inclusive."""

    start: int
    end: int
    seats: int
    mrr: int
    plan: str
    fee: int | None = None


@dataclass
class Span:
    """A stretch of product access `[start, end)`: a trial, paid terms, or a trial that converted.
    `paid` is the first paid day (None for a lost trial); `checkpoints` are (day, users wanted,
    days over which newcomers arrive)."""

    start: int
    end: int
    paid: int | None
    checkpoints: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass
class Story:
    index: int
    external_id: str
    name: str
    domain: str
    industry: str
    segment: Segment
    region: str
    owner_email: str
    role: str | None
    created: int
    rng: random.Random = field(repr=False)
    trial: int | None = None
    converted: int | None = None
    onboarded: int | None = None
    terms: list[Term] = field(default_factory=list)
    churns: list[int] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    declines: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of falls
    util: float = 0.8
    sentiment: float = 0.8
    features: list[int] = field(default_factory=list)  # feature indices, weighted by use
    core_features: list[int] = field(default_factory=list)
    contacts: list[Person] = field(default_factory=list)
    users: list[User] = field(default_factory=list)


def seeded_random(*parts: object) -> random.Random:
    """The generator's only source of randomness: reproducible, not cryptographic (S311 does
    not apply). A text seed is hashed the same way on every run, unlike hash(), so the same
    seed gives byte-identical files."""
    return random.Random(":".join(["northstar-demo", *map(str, parts)]))  # noqa: S311


def story_build(
    *,
    index: int,
    seed: int,
    window: Window,
    name: str,
    industry: str,
    owners: tuple[str, ...],
    role: str | None = None,
) -> Story:
    """Decide everything about one account; `role` forces a storyline (see `files.ROLES`)."""
    rng = seeded_random(seed, index)
    source = _source(rng, role)
    segment = SEGMENTS[rng.choices(tuple(SEGMENTS), SEGMENT_WEIGHTS[source])[0]]
    if role == "over_seated":
        segment = SEGMENTS["Mid-Market"]  # enough seats for the overflow to show every month
    domain = slug(name.replace(".", ""))
    story = Story(
        index=index,
        external_id=f"ACC-{index + 1:05d}",
        name=name,
        domain=f"{domain}.example",
        industry=industry,
        segment=segment,
        region=rng.choices(REGIONS, REGION_WEIGHTS)[0],
        owner_email=rng.choice(owners),
        role=role,
        created=0,
        rng=rng,
        sentiment=min(0.97, max(0.45, rng.gauss(0.8, 0.08))),
    )
    first_paid = _arrival(story, source, window)
    story.util = _utilisation(story)
    if first_paid is not None and first_paid <= window.last:
        _onboarding(story, first_paid, window)
        _contracts(story, first_paid, window)
    _spans(story, window)
    _health(story, window)
    contacts_build(story, window)
    users_build(story, window)
    _features(story)
    return story


def _source(rng: random.Random, role: str | None) -> str:
    if role == "trial_now":
        return "trial"
    if role is not None:
        return "base"
    return rng.choices(SOURCES, SOURCE_WEIGHTS)[0]


def _arrival(story: Story, source: str, window: Window) -> int | None:
    """Set created, trial and conversion days; return the first paid day (None: never paid)."""
    rng, segment = story.rng, story.segment
    if source == "base":
        first_paid = -rng.randint(30, 1000)
        story.created = first_paid - rng.randint(20, 200)
        if rng.random() < 0.4:
            story.trial = story.created + rng.randint(0, 5)
            story.converted = first_paid
        return first_paid
    if story.role == "trial_now":
        story.created = window.last - rng.randint(2, 18)
    else:
        # Arrivals grow over the window: the density doubles from the first day to the last.
        story.created = int(window.days * (math.sqrt(1 + 3 * rng.random()) - 1))
    if source == "sales":
        cycle = (45, 120) if segment.name == "Enterprise" else (14, 75)
        return story.created + rng.randint(*cycle)
    story.trial = min(story.created + rng.randint(0, 3), window.last)
    if story.role == "trial_now":
        return None
    length = 14 if segment.name == "SMB" else 30
    if rng.random() >= (0.5 if segment.name == "SMB" else 0.6):
        return None
    converted = story.trial + rng.randint(3, length + 5)
    if converted > window.last:
        return None  # still deciding on the as-of date
    story.converted = converted
    return converted + rng.randint(0, 2)


def _utilisation(story: Story) -> float:
    """End users per seat: most accounts leave seats unused, a few use more than they pay."""
    rng = story.rng
    if story.role == "over_seated":
        return rng.uniform(1.5, 1.8)
    if story.role is None and rng.random() < 0.07:
        return rng.uniform(1.15, 1.45)
    return min(1.0, max(0.4, rng.gauss(0.85, 0.13)))


def _contracts(story: Story, first_paid: int, window: Window) -> None:
    """Terms from the first paid day to the as-of date: renewals start the day after the
    previous term ends, at the same, more or fewer seats, until a churn (and maybe a return)."""
    rng, segment = story.rng, story.segment
    monthly = rng.random() < segment.monthly_share
    seats = round(rng.triangular(*segment.seats))
    price = rng.uniform(*segment.seat_price)
    platform = round(rng.randint(*segment.platform_fee), -2)
    fee = round(rng.randint(*segment.onboarding_fee), -2) or None
    start = first_paid
    while True:
        end = window.plus_months(start, 1 if monthly else 12) - 1
        mrr = round(seats * price * (1.15 if monthly else 1.0) + platform)
        plan = f"{segment.plan} {'Monthly' if monthly else 'Annual'}"
        story.terms.append(Term(start, end, seats, mrr, plan, fee))
        fee, following = None, end + 1
        if following > window.last:
            return  # the current term runs past the as-of date
        if following > 0 and _churns(story, following, monthly, window):
            story.churns.append(following)
            start = _return_day(story, following, window)
            if start is None:
                return
            seats = max(segment.seats[0], round(seats * rng.uniform(0.6, 1.0)))
            monthly = monthly or rng.random() < 0.3
            continue
        seats, price = _renewal_change(story, seats, price, monthly)
        start = following


def _churns(story: Story, day: int, monthly: bool, window: Window) -> bool:
    rng, role = story.rng, story.role
    if role == "churned":
        return not story.churns and 300 <= day <= window.last - 60
    if role == "reactivated":
        return not story.churns and 200 <= day <= window.last - 300
    if role is not None:
        return False
    yearly = story.segment.churn_per_year
    if len(story.terms) == 1:
        yearly *= 1.3  # the first renewal is the riskiest
    if story.util > 1:
        yearly *= 0.4
    if story.onboarded is None and story.converted is not None:
        yearly *= 2
    chance = 1 - (1 - yearly) ** (1 / 12) if monthly else yearly
    return rng.random() < chance


def _return_day(story: Story, churned: int, window: Window) -> int | None:
    """The first day of a reactivation contract, or None when the account stays gone."""
    rng = story.rng
    if story.role == "reactivated":
        return churned + rng.randint(90, 200)
    if story.role is not None or len(story.churns) > 1 or rng.random() >= 0.2:
        return None
    start = churned + rng.randint(60, 330)
    return start if start <= window.last else None


def _renewal_change(story: Story, seats: int, price: float, monthly: bool) -> tuple[int, float]:
    rng, low = story.rng, story.segment.seats[0]
    roll = rng.random()
    if monthly:
        if roll < (0.06 if story.util > 1 else 0.03):
            return seats + rng.randint(1, 3), price
        if roll > 0.98:
            return max(low, seats - rng.randint(1, 2)), price
        return seats, price
    if roll < (0.55 if story.util > 1 else 0.28):
        return math.ceil(seats * rng.uniform(1.1, 1.5)), price * rng.uniform(1.0, 1.05)
    if roll > (0.75 if story.util < 0.55 else 0.88):
        return max(low, math.floor(seats * rng.uniform(0.6, 0.9))), price
    return seats, price


def _onboarding(story: Story, first_paid: int, window: Window) -> None:
    rng = story.rng
    if rng.random() < 0.04 and story.role is None:
        return  # never finished onboarding
    low = 25 if story.segment.name == "Enterprise" else 10
    day = first_paid + rng.randint(low, 60)
    if day <= window.last:
        story.onboarded = day


def _spans(story: Story, window: Window) -> None:
    """Stretches of access: a lost trial alone, or a trial and the paid terms that follow it."""
    rng, trial_users = story.rng, story.rng.randint(1, 4)
    if story.trial is not None and not story.terms:
        length = (14 if story.segment.name == "SMB" else 30) + rng.randint(0, 10)
        end = min(story.trial + length, window.days)
        story.spans.append(Span(story.trial, end, None, [(story.trial, trial_users, 7)]))
    for term in story.terms:
        wanted = max(1, round(term.seats * story.util * rng.uniform(0.9, 1.1)))
        span = story.spans[-1] if story.spans and story.spans[-1].paid is not None else None
        if span is not None and span.end == term.start:
            span.checkpoints.append((term.start, wanted, 30))
            span.end = min(term.end + 1, window.days)
            continue
        span = Span(term.start, min(term.end + 1, window.days), term.start, [])
        if story.trial is not None and story.converted is not None and not story.spans:
            span.start = story.trial
            span.checkpoints.append((story.trial, trial_users, 7))
        span.checkpoints.append((term.start, wanted, 45))
        story.spans.append(span)


def _health(story: Story, window: Window) -> None:
    """A multiplier of activity per day, 1.0 when all is well: it falls before a churn, falls
    now for accounts at risk, and dips and recovers now and then for everyone else."""
    rng, health = story.rng, [1.0] * window.days
    story.health = health
    for churn in story.churns:
        silent = story.role is None and rng.random() < 0.15  # churn no metric could foresee
        floor = rng.uniform(0.75, 0.9) if silent else rng.uniform(0.15, 0.35)
        # Risk shows five to eight months ahead, as customer-success teams report it.
        length = rng.randint(150, 240)
        _slope(health, churn - length, churn, 1.0, floor)
        story.declines.append((churn - length, churn))
    if _at_risk(story, window):
        length = rng.randint(30, 90)
        _slope(health, window.days - length, window.days, 1.0, rng.uniform(0.3, 0.55))
        story.declines.append((window.days - length, window.days))
    for span in story.spans:
        if span.paid is None:
            continue
        for _year in range(max(0, (span.end - max(span.start, 0)) // 365 + 1)):
            if rng.random() >= 0.12:
                continue
            start = rng.randint(max(span.start, 0), max(span.start, 0, span.end - 1))
            if any(a - 60 <= start < b for a, b in story.declines):
                continue
            bottom = start + rng.randint(15, 40)
            depth = rng.uniform(0.45, 0.75)
            _slope(health, start, bottom, 1.0, depth)
            _slope(health, bottom, bottom + rng.randint(20, 50), depth, 1.0)


def _at_risk(story: Story, window: Window) -> bool:
    if not story.terms or story.terms[-1].end < window.last:
        return False
    if story.role == "at_risk":
        return True
    settled = story.spans[-1].start < window.last - 200
    return story.role is None and settled and story.rng.random() < 0.07


def _slope(health: list[float], start: int, end: int, top: float, bottom: float) -> None:
    """Multiply days [start, end) by a factor going linearly from `top` to `bottom`."""
    if end <= start:
        return
    step = (bottom - top) / (end - start)
    for day in range(max(start, 0), min(end, len(health))):
        health[day] *= top + step * (day - start)


def _features(story: Story) -> None:
    rng = story.rng
    breadth = {"SMB": 0.8, "Mid-Market": 1.0, "Enterprise": 1.3}[story.segment.name]
    for feature, (_key, _label, popularity, _events, _minutes) in enumerate(FEATURES):
        if popularity >= 0.9 or rng.random() < popularity * breadth:
            story.features.extend([feature] * round(popularity * 10))
            if popularity >= 0.9:
                story.core_features.extend([feature] * round(popularity * 10))
