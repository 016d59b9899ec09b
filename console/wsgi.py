"""WSGI entry point for gunicorn.

The signed API and the console share one process but not one request cycle: an SDK's
request has no session, cookie, CSRF token, htmx or page, so /api goes to a plain WSGI
application (keys/api_wsgi.py) that gives the answer of the API view without building
Django's request and response. The one case it leaves to Django (a redirect to HTTPS) goes
through Django's handler with the lean API_MIDDLEWARE stack.
"""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

console_application = get_wsgi_application()

from keys.api_wsgi import ApiApplication  # noqa: E402 - imports models: after the setup above

API_PATHS = frozenset({"/api", "/api/"})


class ApiHandler(WSGIHandler):
    """Django's own WSGI handler, built with settings.API_MIDDLEWARE instead of MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        from django.conf import settings

        full_stack = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full_stack


api_application = ApiApplication(fallback=ApiHandler())


def application(environ: dict, start_response):  # type: ignore[no-untyped-def]
    if environ.get("PATH_INFO") in API_PATHS:
        return api_application(environ, start_response)
    return console_application(environ, start_response)
