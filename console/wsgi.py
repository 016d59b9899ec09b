"""WSGI entry point (gunicorn, runserver): /api to the API application (keys/api/wsgi.py), every
other request to Django's."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

console_application = get_wsgi_application()

from keys.api.wsgi import ApiApplication  # noqa: E402 - imports models: after the setup above

application = ApiApplication(fallback=console_application)


def warm_up() -> None:
    """Does the one-time work a worker would otherwise do on its first page: importing the
    template engine and its context processors, compiling every template, building the URL
    resolver, reading the static files manifest. gunicorn's master calls it before it forks
    (console/gunicorn.conf.py's ``when_ready``). It touches no database: a connection opened
    in the master would be shared by every worker."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.template import engines
    from django.urls import reverse

    pages = engines["jinja2"]  # the backend every console template is written for
    _ = pages.template_context_processors  # imported on first use otherwise
    for name in pages.env.list_templates(extensions=("html",)):
        pages.get_template(name)
    reverse("home")  # the resolver's reverse map, built on first use otherwise
    _ = staticfiles_storage.base_url  # the lazy storage: its manifest is read as it is made
