"""Closes the secret window whenever the browser loads any console page but the dialog."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from console.paths import is_console_page

from .secret_window import SESSION_KEY, close_secret_window


class SecretWindowMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> None:
        if not is_console_page(request.path) or getattr(view_func, "keeps_secret_window", False):
            return None
        if SESSION_KEY in request.session:
            close_secret_window(request)
        return None
