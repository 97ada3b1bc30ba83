"""Tools of the fault tests: a Redis of our own to stop, a TCP proxy in front of PostgreSQL to
cut, gunicorn serving the test database with the production settings, and a browser-like
HTTP session that logs in through the login form.

The machine's shared PostgreSQL and Redis are never stopped: other developers use them. Each
fault test's docstring says what it proves; `make faults` prints them with PASS or FAIL.
"""

import contextlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, seconds: float, every: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def database_url_for_tests(port: int | None = None) -> str:
    """The URL of the test database (pytest-django's), optionally through another port."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{port or db['PORT']}/{db['NAME']}"
    )


def backends_named(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


def wait_for_backends_to_close(application_name: str) -> None:
    """Until PostgreSQL has let go of a stopped process's connections, so the test database
    can be flushed and dropped."""
    try:
        wait_for(lambda: backends_named(application_name) == 0, seconds=30, what=application_name)
    except AssertionError as timeout:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, client_port, state, backend_start, state_change, left(query, 80) "
                "FROM pg_stat_activity WHERE application_name = %s",
                [application_name],
            )
            still = cursor.fetchall()
        raise AssertionError(f"{application_name} still connected: {still}") from timeout


# --- Redis of our own -------------------------------------------------------------------------


class OwnRedis:
    """redis-server on a free port, started and stopped at will (never the shared 6379)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: port_open(self.port), seconds=10, what=f"redis on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_for(lambda: not port_open(self.port), seconds=10, what="redis to stop")


@pytest.fixture
def own_redis():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


# --- A cuttable path to PostgreSQL --------------------------------------------------------------


class PostgresProxy:
    """A TCP proxy to the shared PostgreSQL. `cut()` is what a restart looks like from the
    application: every open connection is dropped and new ones are refused; `restore()` is
    the server accepting connections again. The shared server itself is never touched."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            if listener:
                # shutdown first: close() alone leaves a listener blocked in accept() listening
                with contextlib.suppress(OSError):
                    listener.shutdown(socket.SHUT_RDWR)
                listener.close()
            for sock in self._sockets:
                _close(sock)
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile: this one goes too
                    client.close()
                    server.close()
                    continue
                self._sockets |= {client, server}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _close(sock)


def _close(sock: socket.socket) -> None:
    """Shut the connection down, then close: close() alone, while another thread is blocked in
    recv() on the socket, leaves the connection open (PostgreSQL would keep an idle backend)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@pytest.fixture
def postgres_proxy():
    proxy = PostgresProxy(int(connection.settings_dict["PORT"] or 5432))
    proxy.restore()
    yield proxy
    proxy.cut()


# --- gunicorn with the production settings -----------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


SERVER_APP_NAME = "northstar-faults-gunicorn"


@pytest.fixture
def start_server(transactional_db, tmp_path):
    """`start_server(DATABASE_URL=..., REDIS_URL=...)` serves the committed test database with
    gunicorn and the production settings over plain HTTP on a free port."""
    started: list[Server] = []

    def start(**environment: str) -> Server:
        _production_passwords()
        port = free_port()
        # A file, not a pipe: an outage logs a traceback per request, and a pipe nobody reads
        # fills up and blocks the workers' logging (and so the workers).
        log_path = tmp_path / f"gunicorn-{port}.log"
        log = log_path.open("w")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CONNECTOR_SECRET_KEYS": Fernet.generate_key().decode(),
            "SECURE_HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url_for_tests(),
            "CONN_MAX_AGE": "60",
            "DB_CONNECT_TIMEOUT": "2",
            "PGAPPNAME": SERVER_APP_NAME,
            **environment,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tests.faults.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
             "--timeout", "30", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        server = Server(process, f"http://127.0.0.1:{port}")
        started.append(server)
        wait_for(lambda: port_open(port) or process.poll() is not None, seconds=30, what="gunicorn")
        assert process.poll() is None, log_path.read_text()
        return server

    yield start
    for server in started:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
    wait_for_backends_to_close(SERVER_APP_NAME)


def _production_passwords() -> None:
    """Every user's password "password", hashed as the production settings can check it (the
    test settings' fast MD5 hasher is not among theirs); few iterations, to stay quick."""
    hashed = PBKDF2PasswordHasher().encode("password", "faultsalt", iterations=1_000)
    get_user_model().objects.update(password=hashed)


class Browser:
    """Cookies, CSRF and the login form, like a person's browser; never raises on a status."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, timeout: float = 10):
        """(status, headers, body text) of one request; POSTs carry the CSRF token."""
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base_url + path, data=body, headers={"Referer": self.base_url + path}
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def csrf_token(self) -> str:
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), None)
        if token is None:
            self.request("/login/")
            token = next(c.value for c in self.cookies if c.name == "csrftoken")
        return token

    def log_in(self, username: str, password: str = "password") -> None:  # noqa: S107
        status, _headers, _body = self.request(
            "/login/", {"username": username, "password": password}
        )
        assert status == 302, f"login as {username} failed with {status}"

    def form_fields(self, path: str) -> str:
        return self.request(path)[2]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


def messages_in(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r'class="message[^"]*">(.*?)</p>', html, re.S)
    ]


# --- Reporting: what each fault check proves, and whether it held ------------------------------

_outcomes: list[tuple[str, str, str]] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if item.get_closest_marker("faults") and (report.when == "call" or report.failed):
        proves = " ".join((item.function.__doc__ or "").split("\n\n")[0].split())
        _outcomes.append((item.name, proves, "PASS" if report.passed else "FAIL"))
    return report


def pytest_terminal_summary(terminalreporter):
    if not _outcomes:
        return
    terminalreporter.section("faults: what each check proves")
    for name, proves, outcome in _outcomes:
        terminalreporter.write_line(f"{outcome}  {name}\n      proves: {proves}")
