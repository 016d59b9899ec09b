"""The project's WSGI application: /api answered without Django's middleware, URL resolving or
HttpResponse; every other request goes to the console's Django application (``fallback``).

An SDK's request needs none of what a page needs (session, CSRF, htmx, templates), and
Django's cycle around it cost more than the signature check and the database together
(bench/README.md has the figures). What the API does need of Django is kept, through its
public API: ``request_started`` and ``request_finished`` (connections checked and recycled),
a ``WSGIRequest`` for the Host check against ALLOWED_HOSTS, ``is_secure()`` and the bounded
``body``, SecurityMiddleware's headers, and the request ID on every log line. A request that
Django would answer differently (a disallowed Host: 400; one SecurityMiddleware redirects to
HTTPS) goes to the fallback, which answers it as it answers any other.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware

from console.observability import new_request_id, request_id_var, valid_incoming_request_id

from .api import answer

type StartResponse = Callable[..., Any]
type WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

API_PATHS = frozenset({"/api", "/api/"})
_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
_PATHS = ("api", "api/")  # as SecurityMiddleware matches them: without the leading slash


class ApiApplication:
    def __init__(self, fallback: WsgiApp) -> None:
        self.fallback = fallback
        # What SecurityMiddleware does depends on the settings and on whether the request
        # is secure, nothing else: worked out once, by SecurityMiddleware itself.
        security = SecurityMiddleware(lambda request: HttpResponse())
        self.redirects_insecure = security.redirect and not all(
            any(pattern.search(path) for pattern in security.redirect_exempt) for path in _PATHS
        )
        self.security_headers = {
            secure: _headers_added_by(security, secure=secure) for secure in (False, True)
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in API_PATHS:
            return self.fallback(environ, start_response)
        request = WSGIRequest(environ)
        try:
            request.get_host()  # ALLOWED_HOSTS, as Django checks it
        except DisallowedHost:
            return self.fallback(environ, start_response)  # Django's 400 and security log
        secure = request.is_secure()
        if self.redirects_insecure and not secure:
            return self.fallback(environ, start_response)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if valid_incoming_request_id(incoming) else new_request_id()
        token = request_id_var.set(request_id)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answered = answer(environ, lambda: request.body, request_id)
        finally:
            signals.request_finished.send(sender=self.__class__)
            request_id_var.reset(token)
        headers = [
            *answered.headers,
            *self.security_headers[secure],
            ("X-Request-ID", request_id),
        ]
        start_response(_STATUS_LINES[answered.status], headers)
        return [answered.body]


def _headers_added_by(security: SecurityMiddleware, *, secure: bool) -> list[tuple[str, str]]:
    probe = HttpRequest()
    probe.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse()
    added_to = security.process_response(probe, HttpResponse())
    return [(name, value) for name, value in added_to.items() if name not in response]
