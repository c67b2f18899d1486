"""pulje's one settings module, driven by the environment.

Every setting that differs between a laptop, CI and production is read from an environment
variable through the typed helpers below, which fail loudly on a value they cannot parse
rather than fall back silently to something surprising.
"""

import base64
import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# A development key is only acceptable while DEBUG is on; production must set its own.
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "pulje.core",
    "pulje.accounts",
    "pulje.registry",
    "pulje.funds",
    "pulje.ledger",
    "pulje.calls",
    "pulje.applications",
    "pulje.casework",
    "pulje.desk",
    "pulje.assessment",
    "pulje.decisions",
    "pulje.payments",
    "pulje.letters",
    "pulje.allocation",
    "pulje.fasttrack",
    "django_tasks",
    "django_tasks_db",
    "pulje.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pulje.core.middleware.DanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pulje.core.middleware.SlidingSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pulje.accounts.middleware.SecondFactorMiddleware",
    "pulje.core.middleware.LockTimeoutMiddleware",
]

ROOT_URLCONF = "pulje.urls"
FORM_RENDERER = "pulje.core.forms.DkfdsFormRenderer"
WSGI_APPLICATION = "pulje.wsgi.application"

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
                "pulje.desk.context_processors.roles",
            ],
            "builtins": ["pulje.core.templatetags.pulje"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'var' / 'pulje.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
# PostgreSQL: how long core.locks.lock_for waits for a row lock before it refuses "try again".
LOCK_TIMEOUT_SECONDS = env_int("LOCK_TIMEOUT_SECONDS", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction starts, so two writers queue
    # instead of one failing with "database is locked" when it upgrades a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Each role's start page, or the page of all a person's tasks (desk.views.start).
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "core:home"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Applicants log in with a one-time code sent to their address (django-allauth); a first
# login creates the user. Staff may still use their password on a page of its own.
ACCOUNT_ADAPTER = "pulje.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "pulje.accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
# There is no sign-up form (AccountAdapter.is_open_for_signup); the password entry only keeps
# the password field on the staff's password login page, which allauth ties to it.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
# The code proves the address; there is no separate confirmation step.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
# An inactive user is sent nothing (there is no sign-up page to point them to).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_MAX_RESEND_COUNT = 2
# The session ends when the browser closes: applicants often use shared computers.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "pulje: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Counted in the cache (CACHES below), which must be shared by all workers in production.
# "key" is the e-mail address typed; each code itself allows 3 attempts.
ACCOUNT_FORMS = {"request_login_code": "pulje.accounts.forms.RequestLoginCodeForm"}
ACCOUNT_RATE_LIMITS = {
    "request_login_code": "20/m/ip,3/m/key,10/h/key",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
}
# Behind the reverse proxy, the client's address is the last one it adds to X-Forwarded-For;
# otherwise every request would seem to come from the proxy and share one IP limit.
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if env_bool("BEHIND_PROXY") else 0


def oidc_apps(raw: str) -> list[dict[str, Any]]:
    """OpenID Connect providers (MitID Erhverv through a broker) from OIDC_PROVIDERS: a JSON
    list of {"provider_id", "name", "client_id", "secret", "server_url"}."""
    keys = {"provider_id", "name", "client_id", "secret", "server_url"}
    try:
        providers = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"OIDC_PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(providers, list) or not all(
        isinstance(p, dict) and keys <= set(p) for p in providers
    ):
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS must be a JSON list of objects with the keys {sorted(keys)}."
        )
    return [
        {
            "provider_id": p["provider_id"],
            "name": p["name"],
            "client_id": p["client_id"],
            "secret": p["secret"],
            "settings": {"server_url": p["server_url"]},
        }
        for p in providers
    ]


SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": oidc_apps(env_str("OIDC_PROVIDERS", "[]"))}}
SOCIALACCOUNT_AUTO_SIGNUP = True
# A broker's addresses are verified by the identity provider, so a person who logs in with
# MitID Erhverv reaches the user they were invited as (the same e-mail address).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
# The claim in the identity provider's ID token or user info that holds the CVR number of the
# organisation the person logged in for (MitID Erhverv through a broker; the broker's
# documentation names it). A matching CVR number proves a claim to act for that organisation.
OIDC_CVR_CLAIM = env_str("OIDC_CVR_CLAIM", "cvr")
# Looking organisations up in the CVR register (pulje.registry.cvr, docs/cvr.md): the provider
# by dotted path. The default finds nothing, so nothing is fetched from outside unless asked;
# "pulje.registry.cvr.VirkCvrLookup" asks Erhvervsstyrelsen's CVR data service with the user
# name and password it hands out. A provider that is slower than the time-out is not waited
# for: the form is filled in by hand instead.
CVR_LOOKUP = env_str("CVR_LOOKUP", "pulje.registry.cvr.NoCvrLookup")
CVR_VIRK_URL = env_str(
    "CVR_VIRK_URL", "http://distribution.virk.dk/cvr-permanent/virksomhed/_search"
)
CVR_VIRK_USER = env_str("CVR_VIRK_USER", "")
CVR_VIRK_PASSWORD = env_str("CVR_VIRK_PASSWORD", "")
CVR_LOOKUP_TIMEOUT = env_int("CVR_LOOKUP_TIMEOUT", 3)
# How long an answer of the register is kept (the cache below), and how many numbers one
# person's forms may look up an hour (the provider is asked at most that often for them).
CVR_LOOKUP_CACHE_SECONDS = env_int("CVR_LOOKUP_CACHE_SECONDS", 24 * 60 * 60)
CVR_LOOKUPS_PER_HOUR = env_int("CVR_LOOKUPS_PER_HOUR", 120)
# RecordedCvrLookup's recorded responses of the CVR data service (<cvr>.json).
CVR_RECORDINGS = env_str("CVR_RECORDINGS", str(PROJECT_DIR / "var" / "cvr-recordings"))
# An administrator's invitation to work for an organisation: how long its link works, and how
# many an organisation may send an hour (a stolen administrator's login cannot mail thousands).
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
INVITATIONS_PER_HOUR = env_int("INVITATIONS_PER_HOUR", 10)

# A second factor for staff, caseworkers and funders (pulje.accounts.mfa decides who, and
# accounts.middleware.SecondFactorMiddleware holds them to it): an authenticator app (TOTP)
# with recovery codes; allauth asks for it after the password, the e-mail code or OIDC.
MFA_ADAPTER = "pulje.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "pulje"
# One code either side of now: a phone's clock a little off still works.
MFA_TOTP_TOLERANCE = 1


def fernet_keys(raw: list[str]) -> list[str]:
    """MFA_ENCRYPTION_KEY: Fernet keys (32 bytes, URL-safe base64), comma-separated, the newest
    first; the others only decrypt, for rotation (docs/production.md)."""
    for key in raw:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                "MFA_ENCRYPTION_KEY must be Fernet keys (32 bytes in URL-safe base64, as "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` makes), comma-separated."
            )
    return raw


# TOTP secrets and recovery-code seeds are stored encrypted with these keys; without any,
# keys are derived from SECRET_KEY and SECRET_KEY_FALLBACKS (MFAAdapter.encrypt).
MFA_ENCRYPTION_KEYS = fernet_keys(env_list("MFA_ENCRYPTION_KEY"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(PROJECT_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(PROJECT_DIR / "var" / "media")))
# Attachments are checked by content and size in pulje.applications.uploads; this only bounds
# what Django holds in memory before it spools an upload to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Quotas (docs/production.md, "Quotas"): what one organisation can make pulje hold.
# Open drafts an organisation may have on one call (a submitted one no longer counts).
QUOTA_DRAFTS_PER_CALL = env_int("QUOTA_DRAFTS_PER_CALL", 10)
# All the files of one application together (each file is at most 10 MB, uploads.py).
QUOTA_ATTACHMENT_BYTES = env_int("QUOTA_ATTACHMENT_MB", 50) * 1024 * 1024
# `manage.py purge_attachments` deletes the files of applications never submitted: this many
# days after the call's deadline for a draft, after its withdrawal for a withdrawn one.
PURGE_UNSUBMITTED_FILES_AFTER_DAYS = env_int("PURGE_UNSUBMITTED_FILES_AFTER_DAYS", 90)


def cache_from_url(url: str) -> dict[str, Any]:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": url[9:]}
    raise ImproperlyConfigured(f"CACHE_URL={url!r} is neither redis://… nor locmem://….")


# Login rate limits live in the cache: production needs one that all workers share (Redis).
CACHES = {"default": cache_from_url(env_str("CACHE_URL", "locmem://"))}
# A cache of one process (locmem; cache_from_url offers no other) counts the rate limits per
# gunicorn worker, which multiplies them: refused without DEBUG unless ALLOW_LOCAL_CACHE says
# one process serves pulje.
if (
    not DEBUG
    and CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    and not env_bool("ALLOW_LOCAL_CACHE")
):
    raise ImproperlyConfigured(
        "CACHE_URL is a cache of one process (locmem://), so each worker would count the login "
        "rate limits on its own: set CACHE_URL=redis://… (a Redis all workers share), or "
        "ALLOW_LOCAL_CACHE=1 if only one process serves pulje."
    )

# With DEBUG on, sent mail is kept in the outbox page (/udbakke/) instead of being sent.
OUTBOX_EMAIL_BACKEND = "pulje.core.mail.OutboxBackend"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    OUTBOX_EMAIL_BACKEND if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
# Backends that keep mail on this server: login codes would be in its logs, files or database
# (the outbox shows them to staff), so anyone who reads those could log in as an applicant.
LOCAL_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    OUTBOX_EMAIL_BACKEND,
}
if not DEBUG and EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS and not env_bool("ALLOW_LOCAL_EMAIL"):
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={EMAIL_BACKEND} keeps mail on this server, so login codes would end in "
        "its logs, files or database: send mail by SMTP (the default without DEBUG: set "
        "EMAIL_HOST and its login), or set ALLOW_LOCAL_EMAIL=1 on a server nobody logs in to "
        "for real."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds to wait for the mail server: one that hangs must not hold a worker for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pulje <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Background work (letters, bulk mail) through Django's Tasks API: queued in the database and
# run by `python manage.py db_worker` (docs/production.md); several workers may share the queue.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# Minutes a caseworker has to undo decisions before their letters are sent (0: sent at once).
LETTERS_UNDO_MINUTES = env_int("LETTERS_UNDO_MINUTES", 10)
if LETTERS_UNDO_MINUTES < 0:
    raise ImproperlyConfigured("LETTERS_UNDO_MINUTES must be 0 or more.")
# Where users report accessibility problems and other questions (shown on the statement page).
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "pulje@localhost")

# Nothing is loaded from outside the server: every script, style, font and image is ours.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
# Idle timeout: a logged-in user's requests (a draft's autosave too) extend the session
# (core.middleware.SlidingSessionMiddleware); the application form warns five minutes before
# it runs out and keeps what was typed.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
# HTTPS only without DEBUG (docs/production.md, "HTTPS"). The redirect stays on behind a
# TLS-terminating proxy too: with BEHIND_PROXY, Django sees the proxy's X-Forwarded-Proto and
# redirects only what really came over plain HTTP. The health check is exempt: a load
# balancer may probe a worker over plain HTTP inside the network.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^sundhed/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
# No page of pulje is ever shown in a frame (CONTENT_SECURITY_POLICY's frame-ancestors too),
# and addresses, which hold applications' ids, are not sent to other sites.
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A refused form (an expired session, blocked cookies) gets a Danish page that says what to do.
CSRF_FAILURE_VIEW = "pulje.core.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
