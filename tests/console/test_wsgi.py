"""Under gunicorn, /api goes through a lean handler; the console through the full stack."""

import io

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from console.wsgi import application
from tests.factories import make_access_key

pytestmark = pytest.mark.django_db
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"


def call(path: str, *, headers: dict[str, str], body: bytes = b"", method: str = "POST"):  # type: ignore[no-untyped-def]
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
    # handler must not recycle it between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status[0], dict(response_headers), content


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_api_answers_through_the_lean_handler(alice, path):
    new_key = make_access_key(alice)
    credentials = Credentials(new_key.access_key.access_key_id, new_key.secret_access_key)
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:8000{path}",
        data=BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
    signed = {"Host": "127.0.0.1:8000", **dict(request.headers.items())}
    status, headers, content = call(path, headers=signed, body=BODY)
    assert status.startswith("200"), content
    assert f"<Account>{alice.account_id}</Account>".encode() in content
    assert "Set-Cookie" not in headers and "Content-Security-Policy" not in headers
    assert headers["x-amzn-RequestId"] == headers["X-Request-ID"]
    assert headers["Content-Length"] == str(len(content))


def test_console_pages_keep_the_full_stack(db):
    status, headers, _ = call("/signin", headers={}, method="GET")
    assert status.startswith("200")
    assert "Content-Security-Policy" in headers and "csrftoken" in headers.get("Set-Cookie", "")
