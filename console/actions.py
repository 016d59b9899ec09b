"""Views that act rather than show: they take POST only, and nobody is sent back to them."""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_POST


def action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``require_POST``, and marked as an action: a sign-in that was asked for by a POST to
    one (its session had ended) must not return to it, as a GET, for a bare 405."""
    acting = require_POST(view)
    acting.is_action = True  # type: ignore[attr-defined]  # kept by the decorators around it
    return acting


def is_page(path: str) -> bool:
    """Whether a path of this site shows a page (what an ``action`` does not)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return not getattr(match.func, "is_action", False)
