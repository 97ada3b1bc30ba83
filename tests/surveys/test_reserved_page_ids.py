"""Answers from the public page are stored as `survey-page-<invitation id>`: the prefix belongs to
the page, so neither an API key nor an import can take the id a customer's answer will need,
and the customer's submit never ends in a server error."""

import json

import pytest

from api.models import Scope
from surveys.models import InvitationStatus, SurveyResponse
from tests.api.conftest import bearer
from tests.factories import SurveyResponseFactory
from tests.surveys.factories import InvitationFactory


@pytest.fixture
def invitation(jane):
    return InvitationFactory(contact=jane)


@pytest.fixture
def api_key(db, leader) -> str:
    from api.services import api_key_create

    return api_key_create(name="crm", user=leader, scopes=[Scope.WRITE_SURVEYS])[1]


def api_upsert(client, key: str, external_id: str, account_external_id: str):
    item = {"external_id": external_id, "account_external_id": account_external_id,
            "kind": "nps", "score": 2, "responded_at": "2024-03-01T12:00:00Z"}  # fmt: skip
    return client.post(
        "/api/v1/survey-responses",
        data=json.dumps({"items": [item]}),
        content_type="application/json",
        headers=bearer(key),
    )


def test_an_api_key_cannot_take_a_survey_page_id_first_and_the_page_still_records_the_answer(
    client, invitation, api_key
):
    taken = f"survey-page-{invitation.pk}"

    refused = api_upsert(client, api_key, taken, invitation.account.external_id)
    page = client.post(f"/s/{invitation.token}/", {"score": 9, "comment": "Fine."})

    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert problem["field"] == "external_id"
    assert "reserved for answers given on the survey page" in problem["message"]
    assert page.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.external_id, answer.score) == (taken, 9)


def test_the_prefix_is_refused_whatever_its_case(client, invitation, api_key):
    refused = api_upsert(client, api_key, "Survey-Page-77", invitation.account.external_id)

    assert refused.status_code == 422
    assert not SurveyResponse.objects.exists()


def test_an_import_naming_a_survey_page_id_is_refused_at_its_line(
    run_import, csv_dir, write_csv, acme
):
    write_csv(
        csv_dir,
        "surveys.csv",
        f"""
        external_id,account_external_id,kind,score,responded_at
        S1,{acme.external_id},nps,9,2024-03-01T12:00:00Z
        survey-page-12,{acme.external_id},nps,2,2024-03-01T12:00:00Z
    """,
    )

    result = run_import(csv_dir)

    assert result.problems == [
        "surveys.csv:3: external_id: 'survey-page-12' starts with 'survey-page-', which is "
        "reserved for answers given on the survey page; use another external_id"
    ]
    assert not SurveyResponse.objects.exists()


def test_an_id_taken_before_the_prefix_was_reserved_does_not_break_the_customers_submit(
    client, invitation
):
    # Written before the import and the API refused the prefix: the row keeps its id.
    SurveyResponseFactory(external_id=f"survey-page-{invitation.pk}", account=invitation.account)

    page = client.post(f"/s/{invitation.token}/", {"score": 10})

    assert page.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    assert invitation.response.score == 10
    assert invitation.response.external_id.startswith(f"survey-page-{invitation.pk}-")
