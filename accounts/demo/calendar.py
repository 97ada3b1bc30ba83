"""The demo's time axis: three years of days ending on the as-of date, as integer offsets.

Everything in the generator counts days from the window's first day (offset 0) because integer
arithmetic and list lookups are what keep five million usage rows fast; dates and timestamps are
turned into text only when a row is written, from strings computed once here.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

DAY_SECONDS = 86_400
# Activity by weekday, Monday first: a B2B product is barely touched at weekends.
WEEKDAY_ACTIVITY = (0.95, 1.0, 1.0, 1.0, 0.85, 0.10, 0.07)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (day.day, 30, 29, 28):  # the same day, or the month's last one
        try:
            return date(year, month + 1, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _season(day: date) -> float:
    """Holidays and summer slow everybody down a little."""
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1):
        return 0.35
    if (day.month == 12 and day.day >= 17) or (day.month == 1 and day.day <= 6):
        return 0.75
    if day.month == 8:
        return 0.85
    return 1.0


@dataclass
class Window:
    """Days `0 .. days - 1` are `start .. today`; `zone` places office hours in UTC."""

    today: date
    zone: str = "UTC"
    start: date = field(init=False)
    days: int = field(init=False)
    dates: list[str] = field(init=False, repr=False)  # ISO text of every day in the window
    activity: list[float] = field(init=False, repr=False)  # weekday x season factor, <= 1
    utc_offsets: list[int] = field(init=False, repr=False)  # the zone's offset at noon, seconds
    _extra: dict[int, str] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.start = years_before(self.today, 3) + timedelta(days=1)
        self.days = (self.today - self.start).days + 1
        every_day = [self.start + timedelta(days=offset) for offset in range(self.days)]
        self.dates = [day.isoformat() for day in every_day]
        self.activity = [WEEKDAY_ACTIVITY[day.weekday()] * _season(day) for day in every_day]
        zone = zoneinfo.ZoneInfo(self.zone)
        self.utc_offsets = [
            int(datetime.combine(day, time(12), zone).utcoffset().total_seconds())
            for day in every_day
        ]

    @property
    def last(self) -> int:
        """The offset of the as-of date."""
        return self.days - 1

    @property
    def end_seconds(self) -> int:
        """The first second after the as-of date ends, in the local zone (as UTC seconds)."""
        return self.days * DAY_SECONDS - self.utc_offsets[-1]

    def date(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    def offset(self, day: date) -> int:
        return (day - self.start).days

    def iso(self, offset: int) -> str:
        if 0 <= offset < self.days:
            return self.dates[offset]
        text = self._extra.get(offset)
        if text is None:
            text = self._extra[offset] = self.date(offset).isoformat()
        return text

    def plus_months(self, offset: int, months: int) -> int:
        return self.offset(add_months(self.date(offset), months))

    def weekday(self, offset: int) -> int:
        return (self.start.weekday() + offset) % 7

    def local_seconds(self, offset: int, seconds_of_day: int) -> int:
        """A local wall-clock time on day `offset` as seconds since the window's start in UTC."""
        zone_offset = self.utc_offsets[min(max(offset, 0), self.days - 1)]
        return offset * DAY_SECONDS + seconds_of_day - zone_offset

    def stamp(self, seconds: int) -> str:
        """ISO 8601 in UTC for seconds since the window's first day began in UTC."""
        day, rest = divmod(seconds, DAY_SECONDS)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{self.iso(day)}T{hours:02d}:{minutes:02d}:{secs:02d}Z"

    def month_starts(self) -> list[int]:
        """The offset of the first day of every calendar month that meets the window."""
        first = self.start.replace(day=1)
        offsets = []
        while first <= self.today:
            offsets.append(self.offset(first))
            first = add_months(first, 1)
        return offsets
