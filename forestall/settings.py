"""forestall settings: one module, configured from the environment.

Production is the default. ``FORESTALL_DEBUG=1`` switches to the embedded
development mode, in which missing secrets are generated once into the data
directory (``FORESTALL_VAR``, default ``./var``) so that ``make demo`` needs
nothing else. In production every secret must come from the environment, and a
missing one raises a single ``ImproperlyConfigured`` naming the variable (the
``forestall`` command prints it as one line).
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from forestall.lib import devsecrets, sqlite

BASE_DIR = Path(__file__).resolve().parent
env = environ.Env()

DEBUG = env.bool("FORESTALL_DEBUG", default=False)
VAR_DIR = Path(env.str("FORESTALL_VAR", default=str(Path.cwd() / "var"))).resolve()


def _secret(name: str) -> str:
    """A secret from the environment; generated into VAR_DIR only in debug mode."""
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG:
        return devsecrets.load_or_create(VAR_DIR, name)
    raise ImproperlyConfigured(
        f"{name} is not set. Set it in the environment "
        "(see docs/operating.md, 'Configuration reference')."
    )


SECRET_KEY = _secret("FORESTALL_SECRET_KEY")
# Key ring for encrypted fields: "id:base64key,id:base64key"; the last one encrypts.
FORESTALL_KEYS = _secret("FORESTALL_KEYS")
# Pepper for codename lookup hashes and rate-limit bucket hashes.
FORESTALL_PEPPER = _secret("FORESTALL_PEPPER")
# Key of the audit log's hash chain.
FORESTALL_AUDIT_KEY = _secret("FORESTALL_AUDIT_KEY")
# Root of the per-study pseudonym keys of research exports (research.pseudonyms).
FORESTALL_RESEARCH_SECRET = _secret("FORESTALL_RESEARCH_SECRET")
# Ed25519 keys that sign the reach catalogue: "id:base64seed,id:base64seed" (32-byte
# seeds); the last one signs, the others stay published so old signatures verify.
FORESTALL_REACH_SIGNING_KEYS = _secret("FORESTALL_REACH_SIGNING_KEYS")

if DEBUG:
    ALLOWED_HOSTS = env.list(
        "FORESTALL_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
    )
else:
    ALLOWED_HOSTS = env.list("FORESTALL_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "FORESTALL_ALLOWED_HOSTS is not set. Set it to the host names that serve forestall."
        )

INSTALLED_APPS = [
    # First, so that its audited wrappers of Django's own commands (dumpdata,
    # shell, changepassword, …) replace them (forestall.audit.commandline).
    "forestall.audit.commandline",
    # The admin site is gated on 2FA and the network admin role (accounts.admin_site).
    "forestall.accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Its widget templates, so the project can override them (dir="auto" on text fields).
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Before two_factor, so that its templates and translations in forestall's
    # look (accounts/templates/two_factor/) take precedence.
    "forestall.accounts",
    "two_factor",
    "forestall",
    "forestall.audit",
    "forestall.directory",
    "forestall.instruments",
    "forestall.public",
    "forestall.inbox",
    "forestall.cases",
    "forestall.safeguarding",
    "forestall.stats",
    "forestall.reach",
    "forestall.api",
    "forestall.selfhelp",
    "forestall.research",
]

MIDDLEWARE = [
    # First: takes the client address out of the request before anything can
    # log or store it, keeping only a keyed hash for rate limits.
    "forestall.lib.privacy.AddressScrubbingMiddleware",
    # Every Location stays on this site, whoever set it (forestall.lib.redirects).
    "forestall.lib.redirects.SameSiteRedirectMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "forestall.lib.privacy.PrivacyHeadersMiddleware",
    # django-csp's, with the constant policy's header built once (forestall.lib.csp).
    "forestall.lib.csp.ConstantPolicyCSPMiddleware",
    # Before anything reads the query string: one Django refuses to read
    # (too many fields) gets the translated 400 page, not a bare one.
    "forestall.errors.UnreadableQueryMiddleware",
    # Before the page cache: at "/", a browser that prefers German goes to /de/.
    "forestall.lib.i18n.FrontDoorLanguageMiddleware",
    # Public pages that are the same for everyone, for cookie-less visitors only.
    "forestall.lib.pagecache.PublicPageCacheMiddleware",
    # Answers the access gates share within one request (forestall.lib.requestmemo).
    "forestall.lib.requestmemo.RequestMemoMiddleware",
    # Django's, but a HEAD does not keep a staff session alive.
    "forestall.accounts.sessions.SessionMiddleware",
    "forestall.lib.i18n.LanguageParameterMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # An empty 405 (a plain visit to a POST-only address) gets a calm page; a
    # method no form sends (PROPFIND) gets it here, before the CSRF check.
    "forestall.errors.MethodNotAllowedPageMiddleware",
    # Django's, but a form sent to an address missing its slash keeps its
    # method and body (308), and never raises (forestall.lib.redirects).
    "forestall.lib.redirects.SlashKeepsTheRequestMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After the CSRF check: a language switch on a page that answered a form
    # shows the entries again in the new language, and does nothing else.
    "forestall.errors.LanguageSwitchKeepsEntriesMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading an authenticator app with a prepared statement.
    "forestall.accounts.middleware.StaffOTPMiddleware",
    # Staff pages have no language prefix: the person's or the browser's language.
    "forestall.accounts.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that its check runs after the CSRF check: a staff form sent twice
    # (a double click, a reload) is acted on once (forestall.lib.resubmission).
    "forestall.lib.resubmission.ResubmissionMiddleware",
]

ROOT_URLCONF = "forestall.urls"
# Widget templates from forestall/templates first: every text field gets dir="auto".
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "forestall.wsgi.application"
ASGI_APPLICATION = "forestall.asgi.application"

TEMPLATES = [
    {
        # Django's backend; its check knows the i18n library replaced below.
        "BACKEND": "forestall.lib.template_backend.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forestall.accounts.navigation.staff_navigation",
            ],
            # ``{% url %}`` with each address's shape reversed once per
            # process (same syntax and output as Django's; see the module).
            "builtins": ["forestall.templatetags.remembered_urls"],
            # ``{% load i18n %}`` is Django's library with each fixed
            # ``{% translate %}`` remembered per language (see the module).
            "libraries": {"i18n": "forestall.templatetags.remembered_i18n"},
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'forestall.sqlite3'}")
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Pragmas, write-lock mode and busy timeout: forestall/lib/sqlite.py.
    DATABASES["default"]["OPTIONS"] = sqlite.sqlite_options(DATABASES["default"].get("OPTIONS"))
    # One connection per server thread, kept open: opening a connection and
    # running its pragmas on every request cost more than many a page.
    DATABASES["default"].setdefault("CONN_MAX_AGE", None)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# How many proxies stand in front of forestall and append to X-Forwarded-For
# (nginx or Caddy on the same host: 1). 0, the default, ignores every
# forwarded header: the client address is the connection's. Only the address
# this many hops from the right is used (and only as a keyed hash), see
# forestall.lib.privacy. An onion service needs 0: it forwards no header.
FORESTALL_TRUSTED_PROXIES = env.int("FORESTALL_TRUSTED_PROXIES", default=0)
# Worker processes serving forestall (for the deploy check that asks for Redis).
FORESTALL_WORKERS = env.int("FORESTALL_WORKERS", default=env.int("WEB_CONCURRENCY", default=1))

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "forestall",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "forestall",
            # The rate limits' counters live here, one per codename tried:
            # Django's default of 300 entries let a few hundred sign-in
            # attempts with other codenames push out the counter of the one
            # being guessed (a full local-memory cache drops entries to make
            # room). The global sign-in limit keeps the number of counters
            # far below this; each is a few hundred bytes.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# Public pages kept for cookie-less visitors (forestall.lib.pagecache) and the
# finder's kept fragments live in a cache of their own, in each process's own
# memory, with or without Redis: anyone can fill it (one page per address and
# query string), and in a shared cache that would push out the rate limits'
# counters (a full local-memory cache drops the oldest entries first; a Redis
# that evicts to stay within its memory may drop any key), resetting the
# codename sign-in limit. Only the pages' generation, which
# ``public_pages_changed()`` moves to drop them all, is shared (the default
# cache), so every process drops its pages at once.
CACHES["public_pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "forestall-public-pages",
    "OPTIONS": {"MAX_ENTRIES": 300},
}

# The public pages' header and footer (``{% cache ... using="chrome" %}``):
# the same for every visitor in a language, they change only with a deploy,
# so each process renders them once and keeps them in its own memory (no
# round trip to Redis for a fragment cheaper to render than to fetch).
CACHES["chrome"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "forestall-chrome",
}

# --- Passwords and sign-in -------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend, reading a session's user with a prepared statement.
    "forestall.accounts.backends.StaffModelBackend",
    # Admin model permissions follow the network admin role, not is_superuser.
    "forestall.accounts.backends.NetworkAdminPermissionBackend",
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "/staff/"
LOGOUT_REDIRECT_URL = "/staff/login/"
TWO_FACTOR_PATCH_ADMIN = False
OTP_TOTP_ISSUER = "forestall"

# Failed passwords slow the source down progressively and never lock an
# account (forestall.accounts.signin_throttle); the second factor is always
# required.

# --- Sessions and cookies --------------------------------------------------
# The Django session is the staff session only: its cookie is sent to /staff/
# and nowhere else. The public mailbox uses its own signed browser-session
# cookie (see forestall.inbox.mailbox_session).
SESSION_COOKIE_NAME = "forestall_staff"
SESSION_COOKIE_PATH = "/staff/"
SESSION_COOKIE_AGE = env.int("FORESTALL_STAFF_SESSION_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Django's database sessions, but the idle deadline is written only when it
# moves by a minute or more (forestall.accounts.sessions).
SESSION_ENGINE = "forestall.accounts.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
# A browser-session cookie: no year-long trace of a visit on a shared device.
CSRF_COOKIE_AGE = None
CSRF_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_NAME = "forestall_language"
LANGUAGE_COOKIE_SAMESITE = "Strict"

SECURE = not DEBUG
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env.bool("FORESTALL_SSL_REDIRECT", default=True)
# X-Forwarded-Proto says "https" only if a declared proxy wrote it: without one
# (FORESTALL_TRUSTED_PROXIES=0, an onion service) anyone can send it, and the
# request would pass for a secure one (no redirect to HTTPS, the CSRF check
# of a secure request) on the strength of the visitor's own word.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if FORESTALL_TRUSTED_PROXIES > 0 else None
)
SECURE_HSTS_SECONDS = 63072000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # see PrivacyHeadersMiddleware
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS: list[str] = []
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# No report-only policy (django-csp reads it; forestall.lib.csp too).
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, object] | None = None

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date and time format per language for public and staff pages alike.
FORMAT_MODULE_PATH = ["forestall.formats"]
USE_TZ = True
TIME_ZONE = env.str("FORESTALL_TIME_ZONE", default="Europe/Berlin")

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Serve static files straight from the apps' static folders (no collectstatic,
# no hashed names): the development server and the test suite. Production
# serves what collectstatic gathered, hashed and compressed.
FORESTALL_STATIC_FROM_APPS = env.bool("FORESTALL_STATIC_FROM_APPS", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if FORESTALL_STATIC_FROM_APPS
            else "forestall.lib.staticfiles.RememberedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = FORESTALL_STATIC_FROM_APPS

# Seconds for which public pages that are the same for everyone are kept on the
# server (forestall.lib.pagecache); 0 turns the cache off.
FORESTALL_PAGE_CACHE_SECONDS = env.int("FORESTALL_PAGE_CACHE_SECONDS", default=0 if DEBUG else 30)

# Hosts that editable public text may link to with https:// (comma-separated);
# every other link in it must stay on this site.
FORESTALL_LINK_HOSTS = env.list("FORESTALL_LINK_HOSTS", default=[])

# --- Retention (days after a record becomes inactive) ---------------------
FORESTALL_RETENTION_DAYS = {
    "mailbox": env.int("FORESTALL_RETAIN_MAILBOX_DAYS", default=180),
    "case": env.int("FORESTALL_RETAIN_CASE_DAYS", default=3650),
    "concern": env.int("FORESTALL_RETAIN_CONCERN_DAYS", default=3650),
}

# --- Inbox: a counsellor's claim on a conversation lapses after this -------
FORESTALL_CLAIM_MINUTES = env.int("FORESTALL_CLAIM_MINUTES", default=20)
# An unsent reply is kept (encrypted) this long after the last form that carried it.
FORESTALL_REPLY_DRAFT_MINUTES = env.int("FORESTALL_REPLY_DRAFT_MINUTES", default=60)
# Reply-time targets: how long a waiting person may wait for a reply, per queue
# ("default", "network" or a centre's slug) and urgency. "4h" is four hours,
# "2d" two calendar days, "3wd" three working days (see the two settings below).
# For example FORESTALL_REPLY_TARGETS='{"default": {"urgent": "4h", "normal": "3wd"},
# "centre-north": {"urgent": "2h", "normal": "2wd"}}'.
FORESTALL_REPLY_TARGETS = env.json(
    "FORESTALL_REPLY_TARGETS", default={"default": {"urgent": "4h", "normal": "3wd"}}
)
# Working days (0 = Monday) and public holidays (ISO dates) for "wd" targets.
FORESTALL_WORKING_DAYS = env.list("FORESTALL_WORKING_DAYS", cast=int, default=[0, 1, 2, 3, 4])
FORESTALL_HOLIDAYS = env.list("FORESTALL_HOLIDAYS", default=[])
# Content-free e-mail ("something is waiting for you in forestall"): off by default.
# Sent by `forestall notify-waiting` (run it from cron) through Django's EMAIL_* settings.
FORESTALL_NOTIFY_BY_EMAIL = env.bool("FORESTALL_NOTIFY_BY_EMAIL", default=False)
EMAIL_BACKEND = env.str(
    "FORESTALL_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env.str("FORESTALL_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("FORESTALL_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("FORESTALL_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("FORESTALL_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("FORESTALL_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("FORESTALL_EMAIL_FROM", default="forestall@localhost")

# --- Front door ----------------------------------------------------------
# A mailbox session ends with the browser or after this much inactivity.
FORESTALL_MAILBOX_IDLE_MINUTES = env.int("FORESTALL_MAILBOX_IDLE_MINUTES", default=30)
# Shown as the expected time to a reply until there are recent replies to measure.
FORESTALL_EXPECTED_REPLY_HOURS = env.int("FORESTALL_EXPECTED_REPLY_HOURS", default=72)
# Crisis lines for thoughts of suicide or self-harm, in every public footer and
# every self-check result, per page language ("*" = any other language). Each
# line: name, phones (list), hours (as shown), open ("24/7" or lines such as
# "Mon-Fri 9:00-17:00", used to say whether it is open now). JSON in
# FORESTALL_CRISIS_LINES replaces the defaults (Germany and the UK).
FORESTALL_CRISIS_LINES = env.json(
    "FORESTALL_CRISIS_LINES",
    default={
        "de": [
            {
                "name": "TelefonSeelsorge",
                "phones": ["0800 111 0 111", "0800 111 0 222"],
                "hours": "rund um die Uhr, kostenlos und anonym",
                "open": "24/7",
            }
        ],
        "en": [
            {
                "name": "Samaritans",
                "phones": ["116 123"],
                "hours": "24 hours a day, free",
                "open": "24/7",
            }
        ],
    },
)
# Emergency numbers named on the public side (police; ambulance and everything else).
FORESTALL_POLICE_NUMBER = env.str("FORESTALL_POLICE_NUMBER", default="110")
FORESTALL_EMERGENCY_NUMBER = env.str("FORESTALL_EMERGENCY_NUMBER", default="112")

# --- Questionnaires --------------------------------------------------------
# Directories of further instrument definitions, besides the shipped ones.
FORESTALL_INSTRUMENT_DIRS = env.list("FORESTALL_INSTRUMENT_DIRS", default=[])

# --- Statistics disclosure control ----------------------------------------
FORESTALL_SUPPRESSION_THRESHOLD = env.int("FORESTALL_SUPPRESSION_THRESHOLD", default=5)
# Published counts are rounded to a multiple of this base (1 = no rounding).
FORESTALL_STATISTICS_ROUNDING = env.int("FORESTALL_STATISTICS_ROUNDING", default=1)
# Optional differential privacy of the public release (total ε; unset = off; needs the "dp" extra).
FORESTALL_STATISTICS_DP_EPSILON = env.float("FORESTALL_STATISTICS_DP_EPSILON", default=None)
# Smallest group of clients sharing the quasi-identifiers of a research export.
FORESTALL_RESEARCH_K = env.int("FORESTALL_RESEARCH_K", default=5)

# --- Reach (warnings on partner platforms) ---------------------------------
# The public origin ("https://help.example") of the absolute links forestall
# hands to others (the reach catalogue and fragments): configured, never taken
# from a request's Host header. Default: https:// and the first allowed host.
FORESTALL_SITE_URL = env.str("FORESTALL_SITE_URL", default="").rstrip("/")
if not FORESTALL_SITE_URL:
    if DEBUG:
        FORESTALL_SITE_URL = "http://localhost:8000"
    elif ALLOWED_HOSTS[0].lstrip(".") and "*" not in ALLOWED_HOSTS[0]:
        FORESTALL_SITE_URL = "https://" + ALLOWED_HOSTS[0].lstrip(".")
    else:
        raise ImproperlyConfigured(
            "FORESTALL_SITE_URL is not set and the first of FORESTALL_ALLOWED_HOSTS is not a "
            "host name. Set it to the public origin, e.g. https://help.example."
        )
# The network's onion address ("http://….onion"), offered beside the landing page.
FORESTALL_REACH_ONION_URL = env.str("FORESTALL_REACH_ONION_URL", default="")
# Requests per minute one partner key may make to the reach API.
FORESTALL_REACH_KEY_RATE = env.int("FORESTALL_REACH_KEY_RATE", default=120)
# Seconds a built, signed catalogue is served from the cache (a publish clears it).
FORESTALL_REACH_CATALOGUE_SECONDS = env.int("FORESTALL_REACH_CATALOGUE_SECONDS", default=300)
# Landings on /r/… are counted in memory and written together when this many
# have gathered or the oldest is this many seconds old (forestall.reach.landings).
FORESTALL_REACH_LANDING_BATCH = env.int("FORESTALL_REACH_LANDING_BATCH", default=200)
FORESTALL_REACH_LANDING_SECONDS = env.int("FORESTALL_REACH_LANDING_SECONDS", default=30)

# --- Logging: nothing identifying ever reaches a log line -----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"privacy": {"()": "forestall.lib.privacy.PrivacyLogFilter"}},
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["privacy"],
            "formatter": "plain",
        },
        "discard": {"class": "logging.NullHandler", "filters": ["privacy"]},
    },
    "root": {"handlers": ["console"], "level": env.str("FORESTALL_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Removes Django's default "django" handlers (an unfiltered console
        # handler and the admin e-mail handler, which prints request headers):
        # its records go to the root logger's filtered handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Django's request logger attaches the request; the filter drops it.
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # gunicorn's own loggers, taken over in every worker (gunicorn set them
        # up before the application loaded): its error log names the client's
        # address ("Invalid request from ip=…") and request lines, so it goes
        # through the filtered handler; its access log is addresses, user
        # agents and referrers whatever format is configured, so it is
        # discarded even when an operator turns it on.
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["discard"], "level": "CRITICAL", "propagate": False},
    },
}
CSRF_FAILURE_VIEW = "forestall.errors.csrf_failure"
# No uploads: a file added to any POST is dropped unread, never kept in memory
# or written to disk (forestall.lib.uploads); the form's other fields arrive.
FILE_UPLOAD_HANDLERS = ["forestall.lib.uploads.RefuseFiles"]
