"""Walk every URL of the console and the API as another account and as an anonymous visitor:
404 or a redirect to sign-in, never another account's data, never a change to it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from keys.models import AccessKey
from tests.factories import make_access_key
from tests.wsgi import WsgiClient

pytestmark = pytest.mark.django_db

PUBLIC = {"", "signin", "signin/password", "healthz", "readyz", "api", "api/"}


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
    assert len(routes) >= 15


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_account_gets_404_or_its_own_data_only(mallory_client, alice, method):
    new_key = make_access_key(alice)
    key = new_key.access_key
    for route in all_routes():
        if route in PUBLIC or route == "signout":  # signing out would end the walk early
            continue
        url = "/" + route.replace("<access_key_id:access_key_id>", key.access_key_id)
        data = {"confirmation": key.access_key_id}
        response = getattr(mallory_client, method)(url, data)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "<access_key_id:access_key_id>" in route:
            assert response.status_code in (404, 405), (method, url, response.status_code)
        assert key.access_key_id.encode() not in body, (method, url)
        assert new_key.secret_access_key.encode() not in body, (method, url)
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.status == "Active" and stored.owner == alice


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_sign_in(anonymous_client, alice, method):
    key = make_access_key(alice).access_key
    for route in all_routes():
        if route in PUBLIC:
            continue
        url = "/" + route.replace("<access_key_id:access_key_id>", key.access_key_id)
        response = getattr(anonymous_client, method)(url, {"confirmation": key.access_key_id})
        if response.status_code == 405:
            continue
        if method == "post" and route == "signout":
            assert response.status_code == 302 and response["Location"] == "/signin"
            continue
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith("/signin?next="), (method, url)
    assert AccessKey.objects.get(pk=key.pk).status == "Active"


def test_the_api_refuses_an_anonymous_caller(anonymous_client):
    for url in ("/api", "/api/"):
        response = WsgiClient().post(url, {"Action": "ListAccessKeys"})
        assert response.status_code == 403
        assert b"<Code>MissingAuthenticationToken</Code>" in response.content
