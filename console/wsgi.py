"""WSGI entry point for gunicorn.

The signed API and the console share one process but not one middleware stack: an SDK's
request has no session, cookie, CSRF token, htmx or page headers, so /api goes through a
handler that runs only what it needs (request IDs). That middleware was a quarter of an
API request's time. The API view itself is the same either way, and also works under the
full stack (the Django test client uses that one).
"""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

console_application = get_wsgi_application()

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


api_application = ApiHandler()


def application(environ: dict, start_response):  # type: ignore[no-untyped-def]
    if environ.get("PATH_INFO") in API_PATHS:
        return api_application(environ, start_response)
    return console_application(environ, start_response)
