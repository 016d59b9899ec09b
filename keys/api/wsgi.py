"""The project's WSGI application: /api answered without Django's middleware, URL resolving or
HttpResponse; every other request goes to the console's Django application (``fallback``).

An SDK's request needs none of what a page needs (session, CSRF, htmx, templates), and
Django's cycle around it cost more than the signature check and the database together
(bench/README.md has the figures). What the API does need of Django is kept, through its
public API: the database connections checked before and after each request
(``close_old_connections``, as Django's handler has its request signals do), the Host
checked against ALLOWED_HOSTS by ``validate_host``, SecurityMiddleware's headers, the body
bounded as ``request.body`` bounds it, and the request ID on every log line. A request that
Django would answer differently (a disallowed Host: 400; one SecurityMiddleware redirects to
HTTPS) goes to the fallback, which answers it as it answers any other.

``request_started`` and ``request_finished`` are not sent for /api: Django's other receivers
(the query log, the caches, the URLconf) have nothing to do for a request that never
reaches Django's handler, and sending them was a sixth of an API request's instructions.
"""

from collections.abc import Callable, Iterable
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware

from console.observability import request_id_of, request_id_var

from .endpoint import answer
from .protocol import ApiError

type StartResponse = Callable[..., Any]
type WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

API_PATHS = frozenset({"/api", "/api/"})
_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
_PATHS = ("api", "api/")  # as SecurityMiddleware matches them: without the leading slash


class ApiApplication:
    # Before and after each request, as Django's handler has its request signals do. An
    # attribute, so that the tests' client can leave a test's transaction open, as it
    # disconnects the same function from Django's signals.
    close_connections = staticmethod(close_old_connections)

    def __init__(self, fallback: WsgiApp) -> None:
        self.fallback = fallback
        # What SecurityMiddleware does depends on the settings and on whether the request
        # is secure, nothing else: worked out once, by SecurityMiddleware itself.
        security = SecurityMiddleware(lambda request: HttpResponse())
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.redirects_insecure = security.redirect and not all(
            any(pattern.search(path) for pattern in security.redirect_exempt) for path in _PATHS
        )
        self.security_headers = {
            secure: _headers_added_by(security, secure=secure) for secure in (False, True)
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in API_PATHS:
            return self.fallback(environ, start_response)
        if not _host_allowed(environ):
            return self.fallback(environ, start_response)  # Django's 400 and security log
        secure = self._is_secure(environ)
        if self.redirects_insecure and not secure:
            return self.fallback(environ, start_response)
        request_id = request_id_of(environ)
        token = request_id_var.set(request_id)
        self.close_connections()
        try:
            answered = answer(environ, lambda: _read_body(environ), request_id)
        finally:
            self.close_connections()
            request_id_var.reset(token)
        headers = [
            *answered.headers,
            *self.security_headers[secure],
            ("X-Request-ID", request_id),
        ]
        start_response(_STATUS_LINES[answered.status], headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [answered.body]

    def _is_secure(self, environ: dict[str, Any]) -> bool:
        """HttpRequest.is_secure() on a bare environ: SECURE_PROXY_SSL_HEADER first."""
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"


def _host_allowed(environ: dict[str, Any]) -> bool:
    """The Host header's domain against ALLOWED_HOSTS, by Django's own helpers. Anything less
    plain (no Host header, X-Forwarded-Host in use, DEBUG's default hosts) is left to
    ``HttpRequest.get_host()`` itself."""
    host = environ.get("HTTP_HOST")
    if host is None or settings.USE_X_FORWARDED_HOST or settings.DEBUG:
        try:
            WSGIRequest(environ).get_host()
        except DisallowedHost:
            return False
        return True
    return _domain_allowed(host)


@lru_cache(maxsize=256)  # bounded: a client choosing Host values only churns it
def _domain_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


@receiver(setting_changed)
def _forget_hosts(*, setting: str, **kwargs: object) -> None:
    if setting == "ALLOWED_HOSTS":
        _domain_allowed.cache_clear()


def _read_body(environ: dict[str, Any]) -> bytes:
    """request.body's rules: CONTENT_LENGTH bytes (none if it is missing or not a number),
    refused past DATA_UPLOAD_MAX_MEMORY_SIZE. A chunked body, which Django does not read
    either, is refused in words rather than checked as empty (a SignatureDoesNotMatch)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if not length and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        raise ApiError(
            "MissingContentLength", "You must provide the Content-Length HTTP header.", status=411
        )
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _headers_added_by(security: SecurityMiddleware, *, secure: bool) -> list[tuple[str, str]]:
    probe = HttpRequest()
    probe.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse()
    added_to = security.process_response(probe, HttpResponse())
    return [(name, value) for name, value in added_to.items() if name not in response]
