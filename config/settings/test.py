"""Test settings: the real PostgreSQL and Redis, fast hashing, plain static storage."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-test-only")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
# pass; tests of the rate limit switch it on (tests/test_security.py).
AXES_ENABLED = False
