import json

import pytest
from cryptography.fernet import Fernet
from django.db import OperationalError
from django.test import Client

from tests.factories import make_access_key, make_totp_device
from tests.wsgi import WsgiClient

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_readyz_checks_the_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "migrations": "ok", "secrets": "ok"}


def test_readyz_reports_stored_secrets_that_the_configured_keys_cannot_open(alice, settings):
    """An encryption key dropped before rotate_encryption_keys ran: every API call and MFA
    sign-in would fail, so the server is not ready. With the old key back it is."""
    make_access_key(alice)
    make_totp_device(alice)
    old_keys = list(settings.KEYS_ENCRYPTION_KEYS)
    settings.KEYS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["secrets"] == "unreadable"
    settings.KEYS_ENCRYPTION_KEYS = [settings.KEYS_ENCRYPTION_KEYS[0], *old_keys]
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert json.loads(response.content)["secrets"] == "ok"


@pytest.fixture
def database_down(monkeypatch):  # type: ignore[no-untyped-def]
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


def test_readyz_reports_an_unreachable_database(client, database_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "unreachable"


def test_the_console_answers_a_plain_503_page_when_the_database_is_down(alice, database_down):
    client = Client(raise_request_exception=False)
    response = client.get("/iam/home", headers={"Cookie": "sessionid=" + "a" * 32})
    assert response.status_code == 503
    html = response.content.decode()
    assert "Service temporarily unavailable" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert response["Retry-After"] == "5"


def test_the_api_answers_aws_service_unavailable_when_the_database_is_down(database_down):
    response = WsgiClient().post(
        "/api",
        {"Action": "GetCallerIdentity"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAAA/20261127/us-east-1/"
            "sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            "X-Amz-Date": "20261127T000000Z",
        },
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Code>ServiceUnavailable</Code>" in response.content


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second and len(first) == 36


def test_a_request_id_is_taken_only_from_a_trusted_proxy(client, settings):
    """A client choosing its request's ID could give two requests one ID in the logs."""
    chosen = {"X-Request-ID": "lb-1234567890"}
    assert client.get("/healthz", headers=chosen)["X-Request-ID"] != "lb-1234567890"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]  # the test client's REMOTE_ADDR
    assert client.get("/healthz", headers=chosen)["X-Request-ID"] == "lb-1234567890"
    bad = {"X-Request-ID": "lb 1234567890"}  # a trusted proxy's malformed ID is not kept either
    assert client.get("/healthz", headers=bad)["X-Request-ID"] != "lb 1234567890"


def test_error_pages_are_never_stored(alice_client):
    """They show the account's name and ID like any signed-in page."""

    not_found = alice_client.get("/iam/no-such-page")
    refused = alice_client.post("/iam/security_credentials/password", {}, with_csrf=False)
    for response in (not_found, refused):
        assert response.status_code in (403, 404)
        assert "no-store" in response["Cache-Control"], response.status_code


def test_djangos_own_log_line_for_a_4xx_carries_the_request_id(client):
    import logging

    from console.observability import request_id_var

    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(request_id_var.get())

    logger = logging.getLogger("django.request")
    capture = Capture(level=logging.WARNING)
    logger.addHandler(capture)
    try:
        response = client.get("/iam/no-such-page")
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 404
    assert seen == [response["X-Request-ID"]]
    assert request_id_var.get() == "-"  # and forgotten once the request is finished
