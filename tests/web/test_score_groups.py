"""One survey cut-off (surveys.models.score_group), shown the same everywhere: a CSAT answer is a
detractor (1-2), a passive (3) or a promoter (4-5) on the account 360 page, on the results page
and in its export, and only a detractor raises an alert and starts the detractor playbook.

CSAT 3 is passive: kpi-spec section 5 counts only 4 and 5 as satisfied, so a 3 lowers CSAT, but
it is the scale's middle ("neither satisfied nor dissatisfied"), not a cause for a follow-up."""

import csv
import io

import pytest
from django.utils import timezone

from healthscores.models import Alert
from playbooks.models import PlaybookRun
from playbooks.services import playbooks_evaluate
from surveys.models import ScoreGroup, score_group
from surveys.services import response_record
from tests.factories import AccountFactory, ContactFactory
from tests.playbooks.conftest import make_playbook
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

CHIPS = {"detractor": "chip-bad", "passive": "chip-neutral", "promoter": "chip-good"}


@pytest.fixture
def answered(alice):
    """`answered(score)`: Acme's contact answers a CSAT survey from its public page."""

    def answer(score: int):
        account = AccountFactory(name="Acme", owner=alice)
        contact = ContactFactory(account=account, name="Jane Doe", email="jane@acme.example")
        invitation = InvitationFactory(contact=contact, kind="csat")
        return response_record(invitation_id=invitation.pk, score=score, comment="It was fine.")

    return answer


@pytest.mark.parametrize(
    ("score", "group"),
    [(1, "detractor"), (2, "detractor"), (3, "passive"), (4, "promoter"), (5, "promoter")],
)
def test_a_csat_answer_is_in_one_group_on_every_page_alert_and_playbook(
    client, alice, answered, score, group
):
    playbook = make_playbook("detractor")
    response = answered(score)
    client.force_login(alice)

    assert score_group("csat", score) == group
    # Alerts: the survey's own transaction raises one for a detractor only.
    assert Alert.objects.filter(reason="detractor").exists() == (group == ScoreGroup.DETRACTOR)
    # Playbooks: the detractor trigger starts for a detractor only.
    playbooks_evaluate(as_of=timezone.localdate(response.responded_at))
    started = PlaybookRun.objects.filter(playbook=playbook).exists()
    assert started == (group == ScoreGroup.DETRACTOR)
    # The account 360 page: the comment's chip.
    page = client.get(f"/accounts/{response.account_id}/").content.decode()
    assert f"score-chip kind-csat {CHIPS[group]}" in page
    # The results page: the group filter finds it under its group only, with that group's chip.
    for other in ScoreGroup.values:
        results = client.get("/surveys/", {"kind": "csat", "group": other}).content.decode()
        assert ("It was fine." in results) == (other == group)
    assert f"group-{group}" in client.get("/surveys/", {"kind": "csat"}).content.decode()
    # The export's score group column.
    body = b"".join(client.get("/surveys/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["Score group"] for row in rows] == [group]
