"""Error answers are never stored: a 404 or a CSRF 403 page shows the account's name and ID in
the navigation bar like any page, and Django's handlers for them set no Cache-Control."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class ErrorsNotCachedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
