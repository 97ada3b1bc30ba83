"""Development settings: DEBUG on by default, with a throwaway secret key only while it is on."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, env_flag

DEBUG = env_flag("DEBUG", default=True)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105
