"""One sync at a time per connector, across processes: a Redis lock (the broker's Redis)."""

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

LOCK_SECONDS = 3600  # longer than any sync; a killed holder's lock expires by then


@contextmanager
def connector_sync_lock(connector_id: int) -> Iterator[bool]:
    """Yields True when this process holds the connector's lock, False when another does."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    lock = client.lock(
        f"northstar:connector-sync:{connector_id}", timeout=LOCK_SECONDS, blocking=False
    )
    held = lock.acquire()
    try:
        yield held
    finally:
        if held:
            lock.release()
