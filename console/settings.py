"""Settings for the console: one file, read from the environment through small strict helpers.

Secure by default: DEBUG is off unless asked for, Argon2 hashes passwords, Django's CSP is on.
``DJANGO_ENV=production`` adds what needs TLS in front (Secure cookies, HSTS, HTTPS redirect)
and refuses to start without its secrets; ``local`` (the default) is the mode that ``make run``
serves, where development secrets are generated once into ``var/``. Nothing else is taken.
"""

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """IP addresses or CIDR networks, comma-separated, each written as a network."""
    try:
        return [str(ipaddress.ip_network(item, strict=False)) for item in env_list(name, [])]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


def owner_only_var_dir() -> None:
    """var/ holds the development secrets and the SQLite database (sessions, password hashes,
    encrypted keys): the directory is the owner's alone (0700), before anything is written in
    it. The files are 0600 too: the secrets as they are made, the database and its -wal and
    -shm as each connection opens (console/apps.py)."""
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    VAR_DIR.chmod(0o700)


def development_secret(filename: str, make: callable) -> str:
    """Read a secret generated once into var/, creating it (mode 0600) on first use."""
    path = VAR_DIR / filename
    if not path.exists():
        owner_only_var_dir()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


DJANGO_ENV = env_str("DJANGO_ENV") or "local"
if DJANGO_ENV not in ("local", "production"):  # a typo must not quietly drop HSTS and the rest
    raise ImproperlyConfigured(f"DJANGO_ENV must be local or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    missing = [n for n in ("DJANGO_SECRET_KEY", "KEYS_ENCRYPTION_KEYS") if not env_str(n)]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production refuses to start without {', '.join(missing)}."
        )

SECRET_KEY = env_str("DJANGO_SECRET_KEY") or development_secret(
    "django-secret-key", lambda: secrets.token_urlsafe(50)
)
# Newest first: MultiFernet encrypts with the first and decrypts with any of them.
KEYS_ENCRYPTION_KEYS = env_list("KEYS_ENCRYPTION_KEYS", []) or [
    development_secret("keys-encryption-key", lambda: Fernet.generate_key().decode())
]

DEBUG = env_bool("DJANGO_DEBUG", False)
# Load balancers whose forwarded headers are believed (IPs or CIDR networks); empty = none.
# Django takes the client's address from their X-Forwarded-For (accounts/events.py); gunicorn
# (console/gunicorn.conf.py, forwarded_allow_ips) takes the scheme from their
# X-Forwarded-Proto, and from no one else.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
# Locally, also the address `make run` was told to serve on (HOST), unless that is every
# address (then only DJANGO_ALLOWED_HOSTS can say which names reach it).
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
_EVERY_ADDRESS = ("0.0.0.0", "::")  # noqa: S104  # nosec B104 - names, not a bind
if not PRODUCTION and env_str("HOST") not in ("", *_EVERY_ADDRESS, *_LOCAL_HOSTS):
    _LOCAL_HOSTS.append(env_str("HOST"))
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", _LOCAL_HOSTS)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "accounts",
    "keys",
    "console",
]

MIDDLEWARE = [
    "console.observability.RequestIdMiddleware",
    "console.errors.ErrorsNotCachedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "console.htmx.HtmxNavigationMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SignedInUserMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "keys.middleware.SecretWindowMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

# Jinja2 (console/jinja2.py): rendering the credentials page with Django's engine was two
# thirds of its time. Form widgets still render with Django's own form renderer.
# Form widgets through Django's own Jinja2 widget templates, like the pages: the Django
# template engine's renderer cost the credentials page about a sixth of its instructions
# (bench/README.md). The page's blank Change password fields are now rendered once per
# process (accounts/password.py); forms with errors and the other pages' forms still are
# rendered per request.
FORM_RENDERER = "django.forms.renderers.Jinja2"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "console.jinja2.environment",
            "autoescape": True,
            "context_processors": [
                "console.context_processors.csrf",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "console.context_processors.request_locals",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in var/ by default: WAL so readers never wait for the writer, and IMMEDIATE
# transactions so concurrent writers queue on the lock instead of failing on upgrade.
SQLITE_PATH = VAR_DIR / "console.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
    }
else:
    owner_only_var_dir()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": env_str("SQLITE_TEST_NAME") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.RootUser"
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "dashboard"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# AWS's rules for a root password, the same as Change password's (accounts/password.py).
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.password.RootPasswordValidator"}]

# Django's database sessions, with the row read compiled once (console/sessions.py).
SESSION_ENGINE = "console.sessions"
AUTHENTICATION_BACKENDS = ["accounts.backends.RootUserBackend"]
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute lifetime
SESSION_IDLE_TIMEOUT_SECONDS = 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Messages ("Access key … is now inactive.") are only ever for a signed-in user, who has a
# session: kept there, they never travel in a cookie, and a page load skips building the
# cookie store's signer (FallbackStorage, the default, builds both stores every request).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from anyone. gunicorn
    # sets the scheme (wsgi.url_scheme) from it for TRUSTED_PROXIES only.
    # The API is signed, not cookie-authenticated; SDKs behind TLS termination still
    # reach it over plain HTTP from the proxy, so only console pages are redirected.
    SECURE_REDIRECT_EXEMPT = [r"^api/?$", r"^healthz$", r"^readyz$"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "console.storage.ConsoleStaticStorage"},
}
# Serve straight from static/ when collectstatic has not run (tests, a first checkout);
# unknown names then fall back to their unhashed URL instead of failing the page.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

LOG_FORMAT = env_str("LOG_FORMAT", "json")  # "json" (one object a line) or "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "console.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "console.observability.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "plain"} else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # At DEBUG it logs failed variable lookups with the whole template context.
        "django.template": {"level": "INFO"},
    },
}

# The one-time window in which a new secret access key can be shown and downloaded.
SECRET_WINDOW_SECONDS = 10 * 60
API_CLOCK_SKEW_SECONDS = 15 * 60
