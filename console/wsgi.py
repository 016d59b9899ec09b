"""WSGI entry point for gunicorn.

The signed API and the console share one process but not one request cycle: an SDK's
request has no session, cookie, CSRF token, htmx or page, so /api goes to a plain WSGI
application (keys/api_wsgi.py) that gives the answer of the API view without building
Django's request and response. The one case it leaves to Django (a redirect to HTTPS) goes
through Django's handler with the lean API_MIDDLEWARE stack.

Importing this module also warms the console up (:func:`warm_up`): gunicorn loads it once in
its master (``preload_app``) and forks the workers from there, so each worker, including every
one that replaces a recycled worker, starts with the templates already compiled.
"""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

console_application = get_wsgi_application()


def warm_up() -> None:
    """Does now the one-time work that a worker would otherwise do on its first page.

    That work is importing the template engine and its context processors, compiling every
    template, building the URL resolver and reading the static files manifest. A fresh
    process took about 160 ms to answer its first credentials page, against 3 ms for the
    next. Each worker paid that after every start and after every ``max_requests``
    recycling, in front of whoever asked. Nothing here touches the database: a connection
    opened in gunicorn's master would be shared by every forked worker.
    """
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.template import engines
    from django.urls import reverse

    pages = engines["jinja2"]  # the backend every console template is written for
    _ = pages.template_context_processors  # imported on first use otherwise
    for name in pages.env.list_templates(extensions=("html",)):
        pages.get_template(name)
    reverse("home")  # the resolver's reverse map, built on first use otherwise
    _ = staticfiles_storage.base_url  # the lazy storage: its manifest is read as it is made


warm_up()

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
