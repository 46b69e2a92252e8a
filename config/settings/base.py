"""Village settings, driven by the environment: everything, for every process.

With no environment set, the embedded default runs: SQLite, the in-memory channel layer,
Huey on SQLite and console email. Set DATABASE_URL and REDIS_URL for PostgreSQL and Redis.

`config.settings` (this module, through the package) is what manage.py, daphne and Huey load;
pytest loads `config.settings.test`, which changes the few things tests need. Nothing here
knows whether it is under test.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.village import from_environment as village_settings_from

BASE_DIR = Path(__file__).resolve().parents[2]
# A checkout has manage.py beside config/; an installed wheel (setup.py) has the templates and
# static files inside config/, and keeps its data in VILLAGE_VAR_DIR (default: ./var).
IN_CHECKOUT = (BASE_DIR / "manage.py").is_file()
TEMPLATES_DIR = BASE_DIR / "templates" if IN_CHECKOUT else BASE_DIR / "config" / "site_templates"
STATIC_DIR = BASE_DIR / "static" if IN_CHECKOUT else BASE_DIR / "config" / "site_static"
VAR_DIR = Path(
    os.environ.get("VILLAGE_VAR_DIR", BASE_DIR / "var" if IN_CHECKOUT else "var")
).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# No environment at all means a developer's machine: the embedded default, with DEBUG on.
# Production sets SECRET_KEY, and DEBUG is then off unless asked for.
DEBUG = env_bool("DEBUG", default=not os.environ.get("SECRET_KEY"))

_DEV_SECRET = "django-insecure-village-development-key-not-for-production-use-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("VILLAGE_ALLOW_DEV_SECRET"):
        SECRET_KEY = _DEV_SECRET
    else:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

LOCAL_HOSTS = "localhost,127.0.0.1,[::1]"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS if DEBUG else "")
if not DEBUG and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must not be '*' in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# The footer's "Get its source code" link (AGPL section 13): your published repository; empty
# serves /source.tar.gz, the code this server runs (config/source.py).
SOURCE_CODE_URL = os.environ.get("SOURCE_CODE_URL", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "huey.contrib.djhuey",
    "django_ratelimit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "groups",
    "chat",
    "meetups",
    "moderation",
    "notifications",
    "directory",
    "config.apps.VillageConfig",  # deploy checks, operations jobs
]

MIDDLEWARE = [
    "config.metrics.MetricsMiddleware",  # first: times everything below it
    "config.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.sessions.SessionOwnerMiddleware",
    "accounts.device.DeviceCookieMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMfaForStaffMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.TermsMiddleware",
]

# Browser features pages may use (config.middleware): "self" means Village's own pages only.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": ["self"],
    "payment": [],
    "usb": [],
}

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [TEMPLATES_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.village",
            ],
            "libraries": {"village_html": "config.html"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        if env_bool("VILLAGE_PGBOUNCER"):
            # Behind PgBouncer in transaction mode (docs/scale/large.md): a connection may
            # change server between transactions, so no server-side cursors (the bulk jobs'
            # .iterator()) and no prepared statements.
            DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
            DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "village.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the lock up front, so concurrent sockets queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Huey -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# How many web (daphne) processes serve this site, for `check --deploy` (config/checks.py):
# more than one needs REDIS_URL. WEB_CONCURRENCY is the common name for the same thing.
VILLAGE_PROCESSES = int(
    os.environ.get("VILLAGE_PROCESSES", os.environ.get("WEB_CONCURRENCY", "1"))
)
REDIS_PREFIX = os.environ.get("VILLAGE_REDIS_PREFIX", "village")


# Built by functions so that config.settings.test can give a test run its own key space.
# The channel layers may be sharded over several Redis servers (channels-redis's own `hosts`
# list: each group and channel lives on one, chosen by a hash of its name); the cache and the
# job queue stay on REDIS_URL. Every process must list the same servers in the same order.
CHANNEL_REDIS_URLS = env_list("VILLAGE_CHANNEL_REDIS_URLS") or ([REDIS_URL] if REDIS_URL else [])


def channel_layers_for(prefix: str) -> dict:
    if not REDIS_URL:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": list(CHANNEL_REDIS_URLS),
                "prefix": f"{prefix}:asgi",
                "capacity": 1500,
                "expiry": 30,
                "group_expiry": 86400,
            },
        },
        # Room broadcasts (chat.events.room_layer): the hot fan-out path, one message per room
        # per process. Pub/sub costs one PUBLISH instead of RedisChannelLayer's group lookup,
        # list pushes and blocking pops, so less server CPU per delivery (docs/performance.md).
        # Member-directed events (kicks, the bell, nudges) stay on "default": the jobs ask its
        # group sets who is online (notifications/push.py).
        "rooms": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": list(CHANNEL_REDIS_URLS), "prefix": f"{prefix}:rooms"},
        },
    }


def caches_for(prefix: str) -> dict:
    if not REDIS_URL:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            # Django's RedisCache, falling back to a per-process copy while Redis is away.
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
        }
    }


def huey_for(prefix: str, immediate: bool) -> dict:
    if REDIS_URL and not immediate:
        return {
            "huey_class": "huey.RedisHuey",
            "name": f"{prefix}-huey",
            "url": REDIS_URL,
            "immediate": False,
            "utc": True,
        }
    return {
        "huey_class": "huey.SqliteHuey",
        "name": "village",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": immediate,
        "utc": True,
    }


CHANNEL_LAYERS = channel_layers_for(REDIS_PREFIX)
CACHES = caches_for(REDIS_PREFIX)
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE")
HUEY = huey_for(REDIS_PREFIX, HUEY_IMMEDIATE)

# --- Auth and accounts ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, each also reading the current terms version with the session's
    # member (accounts/backends.py).
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = os.environ.get(
    "ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory"
)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Village] "
ACCOUNT_RATE_LIMITS_DISABLED = False  # allauth's defaults stay on; they use the shared cache.
# Failed log-ins: 10 a minute per IP, and 5 in 5 minutes per "key", which accounts.adapter makes
# the address *and* the IP, so a guesser elsewhere never locks the owner out.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Village"
# Moderators and staff must set up two-factor authentication; off in DEBUG so the demo
# moderator can log in with a password.
VILLAGE_REQUIRE_MFA_FOR_STAFF = env_bool("VILLAGE_REQUIRE_MFA_FOR_STAFF", default=not DEBUG)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Village <hello@village.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Web push (notifications/webpush.py) ----------------------------------------------------
# The VAPID key pair that signs every push (`manage.py vapid_keys` makes one) and the contact
# the push services may write to about them (a mailto: or https: URL). Unset, a pair is made
# on first run and kept in var/vapid.json: fine for one server; set both on a real site so
# every process (and the next server) uses the same pair, or members must turn phone
# notifications on again.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "").strip()
if VAPID_PRIVATE_KEY and not VAPID_PUBLIC_KEY:
    from config.vapid import public_of as _vapid_public_of

    VAPID_PUBLIC_KEY = _vapid_public_of(VAPID_PRIVATE_KEY)
elif not VAPID_PRIVATE_KEY:
    if VAPID_PUBLIC_KEY:
        raise ImproperlyConfigured("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY.")
    from config.vapid import load_or_create as _vapid_load_or_create

    VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY = _vapid_load_or_create(VAR_DIR / "vapid.json")
VAPID_CONTACT = os.environ.get("VAPID_CONTACT", "mailto:hello@village.invalid")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
# Dates and times are written one way, on pages and in the browser: config/formats/en_GB.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [STATIC_DIR]
STATIC_ROOT = Path(
    os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles" if IN_CHECKOUT else VAR_DIR / "static")
)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Production serves what `collectstatic` made: each file once under a name with its hash in it
# (cached for a year by phones) and compressed. Off with DEBUG (no collectstatic needed), or
# with STATIC_MANIFEST=0 for a server run without collectstatic (some tests do).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.StaticStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging: never message bodies, never email addresses, never secret tokens --------------
# Paths carrying a secret (calendar feeds, one-tap links, unsubscribe, invites...) are masked
# (config.logfilters): on the loggers that log request paths, so every handler (and a test's
# log capture) sees the masked line, and on the console handler for anything else.
_MASK = {"filters": ["mask_secrets"]}
# django.request and the console handler also turn 4xx records into one WARNING line without
# a traceback (config.logfilters.ClientErrorsAsWarnings): the handler for django.security.*,
# whose loggers are named after each exception class.
_REQUESTS = {"filters": ["client_errors", "mask_secrets"]}
# LOG_FORMAT=json: JSON lines with the request or socket id (config/requestid.py); else plain.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_secrets": {"()": "config.logfilters.MaskSecretPaths"},
        "layer_outage": {"()": "config.logfilters.ChannelLayerOutage"},
        "client_errors": {"()": "config.logfilters.ClientErrorsAsWarnings"},
        "request_id": {"()": "config.requestid.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # LOG_FORMAT=json: one JSON object a line, for a log shipper (config/jsonlog.py).
        "json": {
            "()": "config.jsonlog.VillageJsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", *_REQUESTS["filters"]],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Configured here so Django's default console handler on "django" goes: with it, every
        # django.* line was written twice in DEBUG (it, then the root's console).
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "django.request": _REQUESTS,
        "django.security": _MASK,
        "django.server": _MASK,
        "django.channels.server": _MASK,
        "daphne.server": _MASK,
        "daphne.http_protocol": _MASK,
        "daphne.ws_protocol": _MASK,
        "channels_redis.pubsub": {"filters": ["layer_outage"]},
        # django-health-check logs each failed probe with a traceback; /readyz logs one line.
        "health_check": {"level": "CRITICAL"},
    },
}

# meetups.urls is included under "groups/<slug>/meetups" with no trailing slash (so the feed can
# be "meetups.ics"); its routes start with "/" on purpose, which urls.W002 would flag.
SILENCED_SYSTEM_CHECKS = ["urls.W002"]
# django-ratelimit counts in the default cache. Django's own RedisCache (production) counts
# atomically (INCR) but is not on django-ratelimit's list of backends, hence W001; LocMemCache
# (a fresh clone, tests) is per process, which is all one dev process needs, hence E003.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False  # config.ratelimit counts in-process instead when the cache fails
SILENCED_SYSTEM_CHECKS.append("django_ratelimit.W001")
if CACHES["default"]["BACKEND"].endswith("locmem.LocMemCache"):
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# --- Operations (docs/operations.md) --------------------------------------------------------
# /readyz (config/health.py) fails when more jobs than this wait, or when no periodic job ran
# for this long (a Huey consumer is down); each check gets this many seconds.
VILLAGE_READY_MAX_PENDING_JOBS = int(os.environ.get("VILLAGE_READY_MAX_PENDING_JOBS", "1000"))
VILLAGE_READY_HEARTBEAT_SECONDS = int(os.environ.get("VILLAGE_READY_HEARTBEAT_SECONDS", "300"))
VILLAGE_READY_TIMEOUT = float(os.environ.get("VILLAGE_READY_TIMEOUT", "3"))
# Probes speak plain HTTP to each process, behind the proxy that terminates HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Retention (config/retention.py, nightly Huey jobs): how long old rows are kept, in days, and
# how many rows one short delete transaction takes.
VILLAGE_RETAIN_NOTIFICATIONS_DAYS = int(os.environ.get("VILLAGE_RETAIN_NOTIFICATIONS_DAYS", "180"))
VILLAGE_RETAIN_DELIVERIES_DAYS = int(os.environ.get("VILLAGE_RETAIN_DELIVERIES_DAYS", "90"))
VILLAGE_RETAIN_ROOM_EVENTS_DAYS = int(os.environ.get("VILLAGE_RETAIN_ROOM_EVENTS_DAYS", "30"))
VILLAGE_RETAIN_DEVICE_SIGHTINGS_DAYS = int(
    os.environ.get("VILLAGE_RETAIN_DEVICE_SIGHTINGS_DAYS", "365")
)
VILLAGE_RETAIN_FEED_DAYS = int(os.environ.get("VILLAGE_RETAIN_FEED_DAYS", "30"))
VILLAGE_RETENTION_BATCH = int(os.environ.get("VILLAGE_RETENTION_BATCH", "1000"))
VILLAGE_RETENTION_MAX_BATCHES = int(os.environ.get("VILLAGE_RETENTION_MAX_BATCHES", "1000"))

# Prometheus metrics (config/metrics.py) at /metrics, only with this bearer token; unset, the
# endpoint is a 404. Several processes on a machine share numbers via PROMETHEUS_MULTIPROC_DIR.
METRICS_TOKEN = os.environ.get("VILLAGE_METRICS_TOKEN", "")

# Error reports (config/sentry.py): off unless SENTRY_DSN is set; scrubbed of private text.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import init as _sentry_init

    _sentry_init(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
        release=os.environ.get("SENTRY_RELEASE", ""),
    )

# --- Village --------------------------------------------------------------------------------
# The names, types and defaults are in config/village.py; the code reads them with
# config.village.village(name). Some can be set from the environment (CHAT_RATE_LIMIT_COUNT,
# CHAT_RATE_LIMIT_SECONDS, CHAT_FRAME_BURST, CHAT_FRAMES_PER_SECOND, MODERATION_AUTOHIDE_REPORTS,
# TRANSPARENCY_MIN_COUNT, RISK_REVIEW_REMINDER_DAYS).
VILLAGE = village_settings_from(os.environ)

# Appeals: the member is told who will decide and by when; staff are alerted once when an
# appeal is still waiting after this many days (moderation.tasks.alert_overdue_appeals).
VILLAGE_APPEAL_DECIDE_WITHIN_DAYS = int(os.environ.get("VILLAGE_APPEAL_DECIDE_WITHIN_DAYS", "7"))
# Urgent items nobody has acted on are re-sent to every moderator, staff member and the
# group's facilitators this long after they were raised, then every REPEAT minutes until
# someone acts (moderation.tasks.escalate_urgent_alerts).
VILLAGE_URGENT_ESCALATE_AFTER_MINUTES = int(
    os.environ.get("VILLAGE_URGENT_ESCALATE_AFTER_MINUTES", "15")
)
VILLAGE_URGENT_REPEAT_MINUTES = int(os.environ.get("VILLAGE_URGENT_REPEAT_MINUTES", "60"))
