"""console.csrf's tokens are Django's: its middleware unmasks them to the secret."""

import re

from django.middleware import csrf as django_csrf
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from console import csrf

csrf_secrets = st.text(alphabet=django_csrf.CSRF_ALLOWED_CHARS, min_size=32, max_size=32)


@given(secret=csrf_secrets)
def test_a_masked_token_unmasks_to_its_secret_as_django_unmasks_it(secret: str) -> None:
    token = csrf.masked(secret)
    django_csrf._check_token_format(token)  # raises if not 64 allowed characters
    assert django_csrf._unmask_cipher_token(token) == secret
    assert django_csrf._does_token_match(token, secret)


def test_each_token_has_a_fresh_mask() -> None:
    secret = django_csrf._get_new_csrf_string()
    tokens = {csrf.masked(secret) for _ in range(200)}
    assert len(tokens) == 200


def test_every_character_can_be_a_mask_character() -> None:
    # The mask is drawn from all 62 characters, not a biased or truncated subset.
    seen = set()
    for _ in range(200):
        seen.update(csrf.masked("a" * 32)[:32])
    assert seen == set(django_csrf.CSRF_ALLOWED_CHARS)


def test_get_token_renews_the_cookie_it_masks() -> None:
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = django_csrf._get_new_csrf_string()
    token = csrf.get_token(request)
    assert django_csrf._unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_without_a_secret_django_makes_one() -> None:
    request = RequestFactory().get("/")
    token = csrf.get_token(request)
    assert django_csrf._unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def _page_tokens(html: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html) + re.findall(
        r'"X-CSRFToken": "([^"]+)"', html
    )


def _page_with_cookie_set(client) -> str:  # noqa: ANN001
    # As a browser has it after signing in: the CSRF cookie is already there.
    client.get("/iam/security_credentials")
    assert "csrftoken" in client.cookies
    return client.get("/iam/security_credentials").content.decode()


def test_the_pages_masked_tokens_pass_djangos_csrf_check(alice_client) -> None:  # noqa: ANN001
    html = _page_with_cookie_set(alice_client)
    tokens = _page_tokens(html)
    secret = alice_client.cookies["csrftoken"].value
    assert len(tokens) >= 3 and all(t != secret for t in tokens)  # masked, not the secret
    assert len(set(tokens)) == 1  # one token per render, printed in every form
    created = alice_client.post(
        "/iam/security_credentials/access-keys/create",
        {"csrfmiddlewaretoken": tokens[0]},
        with_csrf=False,
    )
    assert created.status_code == 302
    assert alice_client.get("/iam/security_credentials").content.count(b'<tr id="key-') == 1


def test_a_tampered_token_is_refused_and_creates_nothing(alice_client) -> None:  # noqa: ANN001
    html = _page_with_cookie_set(alice_client)
    token = _page_tokens(html)[0]
    tampered = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]
    refused = alice_client.post(
        "/iam/security_credentials/access-keys/create",
        {"csrfmiddlewaretoken": tampered},
        with_csrf=False,
    )
    assert refused.status_code == 403
    assert b'<tr id="key-' not in alice_client.get("/iam/security_credentials").content
