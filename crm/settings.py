"""Guanxi CRM settings: everything comes from the environment (.env supported).

Without any variable the app runs on SQLite under ./var with development defaults.
With CRM_ENV=production (any case) it refuses unsafe settings (see `_check_production`).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


TESTING = "pytest" in sys.modules or env_bool("CRM_TESTING")
CRM_ENV = env("CRM_ENV", "development").strip().lower()
if CRM_ENV not in ("development", "production"):
    # A typo ("prod", "Prodution") would otherwise run a server with development defaults.
    raise ImproperlyConfigured(f"CRM_ENV must be development or production, not {CRM_ENV!r}")
PRODUCTION = CRM_ENV == "production"
DEFAULT_SECRET_KEY = "dev-insecure-guanxi-secret-key-change-me"

SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION and not TESTING)
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]


def _trusted_proxies(value):
    """Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs; core.context.ip_from_request)."""
    import ipaddress

    entries = [e.strip() for e in value.split(",") if e.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"CRM_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return entries


CRM_TRUSTED_PROXIES = _trusted_proxies(env("CRM_TRUSTED_PROXIES", ""))

DATA_DIR = Path(env("CRM_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "core",
    "accounts",
    "basedata",
    "workspace",
    "customers",
]

MIDDLEWARE = [
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.PrivateCacheMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "core.request_guard.RefuseNulMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.shell",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # IMMEDIATE avoids "database is locked" on read-then-write transactions (architecture §9).
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;",
}
if env("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            env("DATABASE_URL"),
            conn_max_age=int(env("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    elif "postgresql" in DATABASES["default"]["ENGINE"]:
        # A list page joins 6-7 lookup tables (owner, dictionaries, region): the planner's
        # exhaustive join-order search took ~10 ms of planning for a 0.7 ms query. In groups of
        # 4 it still reorders where it matters and plans in ~1.6 ms (bench/README.md).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c join_collapse_limit=4 -c from_collapse_limit=4"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Models core refers to without importing their app (core/ is framework only; arrows point into it).
CRM_DEPARTMENT_MODEL = "accounts.Department"
CRM_AUDIT_MODEL = "accounts.AuditEntry"
AUTHENTICATION_BACKENDS = [
    # axes first: a locked-out login is refused before any password hash is computed.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Same algorithm, cheaper parameters: keeps the suite fast without changing code paths.
    PASSWORD_HASHERS = ["core.testing.hashers.FastArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = int(env("CRM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("CRM_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants IP-based lockout; per-IP throttling is django-ratelimit's job on the login view
# and token endpoint (before hashing), and locking by IP would lock out a whole office behind NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.context.ip_from_request"  # the client behind trusted proxies
AXES_VERBOSE = False

SESSION_COOKIE_AGE = int(env("CRM_SESSION_IDLE_MINUTES", "120")) * 60
SESSION_SAVE_EVERY_REQUEST = False  # idle timeout: accounts.middleware.SessionIdleMiddleware
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = env("CRM_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static / media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve straight from the app folders without collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CRM_IMPORT_MAX_BYTES = 20 * 1024 * 1024

# --- cache / jobs ---------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            # Per database: two installations (or a bench and a dev database) sharing one Redis
            # must not read each other's users, sessions or versions.
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", str(DATABASES["default"]["NAME"])),
        }
    }
    # Sessions are read from Redis on every request (written through to the database).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", False),
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        # Set explicitly: djhuey otherwise runs tasks inline whenever DEBUG is on (pitfalls.md).
        "immediate": env_bool("HUEY_IMMEDIATE", TESTING),
    }
if TESTING:
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "guanxi-test", "immediate": True}


# --- email / sms ----------------------------------------------------------------------------
def _email_settings(url):
    if not url or url.startswith("console:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("locmem:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parts = urlparse(url)
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or 25,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls" or query.get("tls", ["0"])[0] == "1",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


globals().update(_email_settings(env("EMAIL_URL", "locmem:" if TESTING else "console:")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Guanxi CRM <crm@localhost>")
CRM_SMS_GATEWAY = env("CRM_SMS_GATEWAY", "workspace.sms.LoggingSmsGateway")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three, with a JSON parser that refuses deep nesting (400, not RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi CRM API",
    "DESCRIPTION": 'REST API of Guanxi (关系) CRM. Errors: {"errors": {field: [messages]}}; '
    "404 for records outside the caller's data scope; 409 for version conflicts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- security -------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
RATELIMIT_VIEW = "core.views.ratelimited"
RATELIMIT_IP_META_KEY = "core.ratelimit.client_ip"  # key="ip" = the client behind trusted proxies
# core.ratelimit.limit(name): requests per window, counted in the default cache. "username" is one
# count shared by the login form and the token endpoint.
CRM_RATE_LIMITS = {
    "login_ip": env("CRM_LOGIN_RATE", "30/m"),
    "token_ip": env("CRM_TOKEN_RATE", "20/m"),
    "username": env("CRM_USERNAME_RATE", "10/m"),
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True


MIN_SECRET_KEY_CHARACTERS = 10


def _weak_secret_key(key):
    # Django's own deploy check asks for only 5 distinct characters: "abcde" * 10 passes it. A
    # repeated block ("0123456789" * 5) has few distinct 4-character runs; a random key has
    # nearly one per position.
    runs = {key[i : i + 4] for i in range(len(key) - 3)}
    return (
        len(key) < 50
        or len(set(key)) < MIN_SECRET_KEY_CHARACTERS
        or len(runs) < (len(key) - 3) / 2
        or DEFAULT_SECRET_KEY in key
        or key.startswith("django-insecure")
    )


def _check_production():
    problems = []
    if DEBUG:
        problems.append("DEBUG must be off")
    if _weak_secret_key(SECRET_KEY):
        problems.append(
            "SECRET_KEY must be a random value of 50+ characters with at least "
            f"{MIN_SECRET_KEY_CHARACTERS} different ones "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    if not env("ALLOWED_HOSTS"):
        problems.append("ALLOWED_HOSTS must be set")
    if problems:
        raise ImproperlyConfigured("CRM_ENV=production refuses to start: " + "; ".join(problems))


if PRODUCTION:
    _check_production()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {"django.server": {"level": "WARNING" if TESTING else "INFO"}},
}

# --- CRM ------------------------------------------------------------------------------------
CRM_LIST_COUNT_CAP = 1_000  # above this, lists show an estimate instead of an exact COUNT(*)
CRM_HEARTBEAT_MAX_AGE = int(env("CRM_HEARTBEAT_MAX_AGE", "180"))
