"""Real Celery workers for the tests that are about them: a `celery worker` subprocess on the
test database (committed to: the worker has its own connection), the tests' Redis database and
this run's queue."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def start_worker(*, output=subprocess.DEVNULL, **env: str) -> subprocess.Popen:
    """A solo-pool worker; `env` adds variables (TEST_EMAIL_URL, visibility timeouts...)."""
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM (a warm shutdown), then a kill after 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def purge_queue() -> None:
    """Drop what earlier tests left on this run's queue."""
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
