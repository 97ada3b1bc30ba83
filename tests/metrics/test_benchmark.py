"""`make bench` times pages on a data set with snapshots: the history it computes first."""

from datetime import timedelta

from metrics import benchmark
from metrics.models import SnapshotRun
from metrics.services import snapshot_recompute, yesterday
from tests.factories import AccountFactory


def test_the_bench_computes_only_the_missing_dates_of_its_history_once(db):
    AccountFactory.create_batch(3)
    last = yesterday()
    snapshot_recompute(as_of=last - timedelta(days=1))  # one date already there

    assert benchmark.history_seconds(days=4) is not None

    dates = set(SnapshotRun.objects.values_list("as_of", flat=True))
    assert dates == {last - timedelta(days=back) for back in range(4)}
    assert benchmark.history_seconds(days=4) is None  # nothing missing: nothing recomputed
