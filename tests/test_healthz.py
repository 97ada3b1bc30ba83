"""`/healthz`: what load balancers and operators poll, against the real PostgreSQL and Redis."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_login_and_reports_both_services_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_healthz_answers_503_naming_redis_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["redis"].startswith("down: ")


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
