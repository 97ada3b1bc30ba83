"""The survey side of playbooks: sending a survey to the champions, and detractor answers from
the public survey page evaluated at once (surveys.signals.response_recorded)."""

from datetime import timedelta

import pytest
from django.core import mail

from playbooks.models import PlaybookRun, StepStatus
from playbooks.services import playbooks_evaluate, run_execute
from playbooks.tasks import evaluate_responses
from surveys.models import Invitation, Survey
from surveys.services import invite_contacts, response_record
from tests.factories import AccountFactory, ContactFactory, UserFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook

pytestmark = pytest.mark.django_db


def survey_run(account, kind: str = "nps") -> PlaybookRun:
    playbook = make_playbook(
        "renewal_within", days=90, actions=[{"kind": "send_survey", "survey_kind": kind}]
    )
    SnapshotFactory(account=account, as_of=AS_OF, days_to_renewal=30)
    playbooks_evaluate(as_of=AS_OF)
    return PlaybookRun.objects.get(playbook=playbook)


def test_the_survey_goes_to_the_current_champions_only(
    today_is, django_capture_on_commit_callbacks
):
    account = AccountFactory(name="Acme")
    champion = ContactFactory(account=account, is_champion=True, email="dana@acme.example")
    ContactFactory(account=account, is_champion=True, left_on=AS_OF - timedelta(days=3))
    ContactFactory(account=account, is_champion=False)
    run = survey_run(account, kind="csat")

    assert run_execute(run_id=run.pk) == "done"

    invitation = Invitation.objects.get()
    assert invitation.contact == champion
    assert invitation.survey == Survey.objects.get(kind="csat", is_active=True)
    step = run.steps.get()
    assert step.status == StepStatus.DONE and step.result == "Survey sent to 1 contact"


def test_without_a_champion_the_step_is_skipped_with_the_reason(today_is):
    lonely = survey_run(AccountFactory(name="No champion"))

    run_execute(run_id=lonely.pk)

    step = lonely.steps.get()
    assert (step.status, step.result) == (
        StepStatus.SKIPPED,
        "The account has no current champion.",
    )


def test_without_an_active_survey_the_step_is_skipped_with_the_reason(today_is):
    Survey.objects.filter(kind="ces").update(is_active=False)
    account = AccountFactory(name="No survey")
    ContactFactory(account=account, is_champion=True)
    inactive = survey_run(account, kind="ces")
    run_execute(run_id=inactive.pk)
    step = inactive.steps.get()
    assert (step.status, step.result) == (StepStatus.SKIPPED, "No active CES survey to send.")
    assert not Invitation.objects.exists()


def test_running_the_step_again_sends_no_second_invitation(today_is):
    account = AccountFactory()
    ContactFactory(account=account, is_champion=True)
    run = survey_run(account)

    run_execute(run_id=run.pk)
    run_execute(run_id=run.pk)

    assert Invitation.objects.count() == 1


def answer(account, score: int, kind: str = "nps"):
    """A contact's answer through the public page's service, with its commit callbacks run:
    the invitation's email and `response_recorded`."""
    contact = ContactFactory(account=account, email="pat@acme.example")
    survey = Survey.objects.get(kind=kind, is_active=True)
    (invitation,) = invite_contacts(survey=survey, contacts=[contact]).invitations
    return response_record(invitation_id=invitation.pk, score=score, comment="Support is slow")


def test_a_detractor_answer_from_the_survey_page_enrols_the_account_at_once(
    today_is, snapshot_run, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(evaluate_responses, "apply_async",
                        lambda args=None, **kw: queued.append(args[0]))  # fmt: skip
    from surveys.tasks import send_invitations

    monkeypatch.setattr(send_invitations, "apply_async", lambda *a, **kw: None)
    playbook = make_playbook(
        "detractor",
        actions=[{"kind": "create_task", "title": "Call {account}", "business_days": True,
                  "due_in_days": 2}],
    )  # fmt: skip
    owner = UserFactory(username="maya", groups=["CSM"])
    account = AccountFactory(name="Acme", owner=owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = answer(account, score=3)
    assert queued == [[response.pk]]
    evaluate_responses.apply(args=[[response.pk]])

    run = PlaybookRun.objects.get(playbook=playbook)
    assert run.signal == f"response:{response.pk}"
    assert run.trigger_values["comment"] == "Support is slow"


def test_promoters_and_passives_are_not_evaluated(
    today_is, snapshot_run, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(evaluate_responses, "apply_async",
                        lambda args=None, **kw: queued.append(args[0]))  # fmt: skip
    from surveys.tasks import send_invitations

    monkeypatch.setattr(send_invitations, "apply_async", lambda *a, **kw: None)

    with django_capture_on_commit_callbacks(execute=True):
        answer(AccountFactory(), score=8)

    assert queued == []


def test_csat_and_ces_detractors_count_as_the_surveys_app_defines_them(today_is):
    from datetime import UTC, datetime

    from tests.factories import SurveyResponseFactory

    playbook = make_playbook("detractor")
    when = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 9, tzinfo=UTC)
    for name, kind, score in (("CSAT 2", "csat", 2), ("CSAT 3", "csat", 3),
                              ("CES 3", "ces", 3), ("CES 4", "ces", 4)):  # fmt: skip
        SurveyResponseFactory(account=AccountFactory(name=name), kind=kind, score=score,
                              responded_at=when)  # fmt: skip

    playbooks_evaluate(as_of=AS_OF)

    names = sorted(r.account.name for r in PlaybookRun.objects.filter(playbook=playbook))
    assert names == ["CES 3", "CSAT 2"]
    assert mail.outbox == []
