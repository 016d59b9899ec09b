"""accounts/middleware.py's SignedInUserMiddleware: the signed-in user itself on console pages."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from accounts.models import RootUser

pytestmark = pytest.mark.django_db


def test_a_console_page_has_the_signed_in_user_itself(alice_client, alice):
    response = alice_client.get("/iam/security_credentials")
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is RootUser and user.pk == alice.pk
    assert alice.account_id in response.content.decode()


def test_a_console_page_signed_out_has_the_anonymous_user(client):
    response = client.get("/signin")
    assert response.status_code == 200
    assert type(response.wsgi_request.user) is AnonymousUser


def test_other_paths_keep_djangos_lazy_user_unread(alice_client):
    response = alice_client.get("/healthz")
    assert response.status_code == 200
    assert type(response.wsgi_request.user) is SimpleLazyObject


def test_signing_out_leaves_the_anonymous_user(alice_client):
    response = alice_client.post("/signout")
    assert type(response.wsgi_request.user) is AnonymousUser
    assert alice_client.get("/iam/security_credentials").status_code == 302
