"""Settings fail loudly: a missing or malformed environment value stops start-up naming it.

Each case starts a fresh interpreter, since settings are read once per process.
"""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

BASE_DIR = settings.BASE_DIR


def start_django(**environment: str | None) -> subprocess.CompletedProcess:
    """Run `django.setup()` under production settings with DEBUG off and a secret key, changed
    by `environment` (None removes a variable); print the time zone when it starts."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-test-secret",
        "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
    }
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print('started in', settings.TIME_ZONE)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The last line of the traceback: the exception and its message."""
    return result.stderr.strip().splitlines()[-1]


def assert_refused_naming(result: subprocess.CompletedProcess, name: str) -> None:
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert error_line(result).startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert name in error_line(result), result.stderr


def test_production_starts_with_valid_values():
    result = start_django(TIME_ZONE="Europe/Paris")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started in Europe/Paris"


def test_production_without_a_secret_key_does_not_start():
    if (BASE_DIR / ".env").is_file() and "SECRET_KEY=" in (BASE_DIR / ".env").read_text():
        pytest.skip("a local .env provides SECRET_KEY")

    result = start_django(SECRET_KEY=None)

    assert_refused_naming(result, "SECRET_KEY")


def test_production_with_an_empty_secret_key_does_not_start():
    assert_refused_naming(start_django(SECRET_KEY=""), "SECRET_KEY")


@pytest.mark.parametrize("debug", ["true", "1", "on"])
def test_production_refuses_debug_on_saying_why(debug):
    result = start_django(DEBUG=debug)

    assert_refused_naming(result, "DEBUG=true is refused by the production settings")


def test_development_settings_without_a_secret_key_start_only_with_debug_on():
    development = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "SECRET_KEY": ""}

    assert start_django(**development, DEBUG="true").returncode == 0
    assert_refused_naming(start_django(**development, DEBUG="false"), "SECRET_KEY")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("TIME_ZONE", "../../etc/passwd"),
        ("CURRENCY", "dollars"),
        ("NIGHTLY_AT", "25:00"),
        ("SECURE_HTTPS", "sometimes"),
        ("CONN_MAX_AGE", "forever"),
        ("DB_CONNECT_TIMEOUT", "5s"),
        ("DB_RANDOM_PAGE_COST", "fast"),
        ("DB_RANDOM_PAGE_COST", "0"),
        ("DB_RANDOM_PAGE_COST", "nan"),
        ("DB_RANDOM_PAGE_COST", "1; DROP TABLE accounts_account"),
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "not-a-url"),
        ("DATABASE_URL", "postgres://northstar@127.0.0.1:port/northstar"),
        ("EMAIL_URL", "smtp-typo://mail.example.com"),
        ("SITE_URL", "cs.example.com"),
        ("DEFAULT_FROM_EMAIL", "customer success"),
        ("COMPANY_LOGO_URL", "logo.png"),
        ("COMPANY_LOGO_URL", "javascript:alert(1)"),
        ("RENEWAL_MIN_TERM_MONTHS", "three"),
        ("RENEWAL_MIN_TERM_MONTHS", "0"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(name, value):
    assert_refused_naming(start_django(**{name: value}), name)


def test_a_logo_elsewhere_is_the_only_other_origin_images_may_come_from():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DEBUG": "false", "SECRET_KEY": "a-long-random-test-secret",
           "COMPANY_LOGO_URL": "https://cdn.acme.example/brand/logo.png",
           "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode()}  # fmt: skip
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("[\"'self'\", 'data:', 'blob:', 'https://cdn.acme.example']")
