"""Under gunicorn, /api goes through a lean handler; the console through the full stack."""

import io
import re
from unittest import mock

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from console.wsgi import ApiHandler, application
from tests.factories import make_access_key
from tests.servers import signed_api_request

pytestmark = pytest.mark.django_db
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"


def call(path: str, *, headers: dict[str, str], body: bytes = b"", method: str = "POST", app=None):  # type: ignore[no-untyped-def]
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": headers.pop("Content-Type", ""),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    status, response_headers = [], []

    def start_response(line, pairs, exc_info=None):  # type: ignore[no-untyped-def]
        status.append(line)
        response_headers.extend(pairs)

    # As Django's test client does: the test's transaction holds the connection, so the
    # handlers must not recycle it between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with mock.patch("keys.api_wsgi.close_old_connections", lambda: None):
            content = b"".join((app or application)(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status[0], dict(response_headers), content


def _signed(new_key, action: str = "GetCallerIdentity", path: str = "/api"):  # type: ignore[no-untyped-def]
    """(body, headers) of an STS call signed by botocore, as an SDK sends it."""
    body, headers = signed_api_request(
        url=f"http://127.0.0.1:8000{path}",
        access_key_id=new_key.access_key.access_key_id,
        secret=new_key.secret_access_key,
        params={"Action": action},
        service="sts",
    )
    return body, {"Host": "127.0.0.1:8000", **headers}


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_api_answers_through_the_lean_handler(alice, path):
    body, signed = _signed(make_access_key(alice), path=path)
    status, headers, content = call(path, headers=signed, body=body)
    assert status.startswith("200"), content
    assert f"<Account>{alice.account_id}</Account>".encode() in content
    assert "Set-Cookie" not in headers and "Content-Security-Policy" not in headers
    assert headers["x-amzn-RequestId"] == headers["X-Request-ID"]
    assert headers["Content-Length"] == str(len(content))


def test_console_pages_keep_the_full_stack(db):
    status, headers, _ = call("/signin", headers={}, method="GET")
    assert status.startswith("200")
    assert "Content-Security-Policy" in headers and "csrftoken" in headers.get("Set-Cookie", "")


def _same_but_ids(body: bytes) -> bytes:
    return re.sub(rb"<RequestId>[^<]+</RequestId>", b"<RequestId/>", body)


@pytest.mark.parametrize(
    ("method", "action", "unsigned_body"),
    [
        ("POST", "GetCallerIdentity", None),  # signed: 200
        ("PUT", "GetCallerIdentity", None),  # 405 with Allow
        ("POST", "Nope", None),  # signed, unknown action: 400
        ("POST", None, BODY),  # unsigned: 403
        ("POST", None, b"x" * 3_000_000),  # 413
    ],
)
def test_the_lean_application_answers_as_the_django_view(alice, method, action, unsigned_body):
    """Status, headers and body of the same request through the lean application and
    through Django's handler with the API's middleware (RequestId, Security), which served
    /api before: only the request IDs differ."""
    if action is None:
        body = unsigned_body
        headers = {"Host": "127.0.0.1:8000", "Content-Type": "application/x-www-form-urlencoded"}
    else:
        body, headers = _signed(make_access_key(alice), action)
    lean = call("/api", headers=dict(headers), body=body, method=method)
    django = call("/api", headers=dict(headers), body=body, method=method, app=ApiHandler())
    assert lean[0] == django[0]
    assert _same_but_ids(lean[2]) == _same_but_ids(django[2])
    ignored = {"x-amzn-RequestId", "X-Request-ID"}
    assert {k: v for k, v in lean[1].items() if k not in ignored} == {
        k: v for k, v in django[1].items() if k not in ignored
    }


def test_https_redirects_are_left_to_django(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []
    from keys.api_wsgi import ApiApplication

    # Built after the settings change, as a server started with them builds it.
    lean = ApiApplication(fallback=ApiHandler())
    status, headers, _ = call("/api", headers={"Host": "127.0.0.1:8000"}, body=BODY, app=lean)
    assert status.startswith("301") and headers["Location"] == "https://127.0.0.1:8000/api"


def test_hsts_on_secure_requests(alice, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    from keys.api_wsgi import ApiApplication

    lean = ApiApplication(fallback=ApiHandler())
    body, signed = _signed(make_access_key(alice))
    environ_headers = {"X-Forwarded-Proto": "https", **signed}
    status, headers, _ = call("/api", headers=environ_headers, body=body, app=lean)
    assert status.startswith("200")
    assert headers["Strict-Transport-Security"] == "max-age=3600"
