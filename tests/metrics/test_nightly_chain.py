"""The nightly chain after a snapshot is the ordered list in settings.AFTER_SNAPSHOT_STEPS:
metrics runs its steps in that order, inside the date's transaction, and nothing else joins it."""

from datetime import date

import pytest
from django.conf import settings as django_settings

from metrics.models import AccountSnapshot
from metrics.services import after_snapshot_steps, snapshot_recompute
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 3, 31)
ran: list[tuple[str, date, int]] = []


def first(as_of: date) -> None:
    """Records that it ran, and that the date's rows were already stored."""
    ran.append(("first", as_of, AccountSnapshot.objects.filter(as_of=as_of).count()))


def second(as_of: date) -> None:
    ran.append(("second", as_of, AccountSnapshot.objects.filter(as_of=as_of).count()))


@pytest.fixture(autouse=True)
def fresh_record():
    ran.clear()
    yield
    ran.clear()


def test_the_steps_run_in_the_order_of_the_settings_list(settings):
    AccountFactory()
    settings.AFTER_SNAPSHOT_STEPS = [f"{__name__}.second", f"{__name__}.first"]

    snapshot_recompute(as_of=AS_OF)

    assert ran == [("second", AS_OF, 1), ("first", AS_OF, 1)]


def test_reversing_the_list_reverses_the_chain(settings):
    AccountFactory()
    settings.AFTER_SNAPSHOT_STEPS = [f"{__name__}.first", f"{__name__}.second"]

    snapshot_recompute(as_of=AS_OF)

    assert [name for name, _day, _rows in ran] == ["first", "second"]


def test_an_empty_list_runs_no_step(settings):
    settings.AFTER_SNAPSHOT_STEPS = []

    snapshot_recompute(as_of=AS_OF)

    assert ran == []
    assert after_snapshot_steps() == ()


def test_the_declared_chain_runs_each_step_after_what_it_reads():
    steps = django_settings.AFTER_SNAPSHOT_STEPS
    position = {path: n for n, path in enumerate(steps)}
    # Scores and alerts first: every other step reads them.
    assert steps[0] == "healthscores.services.score_snapshot_date"
    scores = "healthscores.services.score_snapshot_date"
    # (reader, what it reads)
    for reader, read in [
        ("playbooks.services.evaluate_after_snapshot", scores),
        ("renewals.services.forecast_after_snapshot", "renewals.services.outcomes_after_snapshot"),
        ("notifications.services.notify_after_snapshot", scores),
    ]:
        assert position[read] < position[reader], (reader, read)
    churn = [path for path in steps if path.startswith("churn.")]
    for path in churn:  # the forecast reads the night's churn probabilities
        assert position[path] < position["renewals.services.forecast_after_snapshot"]
    assert len(after_snapshot_steps()) == len(steps) == len(set(steps))
