"""The secret never reaches a log line, during the whole console lifecycle."""

import logging

import pytest
from django.db import connection

from keys.models import AccessKey
from tests.conftest import CsrfClient

pytestmark = pytest.mark.django_db
KEYS = "/iam/security_credentials/access-keys"


@pytest.fixture
def sql_logged():  # type: ignore[no-untyped-def]
    # The noisiest configuration: every SQL statement is logged, with its parameters.
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


def test_the_secret_never_appears_in_any_log_line(alice, password, caplog, capsys, sql_logged):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    client = CsrfClient()
    client.post("/signin", {"email": alice.email})
    client.post("/signin/password", {"password": password})
    client.post("/iam/security_credentials/warning", {})
    key_id = client.post(f"{KEYS}/create")["Location"].split("/")[-2]
    secret = AccessKey.objects.get(pk=key_id).secret_access_key()
    assert secret in client.get(f"{KEYS}/{key_id}/created").content.decode()
    client.get(f"{KEYS}/{key_id}/rootkey.csv")
    client.get(f"{KEYS}/{key_id}/cli.csv")
    client.post(f"{KEYS}/{key_id}/close")
    client.get(f"{KEYS}/{key_id}/rootkey.csv")  # 410, logged as a warning
    client.post(f"{KEYS}/{key_id}/deactivate")
    client.post(f"{KEYS}/{key_id}/delete", {"confirmation": key_id})
    client.post("/signout")
    logged = caplog.text + "".join(capsys.readouterr())
    assert "keys_accesskey" in logged  # SQL was logged, so the capture really saw everything
    assert secret not in logged
    assert password not in logged


def test_a_masked_secret_renders_but_never_shows_in_a_repr():
    from django.template import engines

    from keys.crypto import MaskedSecret

    secret = MaskedSecret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    assert engines["jinja2"].from_string("{{ s }}").render({"s": secret}) == secret
    assert "wJalr" not in repr(secret) and "wJalr" not in repr({"s": secret})
