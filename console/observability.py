"""Request IDs and JSON logs: every log line carries the ID of the request that wrote it."""

import contextvars
import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from .proxies import is_trusted_proxy

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id() -> str:
    """A random (version 4) UUID's text, as ``str(uuid.uuid4())`` gives it, without the
    UUID object on every request's path."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def request_id_of(environ: Mapping[str, Any]) -> str:
    """The request's ID: the X-Request-ID of the deployment's own proxy (DJANGO_TRUSTED_PROXIES)
    when it looks like one, else a new one. Any other client's would let it choose the ID of
    its request in the logs and in the API's RequestId, and give two requests one ID."""
    incoming = environ.get("HTTP_X_REQUEST_ID")
    if (
        incoming
        and _INCOMING_ID.fullmatch(incoming)
        and is_trusted_proxy(environ.get("REMOTE_ADDR", ""))
    ):
        return incoming
    return new_request_id()


class RequestIdMiddleware:
    """Every request gets an ID (:func:`request_id_of`), its log lines and its response too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request.META)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the request is finished (_forget_request_id), not only while the
        # middleware runs: Django logs a 4xx or 5xx (django.request) after every middleware.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs: object) -> None:
    request_id_var.set("-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line. Only the message and safe metadata: never request bodies."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
