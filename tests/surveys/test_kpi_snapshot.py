"""An answer from the survey page is a raw record like an imported one: the next KPI snapshot
counts it (kpi-spec sections 5 and 7)."""

from django.utils import timezone

from accounts.models import Account
from metrics.models import AccountSnapshot
from metrics.selectors import portfolio_kpis
from metrics.services import snapshot_recompute
from tests.factories import ContactFactory
from tests.surveys.factories import InvitationFactory


def test_an_answer_from_the_survey_page_is_in_the_next_snapshot(client, jane, acme):
    promoter = InvitationFactory(contact=jane)
    detractor = InvitationFactory(contact=ContactFactory(account=acme))
    satisfied = InvitationFactory(contact=jane, kind="csat")
    today = timezone.localdate()
    snapshot_recompute(as_of=today)
    assert AccountSnapshot.objects.get(account=acme, as_of=today).nps_responses == 0

    client.post(f"/s/{promoter.token}/", {"score": 10})
    client.post(f"/s/{detractor.token}/", {"score": 2, "comment": "Slow"})
    client.post(f"/s/{satisfied.token}/", {"score": 5})
    snapshot_recompute(as_of=today)

    snapshot = AccountSnapshot.objects.get(account=acme, as_of=today)
    assert (snapshot.nps_promoters, snapshot.nps_detractors, snapshot.nps_responses) == (1, 1, 2)
    assert snapshot.nps_180d == 0  # (1 promoter - 1 detractor) / 2
    assert snapshot.csat_180d == 100
    kpis = portfolio_kpis(as_of=today, accounts=Account.objects.all())
    assert (kpis["nps"], kpis["nps_responses"], kpis["csat_responses"]) == (0, 2, 1)
