"""Context processors of the console's Jinja2 templates (settings.TEMPLATES)."""

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html


def csrf(request: HttpRequest) -> dict[str, object]:
    """``csrf_token`` and ``csrf_input``, made once per render.

    Django's Jinja2 backend gives lazy values that are worked out again each time a
    template prints them, and each time is a new masked token: 32 calls to os.urandom for
    every form on the page. These are the same values, worked out on first use only, so a
    page without a form still sets no CSRF cookie.
    """
    token = SimpleLazyObject(lambda: get_token(request))
    return {
        "csrf_token": token,
        "csrf_input": SimpleLazyObject(
            lambda: format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(token)
            )
        ),
    }
