"""Settings, from environment variables (see README "Configuration").

With nothing set it runs embedded: SQLite and a filesystem Celery broker under
var/, so that the web app, a worker and beat run on a bare machine. With
DATABASE_URL and REDIS_URL set it runs on PostgreSQL and Redis.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from base.queues import ALERTS, EXPORTS, REMINDERS, URGENT
from fhir.scopes import ALL_READ as FHIR_ALL_READ
from fhir.scopes import SCOPES as FHIR_SCOPES

from .env import envbool, envint, envlist, envstr, read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

# A developer's .env (written by `make setup`); ENV_FILE= names another or none.
read_env_file(Path(envstr("ENV_FILE", str(BASE_DIR / ".env"))))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string "
            "(or DEBUG=1 for local development only)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# The port `make run` serves the app on (Procfile); links in alerts, reminders and
# invitations follow it unless SITE_URL names the address people open.
WEB_PORT = envint("WEB_PORT", 8000)
SITE_URL = envstr("SITE_URL", f"http://127.0.0.1:{WEB_PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "base",
    "patients",
    "alerts",
    "fhir",
    "accounts",
    "oauth2_provider",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The FHIR API knows no session: its requests are a token's or no one's, so the
    # idle timeout and the second factor below never act on them (fhir/auth.py).
    "fhir.auth.TokenOnlyMiddleware",
    "symptom_tracker.middleware.NoStoreWhenLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: both may log out or redirect with a message.
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.two_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "symptom_tracker.middleware.ViewerTimezoneMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "symptom_tracker.urls"
WSGI_APPLICATION = "symptom_tracker.wsgi.application"
ASGI_APPLICATION = "symptom_tracker.asgi.application"

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
                "symptom_tracker.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "patients:home"
LOGOUT_REDIRECT_URL = "login"

# Signing in (README "Signing in"). django-axes watches every password login: 5
# failures for one username from one address lock that pair out for the cool-off,
# a correct password included. It must come first; ModelBackend checks passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 30))
# The client's address is REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies
# the entry they added to X-Forwarded-For (base/client_address.py); a
# header the client forged itself changes nothing. The lockout counts an IPv6
# client by its /64 (one household or server holds a whole one), IPv4 by address.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "base.client_address.client_network"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lockout ends a fixed time after the fifth failure, as the lockout page says;
# attempts during it are refused without moving that time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False  # no banner on every command; lockouts are still logged
# Clinicians and admins confirm a code from an authenticator app after their
# password (accounts.two_factor); patients and carers do not.
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "Symptom tracker")
# An admin may delete someone's device (a lost phone) but never see its secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Setting up a first authenticator app needs a one-time activation code an admin
# issues (accounts/activation.py): how long one works, and how many codes one
# account may try an hour.
TWO_FACTOR_ACTIVATION_HOURS = envint("TWO_FACTOR_ACTIVATION_HOURS", 72)
TWO_FACTOR_ACTIVATION_TRIES_PER_HOUR = envint("TWO_FACTOR_ACTIVATION_TRIES_PER_HOUR", 5)
# Staff and clinicians are logged out after this long without a page of their own
# (the triage queue's background refresh does not count); 0 turns it off.
STAFF_IDLE_TIMEOUT_SECONDS = envint("STAFF_IDLE_TIMEOUT_SECONDS", 15 * 60)
# How long a password reset link works.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 3600)

# British English by default; American English (spelling, °F first) for a browser
# that asks for it or a viewer who chooses it. Catalogue: locale/en_US.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English (UK)"), ("en-us", "English (US)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # a choice made once, kept
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The zone a viewer without one of their own sees; storage is always UTC.
TIME_ZONE = envstr("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
_STATIC_MANIFEST = not DEBUG and envbool("STATIC_MANIFEST", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collected files (DEBUG, or STATIC_MANIFEST=0 as under `make run`) WhiteNoise
# serves static files from their folders, so that pages keep their styles.
WHITENOISE_USE_FINDERS = not _STATIC_MANIFEST

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The number a patient is told to ring in an emergency (999 in the UK, 112, 911).
EMERGENCY_NUMBER = envstr("EMERGENCY_NUMBER", "999")

# Email: Django's backends. The embedded default prints to the worker's console.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
# Well under the sweep's 10 minutes for a delivery with no outcome
# (alerts/services/delivery.py, STALE_SENDING).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "alerts@symptom-tracker.localhost")

# SMS: the development channel writes each message to the log, and to SMS_FILE when set.
SMS_FILE = envstr("SMS_FILE")
# A Twilio-style REST API (form POST of To/From/Body, basic auth); unset: the log channel.
SMS_API_URL = envstr("SMS_API_URL")
SMS_ACCOUNT = envstr("SMS_ACCOUNT")
SMS_TOKEN = envstr("SMS_TOKEN")
SMS_FROM = envstr("SMS_FROM")
# Check-ins by SMS reply (patients/services/sms.py): the provider POSTs each reply to
# /sms/inbound/, signed with SMS_TOKEN over the address it posts to, which is this one
# as the provider sees it (set it behind a proxy that changes the host or scheme).
SMS_INBOUND_URL = envstr("SMS_INBOUND_URL", f"{SITE_URL}/sms/inbound/")
# Messages one number may send an hour; beyond it they are dropped unanswered (a loop
# or a flood costs nothing), but for a warning sign or a red reply, always taken.
SMS_PER_NUMBER_PER_HOUR = envint("SMS_PER_NUMBER_PER_HOUR", 10)

# Outbound HTTP: the webhook and SMS channels' one client (alerts/channels/http.py).
# It follows no redirect and keeps no reply but its status. https only; plain http
# for development when OUTBOUND_ALLOW_HTTP is on. A webhook's host is resolved when
# it is sent to, and refused if any of its addresses is loopback, private,
# link-local (cloud metadata included), multicast, unspecified or reserved, unless
# OUTBOUND_ALLOWED_NETWORKS (comma-separated CIDRs, e.g. a paging system's
# 10.20.0.0/16) lists it. The host of SMS_API_URL, set by the operator, is trusted.
OUTBOUND_ALLOW_HTTP = envbool("OUTBOUND_ALLOW_HTTP", False)
OUTBOUND_ALLOWED_NETWORKS = envlist("OUTBOUND_ALLOWED_NETWORKS", [])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.20.0.0/16."
        ) from None
# Per connection and per read: well under the sweep's 10 minutes (STALE_SENDING).
OUTBOUND_TIMEOUT_SECONDS = envint("OUTBOUND_TIMEOUT_SECONDS", 10)
if SMS_API_URL and not SMS_API_URL.startswith("https://") and not OUTBOUND_ALLOW_HTTP:
    raise ImproperlyConfigured(
        "SMS_API_URL must be an https:// address (or set OUTBOUND_ALLOW_HTTP=1 for development)."
    )

# How long the acknowledge link in an alert works (it works once).
ACK_LINK_MAX_AGE_SECONDS = envint("ACK_LINK_MAX_AGE_SECONDS", 24 * 3600)
# How long a patient's or a carer's invitation link works.
INVITATION_MAX_AGE_DAYS = envint("INVITATION_MAX_AGE_DAYS", 14)
# Emails anyone can ask for are limited (base/throttle.py), so that the app
# cannot be used to flood a mailbox: password-reset requests an hour for one email
# address and from one client address, and the carer invitations a patient sends a day.
PASSWORD_RESETS_PER_EMAIL_PER_HOUR = envint("PASSWORD_RESETS_PER_EMAIL_PER_HOUR", 3)
PASSWORD_RESETS_PER_CLIENT_PER_HOUR = envint("PASSWORD_RESETS_PER_CLIENT_PER_HOUR", 20)
CARER_INVITATIONS_PER_DAY = envint("CARER_INVITATIONS_PER_DAY", 10)
# Check-ins one patient (with their carers) may send an hour; one that reports a
# warning sign or is judged red or emergency is never refused (patients.services.check_ins).
CHECK_INS_PER_HOUR = envint("CHECK_INS_PER_HOUR", 12)
# Keys the audit trail's pseudonymous patient references (patients.audit); falls back
# to SECRET_KEY. Set it, and keep it, so that references survive a SECRET_KEY rotation.
AUDIT_PSEUDONYM_KEY = envstr("AUDIT_PSEUDONYM_KEY", "")

# FHIR R4 (fhir/): the system of a Patient's identifier (the hospital number): set it to
# the URI the hospital's record uses for its local patient numbers, so that the record
# matches our patients to its own. The tracker's own CodeSystem (item, urgency and rule
# codes) is published at FHIR_CODE_SYSTEM_URL.
FHIR_PATIENT_IDENTIFIER_SYSTEM = envstr(
    "FHIR_PATIENT_IDENTIFIER_SYSTEM", f"{SITE_URL}/fhir/r4/NamingSystem/hospital-number"
)
FHIR_CODE_SYSTEM_URL = envstr(
    "FHIR_CODE_SYSTEM_URL", f"{SITE_URL}/fhir/r4/CodeSystem/symptom-tracker"
)

# The FHIR API's OAuth 2.0 (django-oauth-toolkit, README "API (FHIR R4)"): record
# systems get a token by client credentials only, for read scopes only
# (SMART v1 style `system/*.read`, `system/Patient.read`...), that lasts
# FHIR_TOKEN_SECONDS; tokens and client secrets are stored only as hashes.
FHIR_TOKEN_SECONDS = envint("FHIR_TOKEN_SECONDS", 300)
# FHIR bulk export ($export, fhir/export.py): NDJSON files under FHIR_EXPORT_DIR, a
# folder a job, written by the exports queue's worker, deleted (with the job)
# FHIR_EXPORT_TTL_HOURS after the kick-off or the export's end. The web processes
# serve the files, so with several machines the folder is shared storage.
FHIR_EXPORT_DIR = Path(envstr("FHIR_EXPORT_DIR", str(VAR_DIR / "exports")))
FHIR_EXPORT_TTL_HOURS = envint("FHIR_EXPORT_TTL_HOURS", 24)
# Rows read (and resources held in memory) at a time while writing an export.
FHIR_EXPORT_BATCH = envint("FHIR_EXPORT_BATCH", 200)
# An export whose worker has written no batch for this long stopped (the worker died,
# or the broker lost its task): the sweep fails it, so that its client may start again.
FHIR_EXPORT_STALE_MINUTES = envint("FHIR_EXPORT_STALE_MINUTES", 15)
# Named, as the toolkit asks, because fhir.ClientAccess refers to it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": FHIR_TOKEN_SECONDS,
    "SCOPES": FHIR_SCOPES,
    "DEFAULT_SCOPES": [FHIR_ALL_READ],
    "OAUTH2_VALIDATOR_CLASS": "fhir.oauth.ClientCredentialsValidator",
    # Settings of grants the API does not offer, set as RFC 9700 asks, so that a
    # client could not be given one that is unsafe.
    "PKCE_REQUIRED": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}

# Celery. Redis when REDIS_URL is set; otherwise kombu's filesystem transport
# under var/, which needs no server, so the worker and beat really run.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
# The queues (base/queues.py), each with workers of its own (Procfile, docs/DEPLOY.md).
# Red never waits: a red or emergency check-in's evaluation and its alert's deliveries
# are queued on URGENT by the services that know the urgency (alerts/receivers.py,
# alerts/services/delivery.py), and escalation and the outbox sweep are routed there;
# the rest of alerts' work is on ALERTS; reminders and password-reset emails on
# REMINDERS.
CELERY_TASK_DEFAULT_QUEUE = ALERTS
CELERY_TASK_ROUTES = {
    "alerts.tasks.escalate_overdue_alerts": {"queue": URGENT},
    # The outbox sweep re-queues what a broker lost, red work included: it must not wait
    # behind a backlog of green evaluations either (it is small, and runs once a minute).
    "alerts.tasks.send_due_notifications": {"queue": URGENT},
    # accounts' password-reset email keeps its first name, patients.tasks.send_password_reset_email
    "patients.tasks.*": {"queue": REMINDERS},
    # FHIR bulk exports ($export): long, never urgent, on a queue of their own.
    "fhir.tasks.*": {"queue": EXPORTS},
}
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup closes a worker's database connection before and after every
# task unless this is set, so each check-in's evaluation paid for a new PostgreSQL
# connection (a backend started, authenticated, its caches filled: more CPU than the
# evaluation). Set, the fixup closes it every this many tasks, and base/tasks.py
# keeps or closes it around each task as Django does around a request (CONN_MAX_AGE,
# the health check, a connection left broken or in a transaction).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Beat runs once however many are started (base/beat.py): the one holding a lock (a
# Redis key that expires unless renewed, or with the file broker a lock on a file)
# schedules; the others wait and take over when it stops or dies.
CELERY_BEAT_SCHEDULER = "base.beat:LockedScheduler"
CELERY_BEAT_LOCK_TIMEOUT = envint("BEAT_LOCK_TIMEOUT_SECONDS", 60)
CELERY_BEAT_LOCK_FILE = str(VAR_DIR / "celerybeat.lock")
CELERY_BEAT_MAX_LOOP_INTERVAL = 10  # the lock is renewed at every tick: well within its timeout
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-alerts": {"task": "alerts.tasks.escalate_overdue_alerts", "schedule": 60.0},
    "send-due-notifications": {"task": "alerts.tasks.send_due_notifications", "schedule": 60.0},
    "send-check-in-reminders": {"task": "patients.tasks.send_due_reminders", "schedule": 300.0},
    # The care teams' figures, one row a team a day (alerts/services/figures.py): not
    # urgent, so on the queue of reminders, behind no alert.
    "refresh-team-figures": {
        "task": "alerts.tasks.refresh_team_figures",
        "schedule": 300.0,
        "options": {"queue": REMINDERS},
    },
    # FHIR bulk export files and jobs past FHIR_EXPORT_TTL_HOURS (fhir/export.py).
    "delete-expired-fhir-exports": {
        "task": "fhir.tasks.delete_expired_exports",
        "schedule": 600.0,
        "options": {"queue": EXPORTS},
    },
}

# How long a queued notification may wait for a worker before the sweep re-queues it.
NOTIFICATION_REQUEUE_AFTER_SECONDS = envint("NOTIFICATION_REQUEUE_AFTER_SECONDS", 120)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only says the site may be preloaded (nothing is submitted); check --deploy wants it.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer's plain-http probe of /health/ gets its answer, not a redirect.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts and styles only from our own static
# files, never inline; the charts are inline <svg> markup, which needs nothing.
# Bootstrap's CSS draws a few icons from data: URIs.
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
    },
}
