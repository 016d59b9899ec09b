"""Closes the secret window whenever the browser loads any console page but the dialog."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .secret_window import SESSION_KEY, close_secret_window

# Paths that are not console pages: they neither see nor touch the session.
_NOT_CONSOLE = ("/api", "/static/", "/healthz", "/readyz", "/favicon")


class SecretWindowMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> None:
        if request.path.startswith(_NOT_CONSOLE) or getattr(
            view_func, "keeps_secret_window", False
        ):
            return None
        if SESSION_KEY in request.session:
            close_secret_window(request)
        return None
