"""Personas and helpers shared by every test module.

The personas follow healthchecks' tests: alice is a CSM who owns accounts, bob is another CSM,
`leader` sees every account, and `admin_user` (pytest-django's) is a superuser.
"""

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS

from tests import migrated_rows
from tests.factories import UserFactory
from tests.oidc.provider import PROVIDER_FIXTURES, running_provider, skip_unless_installed


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@northstar.example", groups=["CSM"])


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@northstar.example", groups=["CSM"])


@pytest.fixture
def leader(db):
    return UserFactory(username="lena", email="lena@northstar.example", groups=["Leader"])


def pytest_runtest_setup(item):
    """Without tests/oidc/node_modules every SSO test skips here, before any fixture starts;
    raised from this one line, `-ra` folds the skips into one line saying how to get them (the
    browser tests' Chromium check, tryfirst, comes before it)."""
    if PROVIDER_FIXTURES & set(item.fixturenames):
        skip_unless_installed()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID provider (tests/oidc/provider.mjs) for the test client's site; skipped in
    one line when tests/oidc/node_modules is missing. (Browser tests start one for the live
    server: depending on live_server here would make every SSO test transactional.)"""
    sites = ["http://testserver"]
    with running_provider(tmp_path_factory.mktemp("oidc"), sites=sites) as provider:
        yield provider


@pytest.fixture
def sso(oidc_provider, settings):
    """The site configured for single sign-on through the local provider; its accounts and
    faults are reset for each test."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    oidc_provider.users()
    oidc_provider.fault(None)
    return oidc_provider


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, whose migrated rows every flush puts back (tests/migrated_rows.py)."""
    with django_db_blocker.unblock():
        migrated_rows.keep(DEFAULT_DB_ALIAS)


def pytest_collection_modifyitems(items):
    """One way to get the migrated rows back after a commit, so none that collides with it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if "django_db_serialized_rollback" in item.fixturenames or (
            marker and marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid} asks for serialized_rollback: drop it, every flush already "
                "restores the migrated rows (tests/migrated_rows.py)"
            )
