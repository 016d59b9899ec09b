"""Stock Django's signed-in page: the least a Django 6 app does for a signed-in user.

What `django-admin startproject` sets up, minus the admin: its middleware list (security,
sessions, common, CSRF, authentication, messages, clickjacking), `django.contrib.auth`'s User,
sessions in the database, and Django's own template engine with its cached loader. One view,
behind `login_required`, renders the user's email and a form with its CSRF token. Nothing is
tuned but what the console also does: persistent database connections (`CONN_MAX_AGE`).

The benchmark measures it beside the console's credentials page and the ceiling, to show where
Django's own signed-in request cycle sits before a page's content costs anything.
"""

import os
import secrets
from pathlib import Path

SECRET_KEY = os.environ.get("STOCK_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [  # startproject's list
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "stock_signed_in.urls"
WSGI_APPLICATION = "stock_signed_in.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(os.environ["VAR_DIR"]) / "db.sqlite3",  # VAR_DIR: as the console's
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_I18N = False
USE_TZ = True
