"""Freshness: the "data as of" line of every page, from the last snapshot run and imports."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import ImportLog
from accounts.selectors import last_imports_by_kind
from metrics.models import SnapshotRun
from metrics.selectors import latest_snapshot_run

# A snapshot older than this (from the end of its as-of day) means a nightly run was missed.
STALE_AFTER = timedelta(hours=36)


@dataclass(frozen=True)
class DataFreshness:
    run: SnapshotRun | None
    imports: list[ImportLog]
    now: datetime

    @property
    def as_of(self) -> date | None:
        return self.run.as_of if self.run else None

    @property
    def age(self) -> timedelta | None:
        """Time since the end of the newest snapshot's as-of day (workspace time zone)."""
        if self.run is None:
            return None
        day_end = datetime.combine(
            self.run.as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )
        return self.now - day_end

    @property
    def age_hours(self) -> int | None:
        return int(self.age.total_seconds() // 3600) if self.age is not None else None

    @property
    def is_stale(self) -> bool:
        return self.run is None or self.age > STALE_AFTER


def data_freshness() -> DataFreshness:
    """The last completed snapshot run and the last import of each source: two queries."""
    imports = sorted(last_imports_by_kind().values(), key=lambda log: log.kind)
    return DataFreshness(run=latest_snapshot_run(), imports=imports, now=timezone.now())
