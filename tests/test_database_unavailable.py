"""PostgreSQL unreachable: every page answers a plain 503 page with Retry-After, at once, and
never a traceback; /healthz says the database is down.

A fresh interpreter runs the production settings against a port where nothing listens (the
shared server is never stopped); a session cookie makes each request need the database.
"""

import json
import os
import secrets
import socket
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

PROBE = """
import json, time, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
setup_test_environment()
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a-session-to-look-up"
answers = {}
for path in ("/", "/accounts/1/", "/portfolio/", "/health/lab/", "/admin/", "/healthz"):
    if path == "/healthz":  # as a load balancer asks: without a session (which needs the db)
        client = Client(raise_request_exception=False)
    started = time.monotonic()
    response = client.get(path)
    answers[path] = {
        "status": response.status_code,
        "seconds": time.monotonic() - started,
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
    }
print(json.dumps(answers))
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free once closed: nothing listens there


def test_with_postgresql_unreachable_pages_answer_503_at_once_and_healthz_says_why():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
        "SECURE_HTTPS": "false",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"postgres://northstar:northstar@127.0.0.1:{closed_port()}/northstar",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)

    healthz = answers.pop("/healthz")
    assert healthz["status"] == 503
    assert json.loads(healthz["body"])["database"].startswith("down: OperationalError")
    for path, answer in answers.items():
        assert answer["status"] == 503, (path, answer["body"][:300])
        assert answer["retry_after"] == "10"
        assert "Northstar is briefly unavailable" in answer["body"]
        assert "Traceback" not in answer["body"] and "OperationalError" not in answer["body"]
        assert answer["seconds"] < 3, path  # refused at once, not a hanging request
