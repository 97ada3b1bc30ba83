"""Test settings: the real PostgreSQL and Redis, fast hashing, plain static storage."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-test-only")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A Celery worker started by a test cannot share the test's memory: it is given a file backend.
if env.str("TEST_EMAIL_URL", default=""):
    vars().update(env.email_url("TEST_EMAIL_URL"))
# Tests never use a replica, even when .env names one: the replica tests start their own
# (tests/core/test_replica.py).
DATABASES.pop("replica", None)  # noqa: F405
DATABASE_ROUTERS = []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A Redis database of its own, so tests never consume a developer's queued tasks, and a queue
# per test run, so two suites running at once never take each other's tasks. A worker started
# by a test is given the same TEST_CELERY_QUEUE.
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_DEFAULT_QUEUE = env.str("TEST_CELERY_QUEUE", default=f"tests-{os.getpid()}")
# django-axes needs the request in authenticate(), which the test client's login() does not
# pass; tests of the rate limit switch it on (tests/security/test_login_rate_limit.py).
AXES_ENABLED = False
# Rate-limit counters of this run only: a database of their own and a prefix per run.
CACHES["api"]["LOCATION"] = env.str("TEST_API_CACHE_URL", default="redis://127.0.0.1:6379/14")  # noqa: F405
CACHES["api"]["KEY_PREFIX"] = f"tests-{os.getpid()}"  # noqa: F405
# Webhook retries at once in tests. A worker started by a test may be given a short visibility
# timeout (how long the broker waits before redelivering a task whose worker died) and a key
# prefix of its own, so its redeliveries never touch another suite's unacknowledged tasks.
PLAYBOOK_WEBHOOK_BACKOFF = 0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405 - base's quick give-up when Redis is down
    "visibility_timeout": int(env.str("TEST_CELERY_VISIBILITY_TIMEOUT", default="3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
if env.str("TEST_CELERY_KEYPREFIX", default=""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("TEST_CELERY_KEYPREFIX")
# A fixed connector key for tests only (never a real secret).
CONNECTOR_SECRET_KEYS = ["dGVzdC1vbmx5LWNvbm5lY3Rvci1rZXktMzItYnl0ZXM="]  # pragma: allowlist secret
