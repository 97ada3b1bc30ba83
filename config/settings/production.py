"""Production settings: DEBUG off (DEBUG=true is refused), a real SECRET_KEY required, HTTPS
everywhere.

`manage.py check --deploy` with these settings reports nothing (tests/test_security.py runs it).
Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true (the proxy must set
X-Forwarded-Proto); SECURE_SSL_REDIRECT=false leaves the redirect to the proxy. SECURE_HTTPS=false
is only for serving plain HTTP on localhost (docker compose's demo, `make loadtest`).
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import CONNECTOR_SECRET_KEYS, DEBUG, SECRET_KEY, env_flag, env_int

if DEBUG:
    raise ImproperlyConfigured(
        "DEBUG=true is refused by the production settings (it shows tracebacks and settings to "
        "anyone); set DEBUG=false, or use config.settings.local for development"
    )
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

if not CONNECTOR_SECRET_KEYS:
    raise ImproperlyConfigured(
        "CONNECTOR_SECRET_KEYS must be set in production (connector secrets are encrypted with "
        "it; .env.example says how to make one)"
    )

SECURE_HTTPS = env_flag("SECURE_HTTPS", default=True)

# Cookies only over HTTPS, never readable by scripts (the CSRF token is read from the form).
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS: redirect plain HTTP (unless the proxy does it) and tell browsers to stay on HTTPS.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=SECURE_HTTPS)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_flag("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31_536_000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", default=True)
# /healthz is polled over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
