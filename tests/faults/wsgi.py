"""The WSGI application for the fault tests' gunicorn: production settings, with static files
from the finders instead of collectstatic's manifest (a checkout has none; the faults under
test are about the database and Redis, not static files)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
