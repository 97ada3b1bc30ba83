"""A primary and its streaming replica for the replica tests: two private PostgreSQL 15
clusters in a temporary folder, each on a free port of 127.0.0.1, started by the test run.

The shared server is never touched beyond reading the test database: the primary is a fresh
`initdb`, loaded with a `pg_dump` of the test database (its schema and migrated rows, half a
second where migrating takes twenty), and the replica is `pg_basebackup -R` of the primary,
streaming from it. Under root the servers run as the `postgres` user, as PostgreSQL requires.
Without the server binaries every replica test is skipped in one line saying so.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
MISSING = (
    f"{BIN}/initdb is missing: install the PostgreSQL 15 server (postgresql-15) to run the "
    "replica tests"
)
DATABASE = "northstar"

# Throwaway clusters: durability off, a small footprint, streaming replication on.
SERVER_CONFIG = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
port = {port}
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 30
wal_level = replica
max_wal_senders = 4
log_min_messages = warning
"""


def skip_unless_installed() -> None:
    if not (BIN / "initdb").is_file():
        pytest.skip(MISSING)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user: the replica tests need one")


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        _as_server_user(command), check=True, capture_output=True, text=True, timeout=60, **kwargs
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def log(self) -> Path:
        return self.directory.with_suffix(".log")

    def configure(self) -> None:
        with (self.directory / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_CONFIG.format(sockets=self.directory.parent, port=self.port))

    def start(self) -> None:
        _run([f"{BIN}/pg_ctl", "-D", str(self.directory), "-l", str(self.log), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        _run([f"{BIN}/pg_ctl", "-D", str(self.directory), "-m", mode, "-w", "stop"])

    def sql(self, statement: str, dbname: str = DATABASE):
        """One statement's first value, in autocommit."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        ) as connection:
            cursor = connection.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def django_settings(self, template: dict) -> dict:
        """A Django DATABASES entry for this cluster, modelled on `template` (the test one's)."""
        return {
            **template,
            "HOST": "127.0.0.1",
            "PORT": self.port,
            "NAME": DATABASE,
            "USER": "postgres",
            "PASSWORD": "",
            "OPTIONS": {**template["OPTIONS"], "connect_timeout": 2},
        }


@dataclass
class ReplicatedPair:
    primary: Cluster
    replica: Cluster

    def replica_caught_up(self, timeout: float = 15) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            behind = self.replica.sql(
                f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn()) > 0"
            )
            if behind is False:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")

    @contextlib.contextmanager
    def replay_paused(self) -> Iterator[None]:
        """The replica keeps receiving WAL but stops applying it, as a replica busy or
        throttled falls behind."""
        self.replica.sql("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            self.replica.sql("SELECT pg_wal_replay_resume()")

    @contextlib.contextmanager
    def replica_stopped(self) -> Iterator[None]:
        self.replica.stop()
        try:
            yield
        finally:
            self.replica.start()


def _copy_database(source: dict, primary: Cluster) -> None:
    """The test database (schema and committed rows) into the primary's `northstar`."""
    primary.sql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    dump = subprocess.Popen(
        [f"{BIN}/pg_dump", "--no-owner", "--no-privileges", "-h", source["HOST"] or "127.0.0.1",
         "-p", str(source["PORT"] or 5432), "-U", source["USER"], source["NAME"]],
        stdout=subprocess.PIPE, env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
    )  # fmt: skip
    try:
        subprocess.run(
            [f"{BIN}/psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(primary.port), "-U", "postgres", "-d", DATABASE],
            stdin=dump.stdout, check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        dump.stdout.close()
        if dump.wait(timeout=60) != 0:
            raise RuntimeError(f"pg_dump of {source['NAME']} failed")


@contextlib.contextmanager
def replicated_pair(source: dict) -> Iterator[ReplicatedPair]:
    """A primary holding a copy of the `source` database and a replica streaming from it;
    both are stopped and deleted afterwards."""
    skip_unless_installed()
    root = Path(tempfile.mkdtemp(prefix="northstar-replica-"))
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        os.chown(root, server_user.pw_uid, server_user.pw_gid)
    pair = ReplicatedPair(Cluster(root / "primary", free_port()), Cluster(root / "replica", 0))
    started: list[Cluster] = []
    try:
        _run([f"{BIN}/initdb", "-D", str(pair.primary.directory), "-A", "trust", "-U", "postgres",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"])  # fmt: skip
        pair.primary.configure()
        pair.primary.start()
        started.append(pair.primary)
        _copy_database(source, pair.primary)
        _run([f"{BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary.port),
              "-U", "postgres", "-D", str(pair.replica.directory), "-R", "-X", "stream",
              "--checkpoint=fast", "--no-sync"])  # fmt: skip
        pair.replica.port = free_port()
        pair.replica.configure()  # appended last, so its port wins over the primary's copy
        pair.replica.start()
        started.append(pair.replica)
        yield pair
    except subprocess.CalledProcessError as exc:
        logs = "".join(c.log.read_text() for c in started if c.log.exists())
        raise RuntimeError(f"{exc.cmd[-1]}: {exc.stderr}\n{logs}") from exc
    finally:
        for cluster in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
