"""An authenticator app's seed: never in a log line (SQL with parameters included), never in
plain text in any table (the session's included), and in no page once the wizard is over."""

import base64
import logging

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from accounts.mfa.totp import STEP_SECONDS, current_step
from tests.accounts.mfa.test_views import ASSIGN, TOTP, start_wizard
from tests.conftest import CsrfClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def sql_logged():  # type: ignore[no-untyped-def]
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


def every_row_as_text() -> str:
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out += [" ".join(map(str, row)) for row in cursor.fetchall()]
    for session in Session.objects.all():  # and what the signed session text holds
        out.append(str(session.get_decoded()))
    return "\n".join(out)


def test_the_seed_is_in_no_log_no_table_and_no_page_after_the_wizard(
    alice, alice_client, password, caplog, capsys, sql_logged
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    secret = start_wizard(alice_client)
    variants = {secret, secret.lower(), base64.b32decode(secret).hex()}
    # During the wizard it is in the session only encrypted.
    assert not any(v in every_row_as_text() for v in variants)
    alice_client.get(TOTP, {"show": "qr"})
    alice_client.post(TOTP, {"code_1": "000000", "code_2": "111111"})
    totp, step = pyotp.TOTP(secret), current_step()
    code_1, code_2 = totp.at((step - 1) * STEP_SECONDS), totp.at(step * STEP_SECONDS)
    done = alice_client.post(TOTP, {"code_1": code_1, "code_2": code_2})
    pages = [alice_client.get(done["Location"]), alice_client.get(TOTP, {"show": "secret"})]
    pages += [alice_client.get(ASSIGN), alice_client.get("/iam/home")]
    client = CsrfClient()
    client.post("/signin", {"email": alice.email})
    client.post("/signin/password", {"password": password})
    pages.append(client.get("/signin/mfa"))
    pages.append(client.post("/signin/mfa", {"code": totp.at((step + 1) * STEP_SECONDS)}))
    logged = caplog.text + "".join(capsys.readouterr())
    assert "accounts_mfadevice" in logged  # SQL was logged: the capture saw everything
    for variant in variants:
        assert variant not in logged
        assert variant not in every_row_as_text()
        for page in pages:
            assert variant.encode() not in page.content
