"""Context processors of the console's Jinja2 templates (settings.TEMPLATES)."""

from collections.abc import Callable

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import escape, format_html

from console.jinja2 import links_for


def csrf(request: HttpRequest) -> dict[str, object]:
    """``csrf_token`` and ``csrf_input`` from Django's ``get_token``, once per render.

    Django's Jinja2 backend gives lazy values that call ``get_token`` again each time a
    template prints them (a fresh mask for every form on the page); these call it on first
    use only, so a page without a form still sets no CSRF cookie.
    """
    token = _OnFirstUse(lambda: escape(get_token(request)))
    return {
        "csrf_token": token,
        "csrf_input": _OnFirstUse(
            lambda: format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(token)
            )
        ),
    }


class _OnFirstUse:
    """HTML-safe text worked out when first printed, then kept. (A SimpleLazyObject would
    do, but every print went through its proxy methods: a few per cent of a page.)"""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make: Callable[[], str] | None = make
        self._text = ""

    def __str__(self) -> str:
        if self._make is not None:
            self._text, self._make = self._make(), None
        return self._text

    __html__ = __str__


def request_locals(request: HttpRequest) -> dict[str, object]:
    """The request's current time zone and script prefix, looked up once per render for
    console.jinja2's ``date``, ``url`` and ``links``. Django keeps both in request-local storage
    (asgiref's Local), where each read costs a context variable lookup and more: a page
    with a dozen links and a few dates read them two dozen times."""
    prefix = get_script_prefix()
    return {
        "current_timezone": timezone.get_current_timezone(),
        "script_prefix": prefix,
        "links": links_for(prefix),
    }
