"""The production settings pass Django's deployment checklist and send the security headers.

Each case starts a fresh interpreter under config.settings.production (settings are read once
per process), with a random secret key and nothing else set: the defaults must be the safe ones.
"""

import json
import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

BASE_DIR = settings.BASE_DIR

# Requests the login page through Django's test client, over HTTPS and HTTP, and prints what
# the tests look at. GET /login/ needs no database (no session exists yet); static file URLs are
# taken from the finders instead of collectstatic's manifest, which a checkout does not have.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
setup_test_environment()
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
client = Client()
page = client.get("/login/", secure=True)
plain = client.get("/login/")
cookie = page.cookies["csrftoken"]
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.headers),
    "csrf_cookie": {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]),
                    "samesite": cookie["samesite"]},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "debug": settings.DEBUG,
    "axes_enabled": settings.AXES_ENABLED,
}))
"""


def production_env(**extra: str) -> dict[str, str]:
    # Not this test run's own switches: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which
    # check --deploy rightly reports.
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "AXES_")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "testserver,northstar.example.com",
        # What customers see (surveys.branding's deploy checks want both).
        "COMPANY_NAME": "Acme Analytics",
        "DEFAULT_FROM_EMAIL": "success@acme.example.com",
        **extra,
    }


def run(args: list[str], **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_production_settings_reports_nothing():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", (
        result.stdout + result.stderr
    )


def test_check_deploy_warns_when_customers_would_hear_from_us_at_localhost():
    result = run(["manage.py", "check", "--deploy"], COMPANY_NAME="",
                 DEFAULT_FROM_EMAIL="northstar@localhost")  # fmt: skip

    assert "surveys.W001" in result.stderr + result.stdout
    assert "surveys.W002" in result.stderr + result.stdout


def test_production_pages_send_hsts_frame_referrer_and_csp_headers_with_secure_cookies():
    result = run(["-c", PROBE])
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    headers = probe["headers"]

    assert probe["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    # The login page has no inline script, so its policy carries no nonce at all.
    assert "script-src 'self';" in f"{csp};"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert probe["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert probe["session_cookie_secure"] and probe["session_cookie_httponly"]
    assert probe["debug"] is False
    assert probe["axes_enabled"] is True


def test_plain_http_is_redirected_to_https():
    probe = json.loads(run(["-c", PROBE]).stdout)

    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://testserver/login/"


def test_behind_a_tls_proxy_the_redirect_can_be_left_to_the_proxy():
    result = run(["-c", PROBE], SECURE_PROXY_SSL_HEADER="true", SECURE_SSL_REDIRECT="false")
    probe = json.loads(result.stdout)

    assert probe["plain_status"] == 200
    assert probe["csrf_cookie"]["secure"] is True
