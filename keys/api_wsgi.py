"""/api as a plain WSGI application: the answer of keys.api without Django's request cycle.

An SDK's request needs none of what Django builds for a page: no HttpRequest with its
QueryDicts, no URL resolving, no middleware, no HttpResponse. Under load that machinery was
more than half of an API request's CPU (`bench/profile.py`), more than the signature check
and the database together. So gunicorn's /api goes here, and this does what the API needs of
Django's cycle, in the same order:

- database connections are checked and recycled before and after the request (CONN_MAX_AGE,
  errors) by ``close_old_connections``, exactly what Django's ``request_started`` and
  ``request_finished`` receivers do for /api (the other receivers reset the DEBUG query
  log, per-request URLconfs and caches, none of which /api uses). Sending the two signals
  cost 6% of an API request;
- the request ID is taken or made as console.observability.RequestIdMiddleware does, and put
  on every log line of the request;
- the headers SecurityMiddleware adds are added, as SecurityMiddleware itself works them out
  at start-up; a request that it would redirect to HTTPS goes to the full Django handler
  instead, which redirects it (production exempts /api from that redirect, as SDKs do not
  follow it);
- the body is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, as request.body is.

What the answer is, keys.api decides, for both ways in: keys.api.endpoint (the Django view,
used by the test client and runserver) and this application call the same
:func:`keys.api.answer`. ``tests/console/test_wsgi.py`` checks that they answer alike.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware

from console.observability import new_request_id, request_id_var, valid_incoming_request_id

from .api import answer

type StartResponse = Callable[..., Any]
type WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
_PATHS = ("api", "api/")  # as SecurityMiddleware matches them: without the leading slash


class ApiApplication:
    """The WSGI application for /api. ``fallback`` is the Django handler that serves what
    this one does not: requests that SecurityMiddleware would redirect to HTTPS."""

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
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        secure = self._is_secure(environ)
        if self.redirects_insecure and not secure:
            return self.fallback(environ, start_response)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if valid_incoming_request_id(incoming) else new_request_id()
        token = request_id_var.set(request_id)
        close_old_connections()
        try:
            answered = answer(environ, lambda: _read_body(environ), request_id)
        finally:
            close_old_connections()
            request_id_var.reset(token)
        headers = [
            *answered.headers,
            *self.security_headers[secure],
            ("X-Request-ID", request_id),
        ]
        start_response(_STATUS_LINES[answered.status], headers)
        return [answered.body]

    def _is_secure(self, environ: dict[str, Any]) -> bool:
        """HttpRequest.is_secure() on a bare environ: SECURE_PROXY_SSL_HEADER first."""
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"


def _headers_added_by(security: SecurityMiddleware, *, secure: bool) -> list[tuple[str, str]]:
    probe = HttpRequest()
    probe.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse()
    added_to = security.process_response(probe, HttpResponse())
    return [(name, value) for name, value in added_to.items() if name not in response]


def _read_body(environ: dict[str, Any]) -> bytes:
    """request.body's rules: CONTENT_LENGTH bytes (none if it is missing or not a number),
    refused past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return environ["wsgi.input"].read(length) if length > 0 else b""
