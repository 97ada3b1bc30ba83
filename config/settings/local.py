"""Development settings: DEBUG on by default, with a throwaway secret key only while it is on."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import CONNECTOR_SECRET_KEYS, SECRET_KEY, env_flag

DEBUG = env_flag("DEBUG", default=True)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105
if not CONNECTOR_SECRET_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("CONNECTOR_SECRET_KEYS must be set when DEBUG is off")
    # A throwaway key while DEBUG is on: secrets stored with it are for development only.
    DEVELOPMENT_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1rZXktMzJieXQ="  # pragma: allowlist secret
    CONNECTOR_SECRET_KEYS = [DEVELOPMENT_KEY]
