"""No secret in the repository: detect-secrets scans every tracked (and new, not ignored) file.

Its detectors look for private keys, cloud and API tokens, high-entropy strings and passwords in
URLs or assignments. The only values it may find are the documented development placeholders
below; a real key found anywhere fails the test with its file and line.
"""

import subprocess

import pytest
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings
from django.conf import settings

BASE_DIR = settings.BASE_DIR

# Values that look like secrets but are public on purpose, each with where it belongs.
PLACEHOLDERS = {
    "northstar": "the local PostgreSQL role's password in DATABASE_URL examples and defaults",
    "pass": "the user:pass placeholder of EMAIL_URL in .env.example",
    "password": "factory users' password in tests",  # pragma: allowlist secret
    "northstar-demo": "the demo users' password, printed by `make demo`",
    "not-the-playbooks-secret": "a wrong webhook secret in the playbooks' tests",
    "django-insecure-local-development-only": "local settings' key, refused unless DEBUG is on",
    # pragma: allowlist nextline secret
    "a-long-random-test-secret": "the key tests start the production settings with",
}
# Binary or generated files: minified vendor JavaScript is all high-entropy strings.
SKIPPED_SUFFIXES = (".png", ".jpg", ".ico", ".woff2", ".min.js")


def repository_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=BASE_DIR,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to tell tracked files from local ones")
    names = [name for name in listed.decode().split("\0") if name]
    return [n for n in names if not n.endswith(SKIPPED_SUFFIXES) and (BASE_DIR / n).is_file()]


def test_no_file_of_the_repository_holds_a_secret():
    found = SecretsCollection(root=str(BASE_DIR))
    with default_settings():
        for name in repository_files():
            found.scan_file(name)

    leaks = [
        f"{filename}:{secret.line_number}: {secret.type}"
        for filename, secret in found
        if secret.secret_value not in PLACEHOLDERS
    ]
    assert leaks == [], (
        "Secrets belong in the environment (.env is git-ignored), never in the repository. "
        "Remove these and rotate them; a public placeholder goes in PLACEHOLDERS with its "
        "reason (or, for a test fixture, ends its line with `# pragma: allowlist secret`):\n"
        + "\n".join(leaks)
    )


def test_the_scan_finds_a_private_key_and_a_token(tmp_path):
    """The detectors are live: the check above would fail on a real leak."""
    leaked = tmp_path / "leak.py"
    begin = "-----BEGIN RSA " + "PRIVATE KEY-----"
    token = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"  # pragma: allowlist secret
    leaked.write_text(f'KEY = """{begin}\nMIIEow...\n"""\nGITHUB = "{token}"\n')
    found = SecretsCollection(root=str(tmp_path))
    with default_settings():
        found.scan_file("leak.py")

    assert {secret.type for _name, secret in found} >= {"Private Key", "GitHub Token"}
