"""Personas and helpers shared by every test module.

The personas follow healthchecks' tests: alice is a CSM who owns accounts, bob is another CSM,
`leader` sees every account, and `admin_user` (pytest-django's) is a superuser.
"""

import importlib
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from playbooks.roles import grant_playbook_permissions
from tests.factories import UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@northstar.example", groups=["CSM"])


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@northstar.example", groups=["CSM"])


@pytest.fixture
def leader(db):
    return UserFactory(username="lena", email="lena@northstar.example", groups=["Leader"])


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    """An empty folder to import from."""
    directory = tmp_path / "import"
    directory.mkdir()
    return directory


@pytest.fixture
def write_csv() -> Callable[[Path, str, str | bytes], Path]:
    """`write_csv(directory, "accounts.csv", text)` writes one file and returns its path.

    Text is dedented and loses one leading newline, so a test can write a file as an indented
    triple-quoted block; bytes are written as they are (for encodings and odd line endings).
    """

    def write(directory: Path, name: str, content: str | bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).removeprefix("\n"), encoding="utf-8")
        return path

    return write


def table_counts() -> dict[str, int]:
    """Rows in every table of the project, users, groups and logs included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@dataclass
class ImportRun:
    """What one `import_data` run printed, whether it failed, and the row counts around it."""

    stdout: str
    stderr: str
    error: CommandError | None
    counts_before: dict[str, int]
    counts_after: dict[str, int]

    @property
    def problems(self) -> list[str]:
        """The `file:line: column: message` lines (progress lines are indented, so left out)."""
        return [line for line in self.stderr.splitlines() if line and not line.startswith(" ")]

    @property
    def changed_counts(self) -> dict[str, tuple[int, int]]:
        return {
            label: (count, self.counts_after[label])
            for label, count in self.counts_before.items()
            if count != self.counts_after[label]
        }


@pytest.fixture
def run_import(db) -> Callable[..., ImportRun]:
    """`run_import(directory)` runs `manage.py import_data directory` and never raises."""

    def run(directory: Path, **options) -> ImportRun:
        stdout, stderr = io.StringIO(), io.StringIO()
        before, error = table_counts(), None
        try:
            call_command("import_data", str(directory), stdout=stdout, stderr=stderr, **options)
        except CommandError as exc:
            error = exc
        return ImportRun(stdout.getvalue(), stderr.getvalue(), error, before, table_counts())

    return run


def _reference_rows_ensure() -> None:
    """The rows the migrations install (the roles and their task permissions, the default health
    model and surveys), again when a transactional test's flush removed them. Serialized rollback
    should restore them, but the connection it stores them on is context-local and Playwright's
    greenlets do not always see it; installing them here is idempotent and does not depend on
    that."""
    roles = importlib.import_module("accounts.migrations.0002_roles")
    accounts_perms = Permission.objects.filter(content_type__app_label="accounts")
    for name, codenames in (("CSM", roles.CSM_PERMISSIONS), ("Leader", roles.LEADER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*accounts_perms.filter(codename__in=codenames))
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*Permission.objects.all())
    model = importlib.import_module("healthscores.migrations.0002_default_model")
    model.install_default_model(apps, None)
    surveys = importlib.import_module("surveys.defaults")
    surveys.install_default_surveys(apps)
    surveys.grant_invite_permission(apps)
    grant_playbook_permissions(apps)


@pytest.fixture(autouse=True)
def reference_rows(request):
    """Every test on a really committing database (live server, Celery worker, transaction=True)
    starts with the roles and the default health model: an earlier such test's flush removed
    them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if transactional or {"live_server", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        _reference_rows_ensure()
