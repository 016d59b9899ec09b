"""``never_cache`` for the console's views: Django's decorator, with its headers written
directly in the usual case.

Django's ``never_cache`` calls ``add_never_cache_headers``, which goes through
``patch_cache_control`` twice: each time it parses the Cache-Control header back into a
dictionary, merges, and writes it out again: about 25 µs of a signed-in page's ~1 ms. On a
response that has neither header yet (the console's pages, every time) the result is always
the same two headers, and writing them directly takes about 3 µs. A response that already
has either header (the secret-gone page sets ``no-store``, say) goes through Django's own
function, which merges. ``tests/console/test_caching.py`` compares both with Django's.
"""

import time
from collections.abc import Callable
from functools import wraps
from inspect import iscoroutinefunction

from django.http import HttpRequest, HttpResponseBase
from django.utils import cache
from django.utils.http import http_date
from django.views.decorators.cache import never_cache as django_never_cache

# What add_never_cache_headers writes on a response without Cache-Control, in its order.
NEVER_CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private"


def add_never_cache_headers(response: HttpResponseBase) -> None:
    """``django.utils.cache.add_never_cache_headers``, the same headers."""
    if response.has_header("Cache-Control") or response.has_header("Expires"):
        cache.add_never_cache_headers(response)  # Django merges with what is there
        return
    response.headers["Expires"] = http_date(time.time())
    response.headers["Cache-Control"] = NEVER_CACHE_CONTROL


def never_cache(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """``django.views.decorators.cache.never_cache`` (sync views; async ones get Django's)."""
    if iscoroutinefunction(view):
        return django_never_cache(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not hasattr(request, "META"):  # Django's check: a method needs method_decorator
            raise TypeError(
                "never_cache didn't receive an HttpRequest. If you are decorating a "
                "classmethod, be sure to use @method_decorator."
            )
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
