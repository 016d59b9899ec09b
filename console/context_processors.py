"""Context processors of the console's Jinja2 templates (settings.TEMPLATES)."""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.html import escape, format_html

from console.csrf import get_token


def csrf(request: HttpRequest) -> dict[str, object]:
    """``csrf_token`` and ``csrf_input``, made once per render.

    Django's Jinja2 backend gives lazy values that are worked out again each time a
    template prints them, and each time is a new masked token: 32 calls to os.urandom for
    every form on the page. These are the same values, worked out on first use only, so a
    page without a form still sets no CSRF cookie. The mask is drawn by console.csrf.
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


def user(request: HttpRequest) -> dict[str, object]:
    """``user``, as django.contrib.auth's processor gives it, but the user itself rather
    than the lazy object around it: every page's header reads it, and each read through
    the lazy object costs a proxy call. (No ``perms``: no template asks for permissions.)"""
    found = getattr(request, "user", None)
    if found is None:
        return {"user": AnonymousUser()}
    if isinstance(found, LazyObject):
        if found._wrapped is empty:
            found._setup()
        found = found._wrapped
    return {"user": found}


def request_locals(request: HttpRequest) -> dict[str, object]:
    """The request's current time zone and script prefix, looked up once per render for
    console.jinja2's ``date`` and ``url``. Django keeps both in request-local storage
    (asgiref's Local), where each read costs a context variable lookup and more: a page
    with a dozen links and a few dates read them two dozen times."""
    return {
        "current_timezone": timezone.get_current_timezone(),
        "script_prefix": get_script_prefix(),
    }
