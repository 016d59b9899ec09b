"""Project-wide checks: migrations match the models, and every page has exactly one <h1>."""

import io
import re

import pytest
from django.core.management import call_command

from tests.factories import make_access_key

pytestmark = pytest.mark.django_db


def test_no_migrations_are_missing():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as missing:
        pytest.fail(f"Missing migrations:\n{out.getvalue()} (exit {missing.code})")


def test_the_system_checks_pass():
    call_command("check", "--fail-level", "WARNING")


def pages(client, alice):  # type: ignore[no-untyped-def]
    key = make_access_key(alice).access_key
    urls = [
        "/iam/home",
        "/iam/users",
        "/iam/credential_report",
        "/iam/security_credentials/warning",
        "/iam/security_credentials",
        f"/iam/security_credentials/access-keys/{key.pk}/delete",
        f"/iam/security_credentials/access-keys/{key.pk}/created",
        "/no-such-page",
    ]
    for url in urls:
        yield url, client.get(url)
    client.post("/signout")
    for url in ("/signin",):
        yield url, client.get(url)


def test_every_page_has_exactly_one_h1(alice_client, alice):
    for url, response in pages(alice_client, alice):
        html = response.content.decode()
        assert len(re.findall(r"<h1[\s>]", html)) == 1, url


def test_every_page_sends_strict_security_headers(alice_client, alice):
    for url, response in pages(alice_client, alice):
        csp = response.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, url
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url


def test_no_page_loads_anything_from_outside_the_server(alice_client, alice):
    for url, response in pages(alice_client, alice):
        html = response.content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html), url
