"""htmx requests: which requests are htmx's, and those whose answer is not a fragment for the
page they came from."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request (its HX-Request header is "true"), as django-htmx's ``request.htmx``
    tells it, read from ``request.META``: django-htmx reads it through ``request.headers``,
    whose first use copies every header of the request into a new mapping, about 2% of the
    credentials page's instructions."""
    return request.META.get("HTTP_HX_REQUEST") == "true"


def is_htmx_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps a part of its page, not a boosted link or form (which
    loads a whole page)."""
    return is_htmx(request) and request.META.get("HTTP_HX_BOOSTED") != "true"


class HtmxNavigationMiddleware:
    """An htmx request answered with a redirect (signed out, idle too long, the warning not
    yet passed in this session) or refused (a 403: a CSRF token from before another sign-in)
    leaves the page, as a plain form would: ``HX-Redirect`` to where the redirect pointed, or
    ``HX-Refresh`` to load the page again as it is now. Left alone, the browser would follow
    the redirect inside htmx's request and swap a whole sign-in page into the section, and
    htmx would ignore the refusal without a word. A 404 is the section itself (a key that is
    gone: keys/views.py), which htmx swaps (``responseHandling`` in base.html)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_htmx(request):
            return response
        status = response.status_code
        if 300 <= status < 400 and "Location" in response:
            response["HX-Redirect"] = response["Location"]
            del response["Location"]
            response.status_code = 204  # not followed by the browser: htmx navigates
        elif status >= 400 and status != 404:
            response["HX-Refresh"] = "true"
        return response
