"""Redis stopped: Northstar keeps serving from PostgreSQL, says what could not be queued, loses
nothing typed, and its health check reports Redis down.

gunicorn with the production settings talks to a Redis of the test's own (its broker and
result backend), which the test stops; the shared Redis is never touched.
"""

import time
from datetime import date

import pytest

from accounts.models import Note
from healthscores.models import HealthModel
from metrics.services import snapshot_recompute
from surveys.models import SurveyResponse
from tests.factories import AccountFactory, ContactFactory, ContractFactory
from tests.faults.conftest import Browser, messages_in
from tests.surveys.factories import InvitationFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LAB_PROPOSAL = {
    "green": "72",
    "yellow": "41",
    "action": "save",
    "c-TOTAL_FORMS": "2",
    "c-INITIAL_FORMS": "0",
    "c-MIN_NUM_FORMS": "0",
    "c-MAX_NUM_FORMS": "30",
    "c-0-metric": "open_tickets",
    "c-0-weight": "7",
    "c-0-bad": "12",
    "c-0-good": "0",
    "c-1-metric": "nps_180d",
    "c-1-weight": "3",
    "c-1-bad": "-40",
    "c-1-good": "60",
}


@pytest.fixture
def redis_down_server(start_server, own_redis, alice, admin_user):
    account = AccountFactory(name="Initech", owner=alice)
    ContractFactory(account=account)
    snapshot_recompute(as_of=date(2024, 3, 31))
    server = start_server(
        REDIS_URL=own_redis.url,
        CELERY_BROKER_URL=own_redis.url,
        CELERY_RESULT_BACKEND=own_redis.url,
    )
    assert Browser(server.base_url).request("/healthz")[0] == 200
    own_redis.stop()
    return server, account


def test_with_redis_stopped_pages_render_and_a_note_is_saved(redis_down_server):
    """Redis stopped: the accounts list, an account page and the portfolio still render (they
    read PostgreSQL only), and a note is still saved."""
    server, account = redis_down_server
    alice = Browser(server.base_url)
    alice.log_in("alice")

    for path in ("/", f"/accounts/{account.pk}/", "/portfolio/"):
        status, _headers, body = alice.request(path)
        assert status == 200, (path, body[:500])
        assert "Initech" in body or path == "/portfolio/"
    status, _h, _b = alice.request(f"/accounts/{account.pk}/notes/", {"body": "Called them."})

    assert status == 302
    assert Note.objects.get(account=account).body == "Called them."


def test_with_redis_stopped_healthz_answers_503_naming_redis(redis_down_server):
    """Redis stopped: /healthz answers 503 with redis "down" and the database "ok", so a load
    balancer or monitor sees it."""
    server, _account = redis_down_server

    status, _headers, body = Browser(server.base_url).request("/healthz")

    assert status == 503
    assert '"redis": "down: ' in body and '"database": "ok"' in body


def test_with_redis_stopped_a_rescore_action_says_it_was_not_queued(redis_down_server):
    """Redis stopped: the admin's "rescore" action answers at once that the rescore could not
    be queued (no error page, no hang)."""
    server, _account = redis_down_server
    admin = Browser(server.base_url)
    admin.log_in("admin")
    model = HealthModel.objects.get(is_active=True, segment="")

    started = time.monotonic()
    status, headers, _body = admin.request(
        "/admin/healthscores/healthmodel/",
        {"action": "rescore_last_365_days", "_selected_action": str(model.pk)},
    )
    seconds = time.monotonic() - started
    shown = messages_in(admin.request(headers["Location"])[2])

    assert status == 302 and seconds < 5
    assert any("could not be queued" in message for message in shown), shown


def test_with_redis_stopped_a_lab_save_keeps_the_typed_weights_and_says_so(redis_down_server):
    """Redis stopped: saving weights typed in the health lab stores them as a new model version
    (nothing typed is lost) and tells the user the rescore could not be queued."""
    server, _account = redis_down_server
    admin = Browser(server.base_url)
    admin.log_in("admin")
    model = HealthModel.objects.get(is_active=True, segment="")
    versions = model.versions.count()

    status, headers, _body = admin.request("/health/lab/", LAB_PROPOSAL)
    shown = messages_in(admin.request(headers["Location"])[2])

    assert status == 302
    latest = model.versions.order_by("-number").first()
    assert model.versions.count() == versions + 1
    assert latest.definition["green"] == 72 and latest.definition["yellow"] == 41
    assert {c["metric"]: c["weight"] for c in latest.definition["components"]} == {
        "open_tickets": 7,
        "nps_180d": 3,
    }
    assert any("could not be queued" in message for message in shown), shown


def test_with_redis_stopped_a_detractors_survey_answer_is_saved_and_thanked_at_once(
    redis_down_server,
):
    """Redis stopped: a customer answering the public survey page as a detractor (whose answer
    queues an immediate playbook evaluation) has the answer saved and sees the thanks page in
    about a second; the nightly run evaluates it later."""
    server, account = redis_down_server
    invitation = InvitationFactory(contact=ContactFactory(account=account))
    customer = Browser(server.base_url)

    started = time.monotonic()
    status, headers, _body = customer.request(
        f"/s/{invitation.token}/", {"score": "2", "comment": "Too slow lately."}
    )
    seconds = time.monotonic() - started

    assert status == 302 and headers["Location"].endswith("/thanks/"), status
    assert seconds < 5
    answer = SurveyResponse.objects.get(account=account)
    assert (answer.score, answer.comment) == (2, "Too slow lately.")
