"""Ends a console session after SESSION_IDLE_TIMEOUT_SECONDS without a request."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from console.paths import is_console_page

LAST_SEEN = "last_seen"
# Refresh the stamp at most once a minute, so a busy page costs no session write per request.
STAMP_EVERY_SECONDS = 60


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
