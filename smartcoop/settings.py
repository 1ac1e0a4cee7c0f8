"""SmartCoop settings: one module, driven by the environment.

Production variables are listed in README.md ("Production settings"). The module fails closed:
DEBUG is off unless DJANGO_DEBUG asks for it, and without DEBUG a SECRET_KEY is required.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SMARTCOOP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required")
    SECRET_KEY = "insecure-debug-only-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "csp",
    "core",
    "tenancy",
    "members",
    "ledger",
    "invoicing",
    "banking",
    "dunning",
    "guarantee",
    "payroll",
    "expenses",
    "reports",
    "webhooks",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Order matters: the idle timeout runs outside the request transaction (its logout must not
    # be rolled back); the tenant scope (and its transaction) must be open before the user's
    # language is applied and before pghistory records request context.
    "tenancy.middleware.StaffIdleTimeoutMiddleware",
    "tenancy.middleware.TenantScopeMiddleware",
    "tenancy.middleware.UserLanguageMiddleware",
    "tenancy.middleware.RequireMfaMiddleware",
    "core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "smartcoop.urls"
WSGI_APPLICATION = "smartcoop.wsgi.application"
ASGI_APPLICATION = "smartcoop.asgi.application"

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
                "tenancy.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL is the application role: on PostgreSQL it must not own the tables and must not
# bypass row-level security. DATABASE_OWNER_URL is the role that owns the schema and runs
# migrations (`manage.py migrate` uses it automatically). Without it, one role does both, which
# is fine for the SQLite demo and refused by the RLS tests on PostgreSQL.
_default_db_url = f"sqlite:///{VAR_DIR / 'smartcoop.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_db_url)
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60)


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=_conn_max_age, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Several processes (web, worker, beat) share the demo file: wait for locks instead of
        # failing, and take the write lock at BEGIN so read-then-write transactions cannot deadlock.
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES: dict[str, dict] = {}
if DATABASE_OWNER_URL:
    # Listed first so the test runner creates the test database as the owner (the app role has
    # no CREATEDB) and the application alias then connects to it as itself.
    DATABASES["owner"] = _database(DATABASE_OWNER_URL)
DATABASES["default"] = _database(DATABASE_URL)
if DATABASE_OWNER_URL:
    DATABASES["owner"]["TEST"] = {"DEPENDENCIES": []}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenancy.User"

# PostgreSQL setting that carries the active cooperative inside a transaction (row-level security).
SMARTCOOP_RLS_SETTING = "app.cooperative_id"
SMARTCOOP_RLS_USER_SETTING = "app.user_id"

# --- Cache, Redis, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("SMARTCOOP_CACHE_PREFIX", "smartcoop"),
        }
    }
else:
    # A file cache is shared by all processes of the demo, so allauth's rate limits hold across
    # gunicorn workers (a per-process memory cache would not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    # The filesystem transport needs no server, so the zero-setup demo still runs a real worker
    # and beat (not eager mode). Worker and producers share the folder.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers unacknowledged tasks after the visibility timeout; every time limit and
    # countdown stays well below it so a slow task is never run twice (R10, R11).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")  # business state never lives there
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "smartcoop")
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False  # enabled per task, for idempotent tasks only
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1500)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True
# The one place where periodic work is declared; beat copies it into the database, where staff
# see it in the admin. Times are UTC; every periodic task is idempotent per period (R12).
CELERY_BEAT_SCHEDULE = {
    "webhook-deliveries": {
        "task": "webhooks.tasks.deliveries_send_all",
        "schedule": 60.0,
    },
    "idempotency-keys-purge": {
        "task": "tenancy.tasks.idempotency_records_purge_all",
        "schedule": 86400.0,
    },
    "report-jobs-sweep": {
        "task": "reports.tasks.report_jobs_sweep",
        "schedule": 300.0,
    },
    "statement-imports-sweep": {
        "task": "banking.tasks.statement_imports_sweep",
        "schedule": 300.0,
    },
    "email-outbox-retry": {
        "task": "core.tasks.email_outbox_flush",
        "schedule": 300.0,
    },
    "members-close-departures": {
        "task": "members.tasks.members_close_departures_all",
        "schedule": 3600.0,
    },
    "permits-warn-expiring": {
        "task": "members.tasks.permits_warn_expiring_all",
        "schedule": 86400.0,
    },
    "applications-anonymise-rejected": {
        "task": "members.tasks.applications_anonymise_rejected_all",
        "schedule": 86400.0,
    },
    "ledger-share-payments": {
        "task": "ledger.tasks.share_payments_post_all",
        "schedule": 300.0,
    },
    "ledger-monthly-fee-floor": {
        "task": "ledger.tasks.fees_monthly_floor_all",
        "schedule": 86400.0,
    },
    "guarantee-advances-daily": {
        "task": "guarantee.tasks.advances_all",
        "schedule": 86400.0,
    },
    "dunning-letters-retry": {
        "task": "dunning.tasks.reminders_send_pending_all",
        "schedule": 300.0,
    },
    "dunning-daily": {
        "task": "dunning.tasks.dunning_run_all",
        "schedule": 86400.0,
    },
    "payroll-monthly-draft": {
        "task": "payroll.tasks.payroll_run_due_all",
        "schedule": 86400.0,
    },
    "payroll-runs-sweep": {
        "task": "payroll.tasks.payroll_runs_sweep",
        "schedule": 300.0,
    },
    "invoice-deliveries-retry": {
        "task": "invoicing.tasks.invoice_deliveries_retry_all",
        "schedule": 300.0,
    },
    "api-tokens-purge-expired": {
        "task": "tenancy.tasks.api_tokens_purge_expired",
        "schedule": 86400.0,
    },
}
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 10**9) <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must stay below the visibility timeout")

# --- Authentication (django-allauth) --------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_ADAPTER = "tenancy.adapters.AccountAdapter"
# allauth's defaults, stated so the 6th wrong password within 5 minutes is refused (R17).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SmartCoop"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
SMARTCOOP_STAFF_IDLE_SECONDS = env_int("SMARTCOOP_STAFF_IDLE_SECONDS", 30 * 60)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security headers -----------------------------------------------------------------------
_secure_default = not DEBUG
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _secure_default)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _secure_default)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", _secure_default)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [
    ("de", _("German")),
    ("en", _("English")),
    ("pl", _("Polish")),
    ("uk", _("Ukrainian")),
    ("tr", _("Turkish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("SMARTCOOP_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Every message goes into the outbox table inside the caller's transaction; a Celery task sends
# it after commit with SMARTCOOP_EMAIL_DELIVERY_BACKEND (so nothing is mailed for a rolled-back
# action, and nothing is lost when the mail server is down).
EMAIL_BACKEND = "core.mail.OutboxEmailBackend"
SMARTCOOP_EMAIL_DELIVERY_BACKEND = env_str(
    "SMARTCOOP_EMAIL_DELIVERY_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Absolute address of the portal, for links in e-mails sent by workers (no request there).
SMARTCOOP_BASE_URL = env_str("SMARTCOOP_BASE_URL", "http://127.0.0.1:8000")
# Member documents: outside MEDIA_ROOT, never served directly, only through the download view.
SMARTCOOP_PRIVATE_ROOT = Path(env_str("SMARTCOOP_PRIVATE_ROOT", str(VAR_DIR / "private")))
SMARTCOOP_UPLOAD_MAX_BYTES = env_int("SMARTCOOP_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# `bench api` compares the API with a bare view in the same server; off everywhere else.
SMARTCOOP_BENCH_VIEWS = env_bool("SMARTCOOP_BENCH_VIEWS", False)
# Webhooks go to https URLs on the public internet only; the demo and tests may call
# http://127.0.0.1 (SSRF protection stays on in production).
SMARTCOOP_WEBHOOK_ALLOW_HTTP = env_bool("SMARTCOOP_WEBHOOK_ALLOW_HTTP", DEBUG)
SMARTCOOP_WEBHOOK_ALLOW_PRIVATE = env_bool("SMARTCOOP_WEBHOOK_ALLOW_PRIVATE", DEBUG)
# Members per committed chunk of a payroll run: smaller chunks lose less work to a crash,
# larger ones run faster (R10).
SMARTCOOP_PAYROLL_CHUNK = env_int("SMARTCOOP_PAYROLL_CHUNK", 500)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SmartCoop <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.policies.RolePolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "SmartCoop API",
    "DESCRIPTION": (
        "API of SmartCoop, the platform of freelancer employment cooperatives. Every request acts "
        "inside one cooperative: the only one of the caller, or the one named by the "
        "`X-Cooperative` header. Objects of other cooperatives answer 404 like missing ones."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "members.models.Member.Status",
        "JobStatusEnum": "invoicing.models.Job.Status",
        "DocumentKindEnum": "members.models.MemberDocument.Kind",
        "ClientKindEnum": "invoicing.models.Client.Kind",
        "InvoiceStatusEnum": "invoicing.models.Invoice.Status",
        "InvoiceKindEnum": "invoicing.models.Invoice.Kind",
        "WebhookEventEnum": "webhooks.models.Event",
    },
}

# Audit context (actor, URL, cooperative) is attached to writes; reads need none.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Document libraries log every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "factur-x": {"level": "WARNING"},
    },
}
