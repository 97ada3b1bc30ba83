"""Playbooks run in the nightly job, after that night's health scores and alerts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from healthscores.services import score_snapshot_date
from metrics import services as metrics_services
from metrics.services import snapshot_recompute
from playbooks.models import PlaybookRun
from playbooks.services import evaluate_after_snapshot
from tests.factories import AccountFactory, ContractFactory
from tests.playbooks.conftest import make_playbook

pytestmark = pytest.mark.django_db


def test_the_playbooks_step_runs_after_the_health_scores_step():
    steps = metrics_services.after_snapshot_steps()
    assert steps.index(score_snapshot_date) < steps.index(evaluate_after_snapshot)


def test_the_nightly_snapshot_of_yesterday_enrols_accounts_with_that_nights_band(queued_runs):
    yesterday = timezone.localdate() - timedelta(days=1)
    playbook = make_playbook(
        "renewal_within", days=90, conditions=[("health_band", "in", "red, yellow, unknown")]
    )
    account = AccountFactory(name="Renewing")
    ContractFactory(account=account, start_date=yesterday - timedelta(days=300),
                    end_date=yesterday + timedelta(days=40))  # fmt: skip

    snapshot_recompute(as_of=yesterday)

    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.account == account and run.signal == f"renewal:{yesterday + timedelta(days=40)}"


def test_a_backfill_of_past_dates_starts_no_playbook(queued_runs):
    make_playbook("renewal_within", days=90)
    account = AccountFactory()
    long_ago = timezone.localdate() - timedelta(days=100)
    ContractFactory(account=account, start_date=long_ago - timedelta(days=300),
                    end_date=long_ago + timedelta(days=40))  # fmt: skip

    snapshot_recompute(as_of=long_ago)

    assert not PlaybookRun.objects.exists()
