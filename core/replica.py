"""Reads from a streaming replica, writes to the primary (docs/scaling.md, "A read replica").

With DATABASE_REPLICA_URL set, settings add a `replica` database alias, this router and this
middleware. Which reads go to the replica is decided here, once, for every view:

- GET and HEAD requests read from the replica: the pages and the read API. Paths listed in
  settings.REPLICA_PRIMARY_PATHS (the admin, sign-in, /healthz, the public endpoints that write)
  always read the primary, and so does everything outside a request (Celery tasks, management
  commands, migrations, the nightly job).
- Sign-in rows always read the primary (settings.REPLICA_PRIMARY_MODELS: users, roles,
  sessions, API keys): a revoked key, an ended session or a removed role takes effect at once,
  not one replica lag later, and the middleware that reads them never meets a lost replica.
- Writes always go to the primary, and once a request has written, the rest of its reads do too
  (the router pins it at its first write).
- Read-your-writes across requests: a POST (any unsafe method) leaves a cookie holding the
  primary's WAL position after it; until the replica has replayed past that position, that
  browser's reads go to the primary. So the page after "Note added." shows the note.
- The replica is skipped while it lags more than DATABASE_REPLICA_MAX_LAG_SECONDS or cannot be
  reached. Its lag is measured by one small query at most every DATABASE_REPLICA_CHECK_SECONDS
  per process, not once per request.
- Reads inside `transaction.atomic()` go to the primary: they belong to a write.
- A replica lost under a view that had written nothing costs that request nothing: the view is
  run again on the primary, and the replica is left alone until the next check.

Raw SQL written with `django.db.connection` runs on the primary whatever the request: only the
ORM is routed.
"""

import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("northstar.replica")

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WROTE_COOKIE = "northstar_wrote_lsn"

# The replica's lag in seconds, measured on the replica itself. When it has replayed all it has
# received from a connected primary (receive = replay, and a WAL receiver is running) it is
# current, however long ago the last transaction was: an idle primary sends nothing, and
# now() - pg_last_xact_replay_timestamp() alone would grow without end. Otherwise the lag is the
# age of the last transaction replayed (infinite before the first). A server not in recovery is
# a primary and never behind itself.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
        AND EXISTS (SELECT FROM pg_stat_wal_receiver) THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 'Infinity')
END::float8,
pg_last_wal_replay_lsn()::text
"""


@dataclass(frozen=True)
class ReplicaStatus:
    """What the last check found: whether reads may go to the replica, and why not."""

    usable: bool
    reason: str  # "ok", "lagging 41.3 s", "unreachable: OperationalError"
    lag_seconds: float | None
    replay_lsn: int | None  # how far it has replayed; None on a server not in recovery
    checked_at: float  # time.monotonic()


def lsn_value(text: str | None) -> int | None:
    """A PostgreSQL LSN ("16/B374D848") as a number that compares as the position does."""
    if not text or "/" not in text:
        return None
    high, _, low = text.partition("/")
    try:
        return (int(high, 16) << 32) + int(low, 16)
    except ValueError:
        return None


_status: ReplicaStatus | None = None
_status_lock = threading.Lock()


def replica_status() -> ReplicaStatus:
    """The replica's status, measured at most every DATABASE_REPLICA_CHECK_SECONDS in this
    process (0 measures at every call)."""
    global _status
    with _status_lock:
        status = _status
        if status is None or time.monotonic() - status.checked_at >= _check_seconds():
            status = _status = _replica_measure(previous=status)
        return status


def replica_mark_down(reason: str) -> None:
    """A query on the replica failed: reads go to the primary until the next check."""
    global _status
    connections[REPLICA].close()
    with _status_lock:
        _status = ReplicaStatus(False, reason, None, None, time.monotonic())
    logger.warning("replica %s: reads go to the primary", reason)


def _check_seconds() -> int:
    return settings.DATABASE_REPLICA_CHECK_SECONDS


def _replica_measure(*, previous: ReplicaStatus | None) -> ReplicaStatus:
    checked_at = time.monotonic()
    connection = connections[REPLICA]
    try:
        connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag, replay_lsn = cursor.fetchone()
    except DatabaseError as exc:
        connection.close()  # a stopped server leaves a broken connection: reconnect next time
        status = ReplicaStatus(False, f"unreachable: {type(exc).__name__}", None, None, checked_at)
    else:
        limit = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        usable = lag <= limit
        reason = "ok" if usable else f"lagging {lag:.1f} s (more than {limit} s)"
        status = ReplicaStatus(usable, reason, lag, lsn_value(replay_lsn), checked_at)
    if previous is None or previous.usable != status.usable:
        log = logger.info if status.usable else logger.warning
        target = REPLICA if status.usable else "primary"
        log("replica %s: reads go to the %s", status.reason, target)
    return status


@dataclass
class RequestReads:
    """Where one request's reads go; the router reads it through `_current`."""

    replica_allowed: bool  # a GET or HEAD on a path that may read the replica
    wrote_lsn: int | None = None  # from the cookie: the client's last write ended here
    pinned: bool = False  # this request wrote: the rest of it reads the primary
    _decision: bool | None = None

    def use_replica(self) -> bool:
        """Decided at the request's first read, so its reads all come from one server (until it
        writes): replica usable, and it has replayed the client's last write."""
        if not self.replica_allowed or self.pinned:
            return False
        if self._decision is None:
            status = replica_status()
            caught_up = self.wrote_lsn is None or (
                status.replay_lsn is not None and status.replay_lsn >= self.wrote_lsn
            )
            self._decision = status.usable and caught_up
        return self._decision

    @property
    def read_replica(self) -> bool:
        """Whether some of this request's reads went to the replica (and none wrote since)."""
        return self.replica_allowed and not self.pinned and self._decision is True


# A mutable object, so a write inside a view run in another thread's copy of the context (ASGI)
# still pins the request.
_current: ContextVar[RequestReads | None] = ContextVar("northstar_replica_reads", default=None)


class ReplicaRouter:
    """Reads of a request that may use the replica go there; everything else to the primary.
    The replica is never migrated (it replays the primary's schema) and never written to."""

    def db_for_read(self, model, **hints) -> str:
        reads = _current.get()
        if (
            reads is None
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            or _model_reads_primary(model)
        ):
            return DEFAULT_DB_ALIAS
        return REPLICA if reads.use_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        reads = _current.get()
        if reads is not None:
            reads.pinned = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # One database seen twice: a row read from the replica may be tied to one written.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db != REPLICA


def _model_reads_primary(model) -> bool:
    primary = settings.REPLICA_PRIMARY_MODELS
    return model._meta.app_label in primary or model._meta.label in primary


def _path_reads_primary(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.REPLICA_PRIMARY_PATHS)


class ReplicaReadsMiddleware:
    """Sets where the request's reads go (see the module's docstring), and after a write
    remembers in a cookie how far the primary's WAL had got. Unused without a replica."""

    def __init__(self, get_response):
        if REPLICA not in connections.settings:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        reads = RequestReads(
            replica_allowed=safe and not _path_reads_primary(request.path_info),
            wrote_lsn=lsn_value(request.COOKIES.get(WROTE_COOKIE)),
        )
        request.replica_reads = reads
        token = _current.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if reads.read_replica and connections[REPLICA].errors_occurred:
            # An error the view handled itself (the API answers 503): still, not again.
            replica_mark_down("failed under a request")
        if not safe:
            self._remember_write(response)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        request.replica_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request: HttpRequest, exception: Exception):
        """The replica failed under a view that had read from it and written nothing: mark it
        down and run the view again on the primary."""
        reads = getattr(request, "replica_reads", None)
        if not (
            isinstance(exception, DatabaseError)
            and reads is not None
            and reads.read_replica
            and connections[REPLICA].errors_occurred
        ):
            return None
        replica_mark_down(f"unreachable: {type(exception).__name__}")
        reads.replica_allowed = False
        view_func, view_args, view_kwargs = request.replica_view
        return view_func(request, *view_args, **view_kwargs)

    def _remember_write(self, response: HttpResponse) -> None:
        """The primary's WAL position now, after this request's writes committed; the cookie
        outlives the time a usable replica may take to replay it."""
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                (position,) = cursor.fetchone()
        except DatabaseError:  # the primary is gone: the response already says so
            return
        response.set_cookie(
            WROTE_COOKIE,
            position,
            max_age=settings.DATABASE_REPLICA_MAX_LAG_SECONDS
            + settings.DATABASE_REPLICA_CHECK_SECONDS
            + 1,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
