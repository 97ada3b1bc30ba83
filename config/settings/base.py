"""Settings shared by every environment, read from the environment through one `environ.Env()`.

A malformed value stops start-up with a message naming the variable, so nothing exists only in
production. `.env.example` documents every variable.
"""

import re
import zoneinfo
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from connectors.crypto import valid_keys

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

_TRUTHY = {"1", "true", "yes", "on"}
_FALSY = {"0", "false", "no", "off", ""}


def env_flag(name: str, default: bool) -> bool:
    """A boolean variable that refuses anything but an explicit yes or no."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _TRUTHY | _FALSY:
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")
    return raw in _TRUTHY


def env_int(name: str, default: int) -> int:
    """A whole-number variable; anything else stops start-up naming it."""
    raw = env.str(name, default=str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_log_level(name: str, default: str) -> str:
    raw = env.str(name, default=default).strip().upper()
    if raw not in _LOG_LEVELS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(_LOG_LEVELS)}, not {raw!r}")
    return raw


DEBUG = env_flag("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

TIME_ZONE = env.str("TIME_ZONE", default="UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from exc
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"

CURRENCY = env.str("CURRENCY", default="USD").upper()
if not re.fullmatch(r"[A-Z]{3}", CURRENCY):
    raise ImproperlyConfigured(f"CURRENCY must be a 3-letter ISO code, not {CURRENCY!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "axes",
    "core",  # no models: SQL logging, the workspace time zone, charts, the CSV response
    "audit",  # the audit log: every app writes to it, so it imports none of them
    "accounts",
    "surveys",
    "metrics",
    "healthscores",
    "ninja",  # serves the API docs page's Swagger UI from our static files, not a CDN
    "api",
    "playbooks",
    "connectors",
    "churn",  # the churn probability per account and horizon (the renewal desk reads it)
    "renewals",  # the renewal desk: calls, outcomes from contracts, reasons, the forecast
    "notifications",  # the bell, Slack and the digests: one record per signal and user
    "web",  # no models: the pages that compose several apps, and the template tags
]

# The nightly chain: what runs after a date's snapshot rows are stored, in this order, inside
# the same transaction (metrics.services.snapshot_recompute reads this list; nothing appends to
# it at start-up). Each step takes the as-of date.
AFTER_SNAPSHOT_STEPS = [
    # Score every account's snapshot with the active health model, then raise health alerts.
    "healthscores.services.score_snapshot_date",
    # The churn probability of every account per horizon with its active model (it reads the
    # health scores just written); nothing when no churn model is active.
    "churn.services.score_snapshot_date",
    # Evaluate the playbooks' triggers on that night's scores and bands (after the scores).
    "playbooks.services.evaluate_after_snapshot",
    # Derive the renewals' outcomes from the contracts, then store the day's forecast (it reads
    # the outcomes and the churn probabilities, so it runs after both).
    "renewals.services.outcomes_after_snapshot",
    "renewals.services.forecast_after_snapshot",
    # One notification per new alert, account entering red and task due, for its user; Slack
    # messages are queued after commit, so Slack never holds up (or fails) the chain.
    "notifications.services.notify_after_snapshot",
]
# The tables those steps fill with one row per account and date (app_label.Model), analysed with
# the snapshots after a backfill so their planner statistics keep up (autovacuum may be off).
AFTER_SNAPSHOT_TABLES = [
    # The health scores, one row per snapshot row.
    "healthscores.SnapshotHealth",
    # The churn probabilities, one row per account, date and active horizon.
    "churn.ChurnScore",
]

# The other apps' sections of My day (playbooks.views.my_day reads this list): each callable
# takes the day's owner and returns a playbooks.selectors.DaySection or None.
MY_DAY_SECTIONS = [
    # Churns and downsells of the owner's accounts still waiting for their reason.
    "renewals.selectors.my_day_open_outcomes",
]

# Who may see an account beyond the owner (accounts.access reads this list): each callable
# takes a user and returns a queryset of account ids.
ACCESS_EXTRA_ACCOUNT_IDS = [
    # Read-only: the accounts of the unfinished tasks someone else or a playbook gave the user.
    "playbooks.selectors.task_account_ids",
]

# Who may act on an account beyond its owner, and so also see it (accounts.access reads this
# list): each callable takes a user and returns a queryset of account ids.
ACCESS_ACTING_ACCOUNT_IDS = [
    # The descendants of the company groups a user owns: the parent's owner owns the
    # relationship, so she may work on its subsidiaries too (issue 16).
    "accounts.access.owned_group_account_ids",
]

# The other apps' entries on the account 360 page's timeline (web.selectors reads this list):
# each callable takes an account and a count per kind and returns timeline entries.
ACCOUNT_TIMELINE_SOURCES = [
    # The account's newest tasks and playbook runs.
    "playbooks.selectors.timeline_entries",
]

# The other apps' panels on the health lab page (healthscores.lab_views reads this list): each
# callable returns a context with the "template" that renders it.
HEALTH_LAB_PANELS = [
    # The churn models' out-of-time figures and reliability diagram.
    "churn.lab.lab_panel",
    # The churn reasons as labels: which kinds of churn the score warned of in time.
    "renewals.lab.lab_panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # With DATABASE_REPLICA_URL: where a request's reads go (core/replica.py); before everything
    # that reads the session or the user. Removes itself without a replica.
    "core.replica.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the request (its user, or the API key authenticated on it) as the actor of whatever
    # the request records in the audit log.
    "audit.context.AuditActorMiddleware",
    # Login everywhere unless a view opts out with @login_not_required (/healthz, surveys).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends a session idle too long or past its lifetime (with a message saying so); it runs
    # before LoginRequiredMiddleware's check, which happens in process_view.
    "accounts.sessions.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": env.db(
            "DATABASE_URL", default="postgres://northstar:northstar@127.0.0.1:5432/northstar"
        ),
    }
except ValueError as exc:  # a port that is not a number, for one
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if not DATABASES["default"].get("ENGINE"):  # django-environ only warns about an unknown scheme
    raise ImproperlyConfigured(
        "DATABASE_URL must be a database URL such as postgres://user:password@host:5432/name"
    )
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
    "DB_CONNECT_TIMEOUT", default=5
)
# No JIT: our queries are long but cheap per row, and compiling them cost more than it saved
# (the portfolio's aggregate at 10,000 accounts: 1.1 s with JIT, 0.55 s without).
# A random page read priced as on solid-state storage (PostgreSQL's default, 4, is a spinning
# disk's): with it, a CSM's portfolio totals read the day's health rows by index (111 ms)
# instead of hashing the whole health table (308 ms at 10,000 accounts and 62 dates).
_RANDOM_PAGE_COST = env.str("DB_RANDOM_PAGE_COST", default="1.1").strip()
try:
    if not 0 < float(_RANDOM_PAGE_COST) < 1000:  # also refuses nan and inf
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        f"DB_RANDOM_PAGE_COST must be a positive number, not {_RANDOM_PAGE_COST!r}"
    ) from None
DATABASES["default"]["OPTIONS"].setdefault(
    "options", f"-c jit=off -c random_page_cost={_RANDOM_PAGE_COST}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming replica of that database for the pages' and the read API's reads (GET and HEAD;
# core/replica.py decides which, docs/scaling.md says how to run one). Unset, every read goes to
# the primary. Reads fall back to the primary while the replica lags more than
# DATABASE_REPLICA_MAX_LAG_SECONDS or cannot be reached within DATABASE_REPLICA_CONNECT_TIMEOUT;
# its lag is measured at most every DATABASE_REPLICA_CHECK_SECONDS per process. Migrations,
# writes, tasks and commands never use it; the test settings drop it.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="").strip()
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30)
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", default=5)
if DATABASE_REPLICA_MAX_LAG_SECONDS < 0 or DATABASE_REPLICA_CHECK_SECONDS < 0:
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_MAX_LAG_SECONDS and DATABASE_REPLICA_CHECK_SECONDS must be 0 or more"
    )
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = environ.Env.db_url_config(DATABASE_REPLICA_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a valid database URL: {exc}"
        ) from None
    if DATABASES["replica"].get("ENGINE") != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a PostgreSQL URL such as "
            "postgres://user:password@replica-host:5432/name"
        )
    DATABASES["replica"].update(
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=True,
        # A test run would mirror the primary's test database, never create one on the replica.
        TEST={"MIRROR": "default"},
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).update(
        connect_timeout=env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2),
        options=DATABASES["default"]["OPTIONS"]["options"],
    )
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# The paths whose GETs read the primary even with a replica: the admin (an edit, then its list),
# sign-in (the OpenID callback creates and updates users), /healthz (it checks the primary), and
# the public endpoints that read to decide a write (survey pages, the in-app widget, ingestion,
# Slack's buttons).
REPLICA_PRIMARY_PATHS = ["/admin/", "/oidc/", "/healthz", "/s/", "/inapp/", "/ingest/", "/slack/"]
# The models always read from the primary (app labels or app_label.Model): who is signed in and
# with which roles and keys, so that ending a session, revoking a key or removing a role takes
# effect at once; they are small key lookups the primary serves in well under a millisecond.
REPLICA_PRIMARY_MODELS = ["auth", "sessions", "accounts.UserSession", "api.ApiKey", "axes"]

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# The API's rate limits count in Redis, so they hold across gunicorn workers and processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("API_CACHE_URL", default="") or REDIS_URL,
        "KEY_PREFIX": "northstar-api",
    },
}
RATELIMIT_USE_CACHE = "api"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused in SSO-only mode except for the break-glass admin (accounts/sso.py).
    "accounts.sso.PasswordBackend",
    # OpenID Connect sign-in, active when OIDC_CLIENT_ID is set (docs/sso.md).
    "accounts.sso.OIDCBackend",
]

# Single sign-on with OpenID Connect (mozilla-django-oidc; docs/sso.md sets up Okta, Entra ID,
# Google and Keycloak). Off while OIDC_CLIENT_ID is empty. The endpoints are given, not
# discovered, so start-up never waits on the provider. PKCE, state and nonce are always on; the
# ID token's signature, issuer, audience and expiry are checked (accounts/sso.py).
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="").strip()
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").strip()
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="").strip()
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="").strip()
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="").strip()
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_URI", default="").strip()
# Optional: the provider's end_session_endpoint; set, logging out also ends the IdP's session.
OIDC_OP_END_SESSION_ENDPOINT = env.str("OIDC_END_SESSION_ENDPOINT", default="").strip()
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256").strip()
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile").strip()
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups").strip()
# The IdP groups (names, or object ids for Entra ID) that give each role, comma separated;
# re-applied at every sign-in, so leaving the IdP group removes the role.
OIDC_ROLE_GROUPS = {
    "CSM": env.list("OIDC_GROUPS_CSM", default=[]),
    "Leader": env.list("OIDC_GROUPS_LEADER", default=[]),
    "Admin": env.list("OIDC_GROUPS_ADMIN", default=[]),
}
OIDC_STAFF_GROUPS = env.list("OIDC_GROUPS_STAFF", default=[])
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", default=10)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's logout
OIDC_CREATE_USER = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
_OIDC_REQUIRED = {
    "OIDC_ISSUER": OIDC_ISSUER,
    "OIDC_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
    "OIDC_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
    "OIDC_USERINFO_ENDPOINT": OIDC_OP_USER_ENDPOINT,
    "OIDC_JWKS_URI": OIDC_OP_JWKS_ENDPOINT,
}
if OIDC_RP_CLIENT_ID and (
    _missing := [name for name, value in _OIDC_REQUIRED.items() if not value]
):
    raise ImproperlyConfigured(
        f"OIDC_CLIENT_ID is set, so these are needed too: {', '.join(_missing)}"
    )
if OIDC_RP_CLIENT_ID and not any(OIDC_ROLE_GROUPS.values()):
    raise ImproperlyConfigured(
        "OIDC_CLIENT_ID is set but no IdP group gives a role: set OIDC_GROUPS_CSM, "
        "OIDC_GROUPS_LEADER or OIDC_GROUPS_ADMIN"
    )
# SSO only: password sign-in is refused (here and in the admin) except for the break-glass
# admin named here, a local superuser for when the IdP is down.
SSO_ONLY = env_flag("SSO_ONLY", default=False)
SSO_BREAK_GLASS_USERNAME = env.str("SSO_BREAK_GLASS_USERNAME", default="").strip()
if SSO_ONLY and not OIDC_RP_CLIENT_ID:
    raise ImproperlyConfigured("SSO_ONLY is true but OIDC_CLIENT_ID is empty: nobody could sign in")
# A sign-in ends after SESSION_IDLE_HOURS without a request and SESSION_LIFETIME_DAYS after it
# began, whatever the activity (accounts/sessions.py); the cookie lasts no longer either.
SESSION_IDLE_TIMEOUT = timedelta(hours=env_int("SESSION_IDLE_HOURS", default=8))
SESSION_LIFETIME = timedelta(days=env_int("SESSION_LIFETIME_DAYS", default=7))
if SESSION_IDLE_TIMEOUT.total_seconds() <= 0 or SESSION_LIFETIME.total_seconds() <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_HOURS and SESSION_LIFETIME_DAYS must be at least 1")
SESSION_COOKIE_AGE = int(SESSION_LIFETIME.total_seconds())
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Login rate limiting (django-axes; docs/reliability.md says why): after AXES_FAILURE_LIMIT
# failed logins for one username from one address, that pair is refused with a 429 page for
# AXES_COOLOFF_MINUTES; after AXES_ADDRESS_FAILURE_LIMIT failures from one address, whatever the
# usernames, the address is (accounts/login_limits.py). The pair limit alone let an attacker
# lock a colleague out from nowhere else and no office out, but also try four passwords on
# every username; the higher address limit stops that. Failures are kept in PostgreSQL
# (visible in the admin), so the limits hold when Redis is down.
AXES_ENABLED = env_flag("AXES_ENABLED", default=True)
AXES_HANDLER = "accounts.login_limits.PairAndAddressHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
# The pair first, then the address: the handler gives each its own limit, in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# Where a login comes from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies (each
# appending to X-Forwarded-For) the address the outermost one saw. 0 (the default) trusts no
# header: behind a proxy left at 0 every login shares the proxy's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
AXES_CLIENT_IP_CALLABLE = "accounts.login_limits.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content Security Policy (django-csp): scripts only from our own static files or inline with
# this response's nonce (templates write nonce="{{ request.csp_nonce }}"), no inline event
# handlers, no eval. Styles allow 'unsafe-inline' because Plotly sets style attributes and
# injects <style> elements at run time; a style cannot run code, and docs/reliability.md
# weighs this. Nothing may frame our pages, and forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# consolemail:// (default), filemail:////absolute/path (django-environ drops one slash),
# smtp://user:password@host:25 or smtp+tls://...:587 (quote @ and : in the password as %40, %3A).
try:
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {exc}") from None
vars().update(EMAIL_CONFIG)
# Customers see these: survey invitations come from DEFAULT_FROM_EMAIL (shown as COMPANY_NAME
# unless the value names itself, "Acme Success <success@acme.example>"), and the public survey
# pages and emails carry the company's name and, when given, its logo (an http(s) URL or a path
# on this site). Unset, they say "us" and a system check warns.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="northstar@localhost").strip()
_from_address = parseaddr(DEFAULT_FROM_EMAIL)[1]
if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", _from_address or ""):
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL must be an email address, not {DEFAULT_FROM_EMAIL!r}"
    )
COMPANY_NAME = env.str("COMPANY_NAME", default="").strip()
COMPANY_LOGO_URL = env.str("COMPANY_LOGO_URL", default="").strip()
if COMPANY_LOGO_URL and not re.fullmatch(r"(https?://[^/\s]+)?/[^\s]*", COMPANY_LOGO_URL):
    raise ImproperlyConfigured(
        f"COMPANY_LOGO_URL must be an http(s) URL or a path such as /static/logo.png, "
        f"not {COMPANY_LOGO_URL!r}"
    )
# The logo may live elsewhere: its origin (and only it) may serve images.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += re.findall(r"^https?://[^/]+", COMPANY_LOGO_URL)
# The address customers reach this site at: survey emails link to SITE_URL/s/<token>/.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not re.fullmatch(r"https?://[^/\s]+(/[^\s]*)?", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) URL, not {SITE_URL!r}")

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only when it finishes, so a worker killed mid-task loses nothing:
# the broker redelivers it, and every task is idempotent.
CELERY_TASK_ACKS_LATE = True
# Results are stored only by tasks that say someone reads them (ignore_result=False). Otherwise
# every web request that queues a task subscribes to the result backend, and with Redis down it
# retried 20 s and raised RuntimeError instead of kombu's OperationalError (docs/reliability.md).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died without acknowledging it (SIGKILL, a lost machine) is handed out
# again once it has been unacknowledged this long; it must exceed the longest task (a 30-day
# backfill chunk), or a slow task would be run twice (harmless, they are idempotent, but wasted).
# max_retries/interval_*: a web request queueing a task while Redis is down gives up after one
# retry (about a second) and tells the user, instead of holding the page for kombu's default
# connection timeout. Workers reconnect on their own (CELERY_BROKER_CONNECTION_RETRY).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}

NIGHTLY_AT = env.str("NIGHTLY_AT", default="02:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", NIGHTLY_AT):
    raise ImproperlyConfigured(f"NIGHTLY_AT must be HH:MM (24-hour), not {NIGHTLY_AT!r}")

# A renewal is the end of a committed term: a contract of at least this many months. A shorter
# one (month to month) rolls over; its end starts no renewal playbook and is no timeline event.
RENEWAL_MIN_TERM_MONTHS = env_int("RENEWAL_MIN_TERM_MONTHS", default=3)
if RENEWAL_MIN_TERM_MONTHS < 1:
    raise ImproperlyConfigured(
        f"RENEWAL_MIN_TERM_MONTHS must be 1 or more, not {RENEWAL_MIN_TERM_MONTHS}"
    )
# The renewal desk's grace period: a committed term is renewed when a successor term of the same
# account starts within this many days of its end (either side, as kpi-spec's renewal_rate
# window), and churned when none has started this many days after it ended.
RENEWAL_GRACE_DAYS = env_int("RENEWAL_GRACE_DAYS", default=30)
if RENEWAL_GRACE_DAYS < 0:
    raise ImproperlyConfigured(f"RENEWAL_GRACE_DAYS must be 0 or more, not {RENEWAL_GRACE_DAYS}")

# Playbook webhooks: seconds to wait for a receiver, retries of a failed call, and the first
# retry's delay in seconds (doubling at each retry, at most an hour).
PLAYBOOK_WEBHOOK_TIMEOUT = env_int("PLAYBOOK_WEBHOOK_TIMEOUT", default=10)
PLAYBOOK_WEBHOOK_RETRIES = env_int("PLAYBOOK_WEBHOOK_RETRIES", default=5)
PLAYBOOK_WEBHOOK_BACKOFF = env_int("PLAYBOOK_WEBHOOK_BACKOFF", default=30)
# Webhooks go to public addresses only: a URL naming (or resolving to) a loopback, private,
# link-local, CGNAT, multicast or reserved address is refused, so a playbook cannot make the
# worker probe its own network. True for receivers on the premises' own network.
WEBHOOK_ALLOW_PRIVATE = env_flag("WEBHOOK_ALLOW_PRIVATE", default=False)

# Connector secrets (Stripe signing secrets, API keys) are encrypted with these Fernet keys,
# comma separated: the first encrypts, all decrypt (rotation: docs/connectors.md). Production
# refuses to start without one.
CONNECTOR_SECRET_KEYS = valid_keys(
    env.list("CONNECTOR_SECRET_KEYS", default=[]), "CONNECTOR_SECRET_KEYS"
)
# Segment-compatible ingestion: requests a minute per write key (Redis-counted, like the API).
SEGMENT_RATE_LIMIT_PER_MINUTE = env_int("SEGMENT_RATE_LIMIT_PER_MINUTE", default=6_000)
# Slack (docs/notifications.md): a bot token (chat:write, users:read.email) posting to
# SLACK_CHANNEL or a user's direct messages, or an incoming webhook URL; the signing secret
# verifies the buttons' interactivity requests. SLACK_API_URL is for a proxy (or the tests).
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")
SLACK_CHANNEL = env.str("SLACK_CHANNEL", default="")
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")
# The in-app survey widget: requests a minute per public key (a tenth of it per end user).
INAPP_RATE_LIMIT_PER_MINUTE = env_int("INAPP_RATE_LIMIT_PER_MINUTE", default=600)
# Pulled syncs (Stripe): minutes between scheduled runs of each connector.
CONNECTOR_SYNC_EVERY_MINUTES = env_int("CONNECTOR_SYNC_EVERY_MINUTES", default=15)
# A sync's lock (one sync per connector) lives this many seconds and is renewed by its holder
# every third of it: a worker killed mid-sync frees its connector this soon, not in an hour.
CONNECTOR_SYNC_LOCK_SECONDS = env_int("CONNECTOR_SYNC_LOCK_SECONDS", default=60)
if CONNECTOR_SYNC_LOCK_SECONDS < 3:
    raise ImproperlyConfigured("CONNECTOR_SYNC_LOCK_SECONDS must be at least 3")

# The audit log (docs/audit.md): one append-only row per change, export and sign-in. Entries
# older than AUDIT_RETENTION_DAYS are deleted by the daily prune (0 keeps them for ever).
# AUDIT_ENABLED off records nothing: it exists to measure the log's cost (make bench).
AUDIT_ENABLED = env_flag("AUDIT_ENABLED", default=True)
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", default=730)
if AUDIT_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be 0 or more (0 keeps every entry)")
# The request's address by the login limits' rule (TRUSTED_PROXY_COUNT); the admin's path.
AUDIT_CLIENT_ADDRESS = "accounts.login_limits.client_address"
AUDIT_ADMIN_PATH = "/admin/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "northstar": {
            "handlers": ["console"],
            "level": env_log_level("LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
    },
}

# Usage rows are partitioned by month (accounts/partitions.py, docs/performance.md): the daily job
# keeps this many months' partitions ready ahead, and drops the partitions of months older than
# USAGE_RETENTION_MONTHS (0 keeps every month; KPIs read at most 60 days back).
USAGE_PARTITION_MONTHS_AHEAD = env_int("USAGE_PARTITION_MONTHS_AHEAD", default=3)
USAGE_RETENTION_MONTHS = env_int("USAGE_RETENTION_MONTHS", default=0)
if USAGE_PARTITION_MONTHS_AHEAD < 1:
    raise ImproperlyConfigured("USAGE_PARTITION_MONTHS_AHEAD must be 1 or more")
if 0 < USAGE_RETENTION_MONTHS < 3:
    raise ImproperlyConfigured(
        "USAGE_RETENTION_MONTHS must be 0 (keep all) or 3 or more: KPIs read 60 days of usage"
    )
# Snapshots and scores are partitioned by month too (metrics/retention.py, docs/scaling.md): the
# current month and the SNAPSHOT_DAILY_MONTHS months before it keep every day; an older month keeps
# only its last snapshot date, the day the trends and trailing periods read it on (0 keeps every
# day). Three at least: a date's churn features and comparisons read the snapshots of 30 and 59
# days before it.
SNAPSHOT_DAILY_MONTHS = env_int("SNAPSHOT_DAILY_MONTHS", default=0)
if 0 < SNAPSHOT_DAILY_MONTHS < 3:
    raise ImproperlyConfigured(
        "SNAPSHOT_DAILY_MONTHS must be 0 (keep every day) or 3 or more: a date's churn features "
        "and month-on-month comparisons read snapshots up to 59 days before it"
    )
