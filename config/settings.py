"""prefcenter settings, driven by environment variables (12-factor).

Every knob that differs between a laptop and production is an environment variable;
there is no production-only settings module. See README.md for the list.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

# Absolute base URL used in signed links and customer detail URLs.
PREFCENTER_BASE_URL = os.environ.get("PREFCENTER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "prefcenter",
    "customers",
    "messaging",
    "subscribers",
    "webhooks",
    "compliance",
    "selfservice",
    "console",
]

MIDDLEWARE = [
    "prefcenter.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "prefcenter.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

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

# ---------------------------------------------------------------- database
# PostgreSQL (or any engine) through DATABASE_URL; SQLite by default, in the file SQLITE_PATH
# (default db.sqlite3) or the one a `sqlite:///…` DATABASE_URL names. However SQLite is chosen it
# runs in WAL mode with IMMEDIATE transactions and a busy timeout, so concurrent writers queue
# on the timeout instead of failing "database is locked" when a read upgrades to a write.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Options given in the URL's query string win over the defaults.
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    DATABASES["default"].setdefault("TEST", {"NAME": os.environ.get("SQLITE_TEST_PATH") or None})
    # SQLITE_CONN_MAX_AGE (seconds, default 0: Django's default) keeps a worker's connection between requests,
    # with SQLite's own prepared statements: +20-55% write throughput under gunicorn (docs/bench.md). Off by
    # default because `make run`'s development server starts a thread per request, which would leave one
    # open connection per request behind (Django's advice: no persistent connections with it).
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SQLITE_CONN_MAX_AGE", "0"))
else:
    # One test database per test process, so concurrent test runs against one server never collide.
    DATABASES["default"].setdefault("TEST", {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- cache
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis must fail fast (throttles fail open, idempotent writes answer 503), not hang.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "prefcenter"}}

# ---------------------------------------------------------------- auth, i18n, static
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
# Each project app ships its own catalogs (<app>/locale). Listed here so they win over Django's own
# (Django's French admin says "Courriel" for "Email"; the page says "E-mail"): app catalogs alone
# rank below django.contrib.*, which come first in INSTALLED_APPS.
LOCALE_PATHS = sorted(BASE_DIR.glob("*/locale"))
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# ---------------------------------------------------------------- security
# Production defaults are on unless DEBUG; each can be turned off by env for a
# deployment that terminates TLS elsewhere and says so.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: browsers keep sending the real Origin on the site's own form posts (the admin's and the
# page's CSRF checks need it; no-referrer made Chromium send `Origin: null`); other sites get no referrer.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "prefcenter.handlers.csrf_failure"

# Request bodies above this size are refused with 413 before they are parsed.
PREFCENTER_MAX_BODY_BYTES = env_int("PREFCENTER_MAX_BODY_BYTES", 1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = PREFCENTER_MAX_BODY_BYTES
# The self-service form posts a checkbox and its hidden initial copy per switch: 200 workflows on
# 5 channels is over 2,000 fields, past Django's default of 1,000 (a save would be a 400). The body
# limit above bounds the parsing work whatever this number is.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("PREFCENTER_MAX_FORM_FIELDS", 20_000)
# JSON and XML bodies nested deeper than this are a 400 parse error (prefcenter/parsers.py); far below
# Python's recursion limit, far above any contract's shape (the deepest is 5 levels).
PREFCENTER_MAX_BODY_DEPTH = env_int("PREFCENTER_MAX_BODY_DEPTH", 32)

# ---------------------------------------------------------------- REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["prefcenter.authentication.PrefCenterAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["prefcenter.permissions.HasScopes"],
    "DEFAULT_RENDERER_CLASSES": ["prefcenter.renderers.JSONRenderer", "prefcenter.renderers.XMLRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "prefcenter.parsers.StrictJSONParser",
        "prefcenter.parsers.SafeXMLParser",
        "prefcenter.parsers.TextXMLParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "prefcenter.negotiation.FormatNegotiation",
    "DEFAULT_METADATA_CLASS": "prefcenter.metadata.PrefCenterMetadata",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "prefcenter.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "prefcenter.schema.PrefCenterAutoSchema",
    "EXCEPTION_HANDLER": "prefcenter.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["prefcenter.throttling.CredentialRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "credential": os.environ.get("PREFCENTER_THROTTLE_RATE", "6000/min"),
        # Per client address: API requests refused as unauthenticated, and the public /p/ and /u/ pages.
        "anonymous": os.environ.get("PREFCENTER_ANON_THROTTLE_RATE", "300/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "prefcenter API",
    "DESCRIPTION": (
        "Notification preference center. Four contracts on one store: TeamUp customer notification "
        "preferences, messaging category preferences with digest modes, Novu-style workflow subscriber "
        "preferences, and Reach-style customer resources."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/(api/(v2/|resources/)?|v1/|v2/)",
    "PREPROCESSING_HOOKS": ["prefcenter.schema.keep_canonical_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "prefcenter.schema.add_cross_field_rules",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DigestEnum": "prefcenter.channels.DIGEST_CHOICES",
        "ChannelEnum": "prefcenter.channels.CHANNEL_CHOICES",
        "WebhookDeliveryStatusEnum": "webhooks.models.DELIVERY_STATUSES",
        "StatusEnum": ["ACTIVE", "INACTIVE"],  # a Novu workflow's status keeps its name beside the webhook one
    },
}

# ---------------------------------------------------------------- prefcenter
# Idempotency records are kept this long (seconds); see prefcenter/idempotency.py.
PREFCENTER_IDEMPOTENCY_TTL = env_int("PREFCENTER_IDEMPOTENCY_TTL", 24 * 3600)
# Signed self-service links expire after this many seconds (default 30 days).
PREFCENTER_LINK_MAX_AGE = env_int("PREFCENTER_LINK_MAX_AGE", 30 * 24 * 3600)
# Customer JWTs may live at most this many seconds (exp - iat): mint_customer_token refuses a longer --ttl
# and authentication refuses a longer-lived token (default one day).
PREFCENTER_CUSTOMER_TOKEN_MAX_TTL = env_int("PREFCENTER_CUSTOMER_TOKEN_MAX_TTL", 24 * 3600)
# Reads a customer's token version (prefcenter/authentication.py); the customers app owns the answer.
PREFCENTER_CUSTOMER_TOKEN_VERSION = "customers.selectors.customer_token_version"
# A stable id for this installation, shown as Reach's platformId.
PREFCENTER_PLATFORM_ID = os.environ.get("PREFCENTER_PLATFORM_ID", "6f1d1c3e-5d0a-5b7e-9a51-0c1f3b2a7e10")
# Proxies in front of the app that append to X-Forwarded-For (0: trust only REMOTE_ADDR). The client
# address (per-address throttles, the ledger's ip) is the one the outermost trusted proxy saw.
PREFCENTER_NUM_PROXIES = env_int("PREFCENTER_NUM_PROXIES", 0)

# Webhooks (docs/webhooks.md): POST timeout, a worker's claim on a delivery (must outlast the POST),
# how long a failing delivery is retried (and an endpoint may fail before it is disabled), backoff.
PREFCENTER_WEBHOOK_TIMEOUT = env_int("PREFCENTER_WEBHOOK_TIMEOUT", 10)
PREFCENTER_WEBHOOK_LEASE = env_int("PREFCENTER_WEBHOOK_LEASE", 60)
PREFCENTER_WEBHOOK_RETRY_FOR = env_int("PREFCENTER_WEBHOOK_RETRY_FOR", 3 * 24 * 3600)
PREFCENTER_WEBHOOK_BACKOFF_BASE = env_int("PREFCENTER_WEBHOOK_BACKOFF_BASE", 5)
PREFCENTER_WEBHOOK_BACKOFF_MAX = env_int("PREFCENTER_WEBHOOK_BACKOFF_MAX", 6 * 3600)
# The SSRF guard (webhooks/destinations.py) refuses endpoints on loopback/private/link-local/... addresses;
# on only for a receiver on this host or network (tests, a private deployment).
PREFCENTER_WEBHOOK_ALLOW_PRIVATE = env_bool("PREFCENTER_WEBHOOK_ALLOW_PRIVATE", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Compliance (docs/compliance.md) ---------------------------------------------------------------
# The key of the pseudonyms that replace an erased customer's external id in the ledger. Set it
# explicitly and keep it: with another key, an access request for an erased person no longer
# finds their history. Default: derived from SECRET_KEY.
PREFCENTER_PSEUDONYM_KEY = (
    os.environ.get("PREFCENTER_PSEUDONYM_KEY", "")
    or hashlib.sha256(f"prefcenter.pseudonym:{SECRET_KEY}".encode()).hexdigest()
)
