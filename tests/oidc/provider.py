"""A real OpenID provider for the SSO tests: tests/oidc/provider.mjs on the certified
`oidc-provider` npm package, started on a free port in a Node process.

Without tests/oidc/node_modules (`npm ci --prefix tests/oidc`, which scripts/test-setup.sh
runs) every SSO test is skipped in one line saying so.
"""

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID, CLIENT_SECRET = "northstar", "northstar-test-secret"  # pragma: allowlist secret
# The fixtures that start a provider (tests/conftest.py, tests/browser/test_sso_sign_in.py).
PROVIDER_FIXTURES = {"oidc_provider", "live_provider"}
MISSING = "tests/oidc/node_modules is missing: npm ci --prefix tests/oidc to run the SSO tests"


def installed() -> bool:
    return (HERE / "node_modules" / "oidc-provider").is_dir() and shutil.which("node") is not None


def skip_unless_installed() -> None:
    if not installed():
        pytest.skip(MISSING)


@dataclass
class Provider:
    issuer: str

    def users(self, **users: dict) -> None:
        """Replaces the provider's accounts: login -> password, sub, email, name, groups."""
        requests.put(f"{self.issuer}/__test/users", json=users, timeout=5).raise_for_status()

    def fault(self, kind: str | None) -> None:
        """Spoils the ID tokens the token endpoint hands out from now on (None: no more)."""
        requests.put(f"{self.issuer}/__test/fault", json={"id_token": kind}, timeout=5)

    def settings(self) -> dict:
        """The Django settings of a site using this provider (what .env.example documents)."""
        return {
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "OIDC_OP_END_SESSION_ENDPOINT": f"{self.issuer}/session/end",
            "OIDC_RP_SCOPES": "openid email profile groups",
            "OIDC_GROUPS_CLAIM": "groups",
            "OIDC_ROLE_GROUPS": {
                "CSM": ["cs-team"],
                "Leader": ["cs-leaders"],
                "Admin": ["northstar-admins"],
            },
            "OIDC_STAFF_GROUPS": ["northstar-admins"],
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_provider(tmp_dir: Path, *, sites: list[str]) -> Iterator[Provider]:
    """The provider on a free port, accepting each site's /oidc/callback/ and /login/."""
    skip_unless_installed()
    config = tmp_dir / "provider.json"
    config.write_text(
        json.dumps(
            {
                "redirect_uris": [f"{site}/oidc/callback/" for site in sites],
                "post_logout_redirect_uris": [f"{site}/login/" for site in sites],
            }
        )
    )
    port = _free_port()
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs"), str(port), str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, issuer)
        yield Provider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(process: subprocess.Popen, issuer: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider did not start:\n{process.stdout.read()}")
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("the OpenID provider did not answer within 20 s")


def sign_in_at_provider(
    start_url: str, *, login: str, password: str, site: str, browser: requests.Session
) -> str:
    """What a browser does at the provider, over plain HTTP: follows the authorization request
    to the login page, posts the credentials, and follows redirects until the provider sends it
    back to `site`. Returns that URL (the callback, with code and state)."""
    url, form = start_url, None
    for _ in range(12):
        if form is None:
            response = browser.get(url, allow_redirects=False, timeout=10)
        else:
            response = browser.post(url, data=form, allow_redirects=False, timeout=10)
            form = None
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(site):
                return url
        elif "/interaction/" in url and 'name="password"' in response.text:
            if "Wrong username or password" in response.text:
                raise AssertionError("the provider refused the credentials")
            form = {"login": login, "password": password}
        else:
            raise AssertionError(f"unexpected page at {url}: {response.status_code}")
    raise AssertionError("the provider never sent the browser back")
