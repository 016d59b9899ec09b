"""Requests through ``console.wsgi.application``, the application gunicorn serves.

Django's test client calls its own handler, which never reaches the API application in front
of it; this client builds each request with Django's RequestFactory (the same arguments as
the test client's methods) and sends its environ through the production application.
"""

from collections.abc import Callable

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory

from console.wsgi import application


class WsgiClient:
    def __init__(self, **defaults: object) -> None:
        self.factory = RequestFactory(**defaults)

    def get(self, path: str, data: object = None, **extra: object) -> HttpResponse:
        return self.send(self.factory.get(path, data, **extra))

    def post(self, path: str, data: object = None, **extra: object) -> HttpResponse:
        return self.send(self.factory.post(path, data, **extra))

    def put(self, path: str, data: object = "", **extra: object) -> HttpResponse:
        return self.send(self.factory.put(path, data, **extra))

    def generic(self, method: str, path: str, data: object = "", **extra: object) -> HttpResponse:
        return self.send(self.factory.generic(method, path, data, **extra))

    def send(self, request: object, app: Callable | None = None) -> HttpResponse:
        """The response to ``request``'s environ, as an HttpResponse (headers, cookies)."""
        status, headers = [], []

        def start_response(line, pairs, exc_info=None):  # type: ignore[no-untyped-def]
            status.append(line)
            headers.extend(pairs)

        # As Django's test client does: the test's transaction holds the connection, so the
        # request must not close it (the API application closes it itself, not by signal).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        target = app or application
        closes_itself = hasattr(target, "close_connections")
        if closes_itself:
            target.close_connections = lambda: None  # type: ignore[attr-defined]
        try:
            chunks = target(request.META, start_response)  # type: ignore[attr-defined]
            try:
                content = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()  # where Django's handler sends request_finished
        finally:
            if closes_itself:
                del target.close_connections  # type: ignore[attr-defined]  # the class's again
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        response = HttpResponse(content, status=int(status[0].split()[0]))
        del response["Content-Type"]
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.cookies.load(value)
            else:
                response[name] = value
        return response
