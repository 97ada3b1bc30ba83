"""What a deployment starts with by default: the image leaves out secrets and local state, and a
Celery worker runs the same settings as the web server (issue 13, item 11)."""

import os
import subprocess
import sys
from fnmatch import fnmatch

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

BASE_DIR = settings.BASE_DIR


def docker_ignores(path: str) -> bool:
    """Whether .dockerignore leaves `path` out of the build context (its last matching line
    decides, `!` lines put a path back, as Docker reads the file)."""
    ignored = False
    for line in (BASE_DIR / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        if fnmatch(path, pattern) or path.startswith(f"{pattern}/"):
            ignored = not keep
    return ignored


@pytest.mark.parametrize(
    "path", [".env", ".env.production", "var/log/worker.log", ".venv/bin/python"]
)
def test_the_image_leaves_out_secrets_local_state_and_the_virtualenv(path):
    assert docker_ignores(path)


@pytest.mark.parametrize("path", [".env.example", "manage.py", "config/settings/base.py"])
def test_the_image_keeps_the_code_and_the_documented_example(path):
    assert not docker_ignores(path)


def default_settings_of(module: str) -> str:
    """The settings module `module` chooses when DJANGO_SETTINGS_MODULE is not set."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["SECRET_KEY"] = "a-long-random-test-secret"
    env["CONNECTOR_SECRET_KEYS"] = Fernet.generate_key().decode()
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "-c", f"import os, {module}; print(os.environ['DJANGO_SETTINGS_MODULE'])"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def test_a_celery_worker_defaults_to_the_web_servers_settings():
    assert default_settings_of("config.celery") == default_settings_of("config.wsgi")
    assert default_settings_of("config.wsgi") == "config.settings.production"
