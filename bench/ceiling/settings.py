"""The ceiling: the least a Django 6 app can do per request, served like the console.

No database, no sessions, no templates, no middleware: one view returning "ok". Whatever
the console does beyond this is its own cost; the benchmark reports the console as a
fraction of this ceiling.
"""

import secrets

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "ceiling.urls"
WSGI_APPLICATION = "ceiling.wsgi.application"
DATABASES: dict[str, dict] = {}
USE_I18N = False
USE_TZ = True
