"""Hypothesis drives every console form with arbitrary text, sizes and encodings:
the answer is a page or a redirect with a clear message, never a 500, never a change."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Event
from keys.models import AccessKey
from tests.conftest import CsrfClient, _signed_in
from tests.factories import make_access_key

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(min_size=2000, max_size=5000),
    st.just("\x00"),
    st.just("a@b.c\x00"),
    st.just("AKIA" + "\u0130" * 16),
)


@FUZZ
@given(email=TEXT, password=TEXT)
def test_sign_in_never_fails_badly(alice, email, password):
    client = CsrfClient()
    response = client.post("/signin", {"email": email})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "field-error" in response.content.decode()
        return
    response = client.post("/signin/password", {"password": password})
    assert response.status_code in (401, 429)
    assert "_auth_user_id" not in client.session


@FUZZ
@given(typed=TEXT)
def test_delete_confirmation_never_fails_badly(alice, typed):
    key = (
        make_access_key(alice).access_key
        if not AccessKey.objects.exists()
        else (AccessKey.objects.get())
    )
    client = _signed_in(alice)
    url = f"/iam/security_credentials/access-keys/{key.access_key_id}/delete"
    response = client.post(url, {"confirmation": typed})
    if typed.strip() == key.access_key_id:
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        assert "field-error" in response.content.decode()
        assert AccessKey.objects.filter(pk=key.pk).exists()


@FUZZ
@given(
    key_id=st.text(max_size=200).filter(lambda t: "/" not in t and "?" not in t and "#" not in t)
)
@example(key_id="\x00")  # PostgreSQL refuses NUL in text: once a 503, now a 404 before any query
@example(key_id="AKIAAAAAAAAAAAAAAAAA")  # well-formed, but no such key
def test_key_urls_with_any_id_answer_404(alice, key_id):
    from urllib.parse import quote

    client = _signed_in(alice)
    for action in ("created", "rootkey.csv", "deactivate", "delete"):
        url = f"/iam/security_credentials/access-keys/{quote(key_id, safe='')}/{action}"
        method = client.post if action == "deactivate" else client.get
        assert method(url).status_code in (404,), url


@FUZZ
@given(body=st.binary(max_size=2000))
def test_raw_bodies_of_any_encoding_never_fail_badly(alice, body):
    client = _signed_in(alice)
    token = client.csrf_token()
    before = Event.objects.count()
    for url in (
        "/signin",
        "/iam/security_credentials/warning",
        "/iam/security_credentials/access-keys/create",
    ):
        response = client.generic(
            "POST",
            url,
            body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-CSRFToken": token},
        )
        assert response.status_code < 500, url
    created = Event.objects.count() - before
    assert created <= 2  # at most the two keys the create form may legitimately make


def test_a_huge_form_is_refused_cleanly(alice):
    client = CsrfClient(raise_request_exception=False)
    response = client.post("/signin", {f"f{i}": "x" for i in range(2000)})
    assert response.status_code == 400
