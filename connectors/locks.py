"""One sync at a time per connector, across processes: a Redis lock (the broker's Redis).

The lock lives CONNECTOR_SYNC_LOCK_SECONDS and a thread of its holder renews it every third of
that while the sync runs, however long a page or a Retry-After wait takes. A holder killed
mid-sync (SIGKILL, a lost machine) stops renewing, so the connector is free again within
CONNECTOR_SYNC_LOCK_SECONDS and the redelivered task (or the next beat) resumes the sync from its
stored cursor. A lock as long as the longest sync would have held it for an hour."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
from django.conf import settings
from redis.exceptions import LockError, RedisError


@contextmanager
def connector_sync_lock(connector_id: int) -> Iterator[bool]:
    """Yields True when this process holds the connector's lock, False when another does."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    seconds = settings.CONNECTOR_SYNC_LOCK_SECONDS
    # thread_local=False: the renewing thread must see the token the acquiring thread got.
    lock = client.lock(
        f"northstar:connector-sync:{connector_id}",
        timeout=seconds,
        blocking=False,
        thread_local=False,
    )
    held = lock.acquire()
    if not held:
        yield False
        return
    done = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(lock, done, seconds / 3), daemon=True, name="connector-lock"
    )
    renewer.start()
    try:
        yield True
    finally:
        done.set()
        renewer.join()
        # It may have expired (Redis unreachable for longer than the lock lives).
        with suppress(LockError):
            lock.release()


def _renew(lock, done: threading.Event, every: float) -> None:
    while not done.wait(every):
        try:
            lock.reacquire()
        except (LockError, RedisError):
            return
