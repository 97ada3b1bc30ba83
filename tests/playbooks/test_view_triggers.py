"""Playbooks that fire when an account enters or leaves a view, run by the nightly chain.

The snapshots here are the engine's own (metrics.services.snapshot_recompute, which runs the
chain of settings.AFTER_SNAPSHOT_STEPS: scores, then playbooks), from contracts, so the view's
MRR criterion reads what the night computed. The first night records who is in the view; only
later changes are entries and departures.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import View, ViewMembership
from accounts.services import view_memberships_refresh
from metrics.services import snapshot_recompute
from playbooks.models import PlaybookRun
from tests.factories import AccountFactory, ContractFactory
from tests.playbooks.conftest import AS_OF, make_playbook

pytestmark = pytest.mark.django_db
NEXT = AS_OF + timedelta(days=1)


def enrolled(playbook) -> dict[str, str]:
    return {run.account.name: run.signal for run in PlaybookRun.objects.filter(playbook=playbook)}


def night(today_is, day) -> None:
    """The nightly job for `day`, run the morning after (playbooks act on the newest day)."""
    today_is(day + timedelta(days=1))
    snapshot_recompute(as_of=day)


@pytest.fixture
def big_enterprise():
    """The view: Enterprise accounts paying at least 2,000 a month."""
    return View.objects.create(
        name="Big enterprise", visibility="shared",
        definition={"segment": "Enterprise", "mrr_min": "2000"},
    )  # fmt: skip


def test_entering_and_leaving_a_view_start_their_playbooks_in_the_nightly_chain(
    today_is, big_enterprise
):
    entered = make_playbook("view_entered", view=big_enterprise)
    left = make_playbook("view_left", view=big_enterprise)
    staying = AccountFactory(name="Staying", segment="Enterprise")
    joining = AccountFactory(name="Joining", segment="SMB")
    leaving = AccountFactory(name="Leaving", segment="Enterprise")
    for account in (staying, joining, leaving):
        ContractFactory(account=account, mrr=Decimal("3000.00"))

    night(today_is, AS_OF)  # the baseline: Staying and Leaving were there, nobody entered
    assert (enrolled(entered), enrolled(left)) == ({}, {})
    joining.segment, leaving.segment = "Enterprise", "SMB"
    joining.save()
    leaving.save()
    night(today_is, NEXT)

    assert enrolled(entered) == {"Joining": f"view_in:{NEXT}"}
    assert enrolled(left) == {"Leaving": f"view_out:{NEXT}"}
    run = PlaybookRun.objects.get(playbook=entered)
    assert run.trigger_values == {"view": "Big enterprise", "entered_on": NEXT.isoformat()}
    assert run.steps.count() == 1  # its action, queued like any run's


def test_a_view_is_left_when_its_figures_change(today_is, big_enterprise):
    """The MRR criterion is read on the night's snapshot: a downgrade leaves the view."""
    left = make_playbook("view_left", view=big_enterprise)
    account = AccountFactory(name="Downgraded", segment="Enterprise")
    contract = ContractFactory(account=account, mrr=Decimal("3000.00"))

    night(today_is, AS_OF)
    contract.end_date = AS_OF
    contract.save()
    ContractFactory(account=account, start_date=NEXT, mrr=Decimal("500.00"))
    night(today_is, NEXT)

    assert enrolled(left) == {"Downgraded": f"view_out:{NEXT}"}


def test_running_a_night_again_enrols_nobody_twice(today_is, big_enterprise):
    entered = make_playbook("view_entered", view=big_enterprise)
    account = AccountFactory(name="Joining", segment="SMB")
    ContractFactory(account=account, mrr=Decimal("3000.00"))
    night(today_is, AS_OF)
    account.segment = "Enterprise"
    account.save()

    night(today_is, NEXT)
    night(today_is, NEXT)

    assert enrolled(entered) == {"Joining": f"view_in:{NEXT}"}
    assert ViewMembership.objects.filter(account=account).count() == 1


def test_a_return_to_the_view_is_a_new_entry(big_enterprise):
    account = AccountFactory(name="Back", segment="Enterprise")
    ContractFactory(account=account, mrr=Decimal("3000.00"))
    days = [AS_OF + timedelta(days=n) for n in range(3)]
    for day in days:
        snapshot_recompute(as_of=day)

    view_memberships_refresh(view=big_enterprise, as_of=days[0])
    account.segment = "SMB"
    account.save()
    assert view_memberships_refresh(view=big_enterprise, as_of=days[1]) == (0, 1)
    account.segment = "Enterprise"
    account.save()
    assert view_memberships_refresh(view=big_enterprise, as_of=days[2]) == (1, 0)

    stays = ViewMembership.objects.filter(account=account).order_by("entered_on")
    assert [(s.entered_on, s.left_on) for s in stays] == [(days[0], days[1]), (days[2], None)]


def test_only_active_playbooks_views_are_tracked(today_is, big_enterprise):
    make_playbook("view_entered", view=big_enterprise, active=False)
    ContractFactory(account=AccountFactory(segment="Enterprise"), mrr=Decimal("3000.00"))

    night(today_is, AS_OF)

    assert not ViewMembership.objects.exists()
    big_enterprise.refresh_from_db()
    assert big_enterprise.tracked_since is None
