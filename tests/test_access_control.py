"""Walk every URL of the console and the API as another account and as an anonymous visitor:
404 or a redirect to sign-in, never another account's data, never a change to it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.mfa import serial_number
from accounts.models import MFADevice
from keys.credential_report import credential_report_generate
from keys.models import AccessKey
from tests.factories import PASSWORD, make_access_key, make_totp_device
from tests.wsgi import WsgiClient

pytestmark = pytest.mark.django_db

PUBLIC = {
    "",
    "signin",
    "signin/password",
    "signin/mfa",
    "signin/mfa/passkey",
    "healthz",
    "readyz",
    "api",
    "api/",
}
DEVICE = "<int:device_id>"


def url_of(route: str, key: AccessKey, device: MFADevice) -> str:
    return "/" + route.replace("<access_key_id:access_key_id>", key.access_key_id).replace(
        DEVICE, str(device.pk)
    )


def all_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += all_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            routes.append(route)
    return routes


def test_the_walk_covers_every_route():
    routes = set(all_routes())
    assert "iam/security_credentials/access-keys/<access_key_id:access_key_id>/delete" in routes
    assert "iam/credential_report/download" in routes
    assert f"iam/security_credentials/mfa/{DEVICE}/remove" in routes
    assert "iam/security_credentials/password" in routes
    assert len(routes) >= 15


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_account_gets_404_or_its_own_data_only(mallory_client, alice, method):
    new_key = make_access_key(alice)
    key = new_key.access_key
    credential_report_generate(owner=alice)  # her report exists, and must stay hers
    device, secret = make_totp_device(alice, name="alices-phone")
    for route in all_routes():
        if route in PUBLIC or route == "signout":  # signing out would end the walk early
            continue
        url = url_of(route, key, device)
        data = {"confirmation": key.access_key_id}
        response = getattr(mallory_client, method)(url, data)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "<access_key_id:access_key_id>" in route or DEVICE in route:
            assert response.status_code in (404, 405), (method, url, response.status_code)
        assert key.access_key_id.encode() not in body, (method, url)
        assert new_key.secret_access_key.encode() not in body, (method, url)
        assert alice.account_id.encode() not in body, (method, url)
        assert serial_number(device).encode() not in body, (method, url)
        assert secret.encode() not in body, (method, url)
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.status == "Active" and stored.owner == alice
    assert MFADevice.objects.filter(pk=device.pk, owner=alice).exists()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_sign_in(anonymous_client, alice, method):
    key = make_access_key(alice).access_key
    device, _ = make_totp_device(alice, name="alices-phone")
    for route in all_routes():
        if route in PUBLIC:
            continue
        url = url_of(route, key, device)
        response = getattr(anonymous_client, method)(url, {"confirmation": key.access_key_id})
        if response.status_code == 405:
            continue
        if method == "post" and route == "signout":
            assert response.status_code == 302 and response["Location"] == "/signin"
            continue
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith("/signin?next="), (method, url)
    assert AccessKey.objects.get(pk=key.pk).status == "Active"
    assert MFADevice.objects.filter(pk=device.pk).exists()


def test_the_api_refuses_an_anonymous_caller(anonymous_client):
    for url in ("/api", "/api/"):
        response = WsgiClient().post(url, {"Action": "ListAccessKeys"})
        assert response.status_code == 403
        assert b"<Code>MissingAuthenticationToken</Code>" in response.content


READ_ONLY_PAGES = ["/iam/home", "/iam/users", "/iam/security_credentials", "/iam/credential_report"]


@pytest.mark.parametrize("url", READ_ONLY_PAGES)
def test_a_read_only_page_answers_head_as_get_without_the_body(alice_client, url):
    """HTTP asks every server for HEAD wherever it serves GET (uptime monitors use it); the
    pages that change nothing when loaded answer it. (The secret's dialog and downloads stay
    GET only.)"""
    get = alice_client.get(url)
    head = alice_client.head(url)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
    assert "no-store" in head["Cache-Control"]
