"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

from core.process import freeze_startup_objects  # noqa: E402 (needs the apps loaded above)

freeze_startup_objects()
