"""The signed-in user, read once per console page; a console session ended after
SESSION_IDLE_TIMEOUT_SECONDS without a request."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user, logout
from django.http import HttpRequest, HttpResponse

from console.paths import is_console_page

LAST_SEEN = "last_seen"
# Refresh the stamp at most once a minute, so a busy page costs no session write per request.
STAMP_EVERY_SECONDS = 60


class SignedInUserMiddleware:
    """``request.user`` on a console page: the user itself, read by Django's ``get_user`` as
    soon as AuthenticationMiddleware has set up its lazy stand-in, which is then never used.
    Every console page reads the user (the idle timeout below does), and each attribute read
    through the stand-in raised and caught an AttributeError inside Django
    (``LazyObject.__getattribute__``): about 6% of the credentials page's instructions.
    Other paths (health checks, /api) keep the lazy one, which they never read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_console_page(request.path):
            request.user = get_user(request)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_console_page(request.path) and request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                logout(request)  # flushes the server-side session; login_required takes over
            elif now - last_seen >= STAMP_EVERY_SECONDS or LAST_SEEN not in request.session:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
