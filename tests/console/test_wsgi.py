"""console.wsgi.application: /api through the API application, the console through Django's."""

import logging
from unittest import mock

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import RequestFactory

import console.wsgi
from keys.api.wsgi import ApiApplication
from tests.factories import make_access_key
from tests.servers import signed_identity_request
from tests.wsgi import WsgiClient

pytestmark = pytest.mark.django_db
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = "application/x-www-form-urlencoded"
# What SecurityMiddleware adds to every response, pages and API alike.
SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy")


def signed_identity_call(alice, path: str = "/api", host: str = "127.0.0.1:8000", new_key=None):  # type: ignore[no-untyped-def]
    """A GetCallerIdentity request signed by botocore for ``host``, through the application,
    with ``new_key`` (a new key of alice's if none is given)."""
    new_key = new_key or make_access_key(alice)
    body, headers = signed_identity_request(
        f"http://{host}{path}", new_key.access_key.access_key_id, new_key.secret_access_key
    )
    content_type = headers.pop("Content-Type")
    return WsgiClient().post(
        path, body, content_type=content_type, headers={**headers, "Host": host}
    )


@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_api_answers_without_the_consoles_middleware(alice, path):
    response = signed_identity_call(alice, path)
    assert response.status_code == 200, response.content
    assert f"<Account>{alice.account_id}</Account>".encode() in response.content
    assert not response.cookies and "Content-Security-Policy" not in response
    assert response["x-amzn-RequestId"] == response["X-Request-ID"]
    assert response["Content-Length"] == str(len(response.content))


def test_the_api_carries_the_headers_django_adds_to_every_response(alice):
    api = signed_identity_call(alice)
    page = WsgiClient().get("/healthz", headers={"Host": "127.0.0.1:8000"})
    for name in SECURITY_HEADERS:
        assert api[name] == page[name], name


def test_console_pages_keep_the_full_stack(db):
    response = WsgiClient().get("/signin", headers={"Host": "127.0.0.1:8000"})
    assert response.status_code == 200
    assert "Content-Security-Policy" in response and "csrftoken" in response.cookies


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:8000"])
def test_a_disallowed_host_gets_djangos_400_even_when_signed_for_it(alice, host, caplog):
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        api = signed_identity_call(alice, host=host)
    page = WsgiClient().get("/healthz", headers={"Host": host})
    assert api.status_code == page.status_code == 400
    assert api.content == page.content and b"<Account>" not in api.content
    assert "Invalid HTTP_HOST header" in caplog.text


def test_a_host_in_allowed_hosts_is_served(alice, settings):
    settings.ALLOWED_HOSTS = [".example.com"]
    assert signed_identity_call(alice, host="api.example.com").status_code == 200
    assert signed_identity_call(alice, host="example.org").status_code == 400


def test_the_hosts_decided_are_forgotten_when_allowed_hosts_changes(alice, settings):
    """The answer for a Host is kept per Host value, and only while ALLOWED_HOSTS stays."""
    new_key = make_access_key(alice)
    for allowed, expected in (([".example.com"], 200), (["127.0.0.1"], 400), (["*"], 200)):
        settings.ALLOWED_HOSTS = allowed
        response = signed_identity_call(alice, host="api.example.com", new_key=new_key)
        assert response.status_code == expected, allowed


def test_https_redirects_are_left_to_django(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []
    # Built after the settings change, as a server started with them builds it.
    application = ApiApplication(fallback=get_wsgi_application())
    request = RequestFactory().post(
        "/api", BODY, content_type=FORM, headers={"Host": "127.0.0.1:8000"}
    )
    response = WsgiClient().send(request, app=application)
    assert response.status_code == 301
    assert response["Location"] == "https://127.0.0.1:8000/api"


def test_hsts_on_secure_requests(alice, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    application = ApiApplication(fallback=get_wsgi_application())
    new_key = make_access_key(alice)
    body, headers = signed_identity_request(
        "http://127.0.0.1:8000/api", new_key.access_key.access_key_id, new_key.secret_access_key
    )
    content_type = headers.pop("Content-Type")
    request = RequestFactory().post(
        "/api",
        body,
        content_type=content_type,
        headers={**headers, "Host": "127.0.0.1:8000", "X-Forwarded-Proto": "https"},
    )
    response = WsgiClient().send(request, app=application)
    assert response.status_code == 200, response.content
    assert response["Strict-Transport-Security"] == "max-age=3600"


@pytest.mark.parametrize(
    ("headers", "use_forwarded_host", "status"),
    [
        ({}, False, 403),  # no Host: SERVER_NAME (testserver), as Django reads it
        ({"X-Forwarded-Host": "evil.example"}, False, 403),  # not believed
        ({"X-Forwarded-Host": "evil.example"}, True, 400),
        ({"X-Forwarded-Host": "testserver"}, True, 403),
    ],
)
def test_the_host_is_read_as_django_reads_it(db, settings, headers, use_forwarded_host, status):
    settings.USE_X_FORWARDED_HOST = use_forwarded_host
    response = WsgiClient().post("/api", BODY, content_type=FORM, headers=headers)
    assert response.status_code == status, response.content
    if status == 403:  # answered by the API: an unsigned request
        assert b"<Code>MissingAuthenticationToken</Code>" in response.content


@pytest.mark.django_db(transaction=True)  # no test transaction: the request may close it
def test_the_api_checks_database_connections_before_and_after_each_request(alice):
    """What Django's request signals have close_old_connections do, the API application
    does itself: every open connection is checked (past its CONN_MAX_AGE, errors, autocommit
    left off) before the request's first query and after its last."""
    new_key = make_access_key(alice)
    body, headers = signed_identity_request(
        "http://127.0.0.1:8000/api", new_key.access_key.access_key_id, new_key.secret_access_key
    )
    request = RequestFactory().post(
        "/api",
        body,
        content_type=headers.pop("Content-Type"),
        headers={**headers, "Host": "127.0.0.1:8000"},
    )
    connection.ensure_connection()
    events: list[str] = []
    check = connection.close_if_unusable_or_obsolete

    def checked() -> None:
        events.append("check")
        check()

    def queried(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        events.append("query")
        return execute(sql, params, many, context)

    statuses: list[str] = []
    with (
        mock.patch.object(connection, "close_if_unusable_or_obsolete", checked),
        connection.execute_wrapper(queried),
    ):
        answer = console.wsgi.application(
            request.META, lambda status, headers: statuses.append(status)
        )
        assert b"<Account>" in b"".join(answer)
    assert statuses == ["200 OK"]
    assert events[0] == events[-1] == "check" and "query" in events
