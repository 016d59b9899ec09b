"""The Assign MFA device wizard, Remove, and the MFA sign-in step, through the real views."""

import re
import time

import pyotp
import pytest
from markupsafe import escape

from accounts.mfa.passkeys import UNAVAILABLE_BY_IP
from accounts.mfa.services import MFA_DEVICE_LIMIT
from accounts.mfa.totp import STEP_SECONDS, current_step
from accounts.models import Event, MFADevice
from accounts.throttle import MAX_FAILURES
from tests.accounts.test_views import AUTH_FAILED, assert_refused_field, sign_in
from tests.conftest import CsrfClient
from tests.factories import make_totp_device

pytestmark = pytest.mark.django_db
ASSIGN = "/iam/security_credentials/mfa/assign"
TOTP = "/iam/security_credentials/mfa/authenticator-app"


def two_codes(secret: str) -> tuple[str, str]:
    step = current_step()
    totp = pyotp.TOTP(secret)
    return totp.at((step - 1) * STEP_SECONDS), totp.at(step * STEP_SECONDS)


def start_wizard(client: CsrfClient, name: str = "phone") -> str:
    """Device name and Authenticator app, Next; returns the secret shown by Show secret key."""
    response = client.post(ASSIGN, {"name": name, "kind": "totp"})
    assert response.status_code == 302 and response["Location"] == TOTP
    page = client.get(TOTP, {"show": "secret"})
    assert "no-store" in page["Cache-Control"]
    return re.search(r'class="secret-key">([A-Z2-7]+)<', page.content.decode()).group(1)


def test_the_wizard_assigns_an_authenticator_app_with_two_consecutive_codes(alice, alice_client):
    page = alice_client.get(ASSIGN).content.decode()
    for label in ("Device name", "Authenticator app", "Passkey or security key", "Next"):
        assert label in page
    secret = start_wizard(alice_client)
    assert len(secret) == 32  # 160 bits in Base32
    qr = alice_client.get(TOTP, {"show": "qr"}).content.decode()
    assert "<svg" in qr and secret not in qr
    code_1, code_2 = two_codes(secret)
    response = alice_client.post(TOTP, {"code_1": code_1, "code_2": code_2})
    assert response.status_code == 302
    device = MFADevice.objects.get(owner=alice)
    assert (device.name, device.kind) == ("phone", "totp")
    assert secret not in device.secret_ciphertext
    assert Event.objects.for_account(alice).filter(action="EnableMFADevice").count() == 1
    listed = alice_client.get(response["Location"]).content.decode()
    assert f"arn:aws:iam::{alice.account_id}:mfa/phone" in listed
    assert secret not in listed
    # The wizard is over: no URL shows the seed again.
    after = alice_client.get(TOTP, {"show": "secret"})
    assert after.status_code == 302 and secret.encode() not in after.content


@pytest.mark.parametrize("which", ["wrong", "reversed", "same"])
def test_wrong_or_non_consecutive_codes_save_nothing(alice, alice_client, which):
    secret = start_wizard(alice_client)
    code_1, code_2 = two_codes(secret)
    codes = {"wrong": ("000000", code_2), "reversed": (code_2, code_1), "same": (code_2, code_2)}
    response = alice_client.post(TOTP, dict(zip(["code_1", "code_2"], codes[which], strict=True)))
    assert response.status_code == 400
    assert "The MFA codes were not accepted." in response.content.decode()
    assert not MFADevice.objects.exists()


def test_the_name_must_be_valid_and_unused_and_the_ninth_device_is_refused(alice, alice_client):
    response = alice_client.post(ASSIGN, {"name": "has space", "kind": "totp"})
    assert response.status_code == 400 and "no spaces" in response.content.decode()
    make_totp_device(alice, name="phone")
    response = alice_client.post(ASSIGN, {"name": "phone", "kind": "totp"})
    assert "An MFA device named phone already exists." in response.content.decode()
    for number in range(MFA_DEVICE_LIMIT - 1):
        make_totp_device(alice, name=f"app{number}")
    response = alice_client.post(ASSIGN, {"name": "ninth", "kind": "totp"})
    assert response.status_code == 400
    assert "You can assign at most 8 MFA devices" in response.content.decode()
    assert MFADevice.objects.filter(owner=alice).count() == MFA_DEVICE_LIMIT
    page = alice_client.get("/iam/security_credentials?expanded=mfa").content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*>Assign MFA device</button>", page)


def test_passkeys_are_unavailable_by_ip_address_and_say_why(alice_client):
    page = alice_client.get(ASSIGN, HTTP_HOST="127.0.0.1").content.decode()
    assert str(escape(UNAVAILABLE_BY_IP)) in page
    assert re.search(r'value="passkey" id="kind-passkey"[^>]*disabled', page)
    response = alice_client.post(ASSIGN, {"name": "key", "kind": "passkey"}, HTTP_HOST="127.0.0.1")
    assert response.status_code == 400
    by_name = alice_client.get(ASSIGN, HTTP_HOST="localhost").content.decode()
    assert str(escape(UNAVAILABLE_BY_IP)) not in by_name
    assert "data-without-javascript> Passkeys and security keys need JavaScript" in by_name


def test_remove_asks_for_confirmation_then_removes(alice, alice_client):
    device, _ = make_totp_device(alice, name="phone")
    url = f"/iam/security_credentials/mfa/{device.pk}/remove"
    page = alice_client.get(url).content.decode()
    assert "Remove MFA device?" in page and "<dialog" in page
    assert MFADevice.objects.filter(pk=device.pk).exists()
    response = alice_client.post(url)
    assert response.status_code == 302
    assert not MFADevice.objects.filter(pk=device.pk).exists()
    assert Event.objects.for_account(alice).filter(action="DeactivateMFADevice").count() == 1


def test_the_dashboard_says_add_mfa_until_a_device_exists(alice, alice_client):
    assert "Add MFA for root user" in alice_client.get("/iam/home").content.decode()
    make_totp_device(alice)
    assert "Add MFA for root user" not in alice_client.get("/iam/home").content.decode()


# ------------------------------------------------------------------------- sign-in


def signed_in(client: CsrfClient) -> bool:
    return "_auth_user_id" in client.session


def test_a_user_with_a_device_needs_a_code_after_the_password(alice, password):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    response = sign_in(client, alice.email, password)
    assert response.status_code == 302 and response["Location"] == "/signin/mfa"
    assert not signed_in(client)
    page = client.get("/signin/mfa").content.decode()
    assert "Multi-factor authentication" in page and "MFA code" in page and "Submit" in page
    code = pyotp.TOTP(secret).now()
    response = client.post("/signin/mfa", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/iam/home"
    assert signed_in(client)
    assert client.get("/iam/home").status_code == 200


def test_a_wrong_code_gets_the_password_message_and_a_replay_is_refused(alice, password):
    _, secret = make_totp_device(alice)
    first = CsrfClient()
    sign_in(first, alice.email, password)
    response = first.post("/signin/mfa", {"code": "000000"})
    assert response.status_code == 401 and AUTH_FAILED in response.content.decode()
    assert_refused_field(response, "code")
    code = pyotp.TOTP(secret).now()
    assert first.post("/signin/mfa", {"code": code}).status_code == 302
    second = CsrfClient()
    sign_in(second, alice.email, password)
    replay = second.post("/signin/mfa", {"code": code})
    assert replay.status_code == 401 and AUTH_FAILED in replay.content.decode()
    assert not signed_in(second)


def test_wrong_codes_count_toward_the_password_throttle(alice, password):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    sign_in(client, alice.email, password)
    # The right password stays counted until the last factor passes (knowing it must not buy
    # a fresh run of code guesses), so four wrong codes reach the limit of five.
    for _ in range(MAX_FAILURES - 1):
        assert client.post("/signin/mfa", {"code": "000000"}).status_code == 401
    response = client.post("/signin/mfa", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 429
    assert not signed_in(client)
    # The password step is locked for the pair too.
    assert sign_in(CsrfClient(), alice.email, password).status_code == 429


def test_signing_in_again_with_the_password_buys_no_fresh_code_guesses(alice, password):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    guesses = 0
    for _ in range(2):  # password, two wrong codes; then the password again, and so on
        assert sign_in(client, alice.email, password).status_code == 302
        for _ in range(2):
            if client.post("/signin/mfa", {"code": "000000"}).status_code == 429:
                break
            guesses += 1
    assert guesses < MAX_FAILURES
    response = client.post("/signin/mfa", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 429
    assert sign_in(CsrfClient(), alice.email, password).status_code == 429
    assert not signed_in(client)


def test_the_pending_state_expires_after_five_minutes(alice, password, monkeypatch):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    sign_in(client, alice.email, password)
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr("accounts.mfa.pending.time.time", lambda: later)
    response = client.post("/signin/mfa", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == "/signin"
    assert not signed_in(client)


def test_the_pending_state_is_bound_to_the_browser_and_single_use(alice, password):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    sign_in(client, alice.email, password)
    other = CsrfClient()  # another browser, without this one's session cookie
    assert other.get("/signin/mfa")["Location"] == "/signin"
    totp = pyotp.TOTP(secret)
    assert client.post("/signin/mfa", {"code": totp.now()}).status_code == 302
    client.logout()
    step = current_step()
    again = client.post("/signin/mfa", {"code": totp.at((step + 1) * STEP_SECONDS)})
    assert again.status_code == 302 and again["Location"] == "/signin"
    assert not signed_in(client)


def test_half_signed_in_reaches_no_console_page_or_key_action(alice, password):
    from tests.test_access_control import PUBLIC, all_routes

    make_totp_device(alice)
    client = CsrfClient()
    sign_in(client, alice.email, password)
    for route in all_routes():
        if route in PUBLIC or route == "signout":
            continue
        url = "/" + route.replace("<access_key_id:access_key_id>", "AKIAAAAAAAAAAAAAAAAA")
        url = url.replace("<int:device_id>", "1")
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 405:
                continue
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith("/signin?next="), (method, url)
    assert client.session.get("mfa_pending")  # still pending, never signed in
    assert not signed_in(client)


def test_a_password_change_voids_a_pending_sign_in(alice, password):
    _, secret = make_totp_device(alice)
    client = CsrfClient()
    sign_in(client, alice.email, password)
    alice.set_password("Changed-elsewhere1")
    alice.save()
    response = client.post("/signin/mfa", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/signin" and not signed_in(client)


def test_the_remove_mfa_command_removes_every_device_and_records_it(alice, password):
    from io import StringIO

    from django.core.management import call_command

    make_totp_device(alice)
    make_totp_device(alice)
    out = StringIO()
    call_command("remove_mfa", "--email", " ALICE@example.com ", stdout=out)
    assert "Removed 2 MFA device(s)" in out.getvalue()
    assert not MFADevice.objects.filter(owner=alice).exists()
    removed = Event.objects.for_account(alice).filter(action="DeactivateMFADevice")
    assert removed.count() == 2 and {e.channel for e in removed} == {"command"}
    response = sign_in(CsrfClient(), alice.email, password)
    assert response["Location"] == "/iam/home"


def test_try_another_mfa_method_when_both_kinds_exist(alice, password):
    from accounts.mfa.services import mfa_device_create_passkey

    make_totp_device(alice)
    mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    client = CsrfClient()
    sign_in(client, alice.email, password)
    page = client.get("/signin/mfa", HTTP_HOST="localhost").content.decode()
    assert "MFA code" in page and "Try another MFA method" in page
    passkey = client.get("/signin/mfa", {"method": "passkey"}, HTTP_HOST="localhost")
    body = passkey.content.decode()
    assert "Use passkey or security key" in body and 'name="code"' not in body
    assert '"rpId": "localhost"' in body and "Try another MFA method" in body
    assert client.session["mfa_pending"]["passkey_challenge"]
    assert "Use an authenticator app instead, or turn JavaScript on." in body  # (it has one)


def test_without_javascript_a_passkey_only_user_is_not_sent_to_an_app_they_lack(alice, password):
    from accounts.mfa.passkeys import SIGN_IN_NEEDS_JAVASCRIPT
    from accounts.mfa.services import mfa_device_create_passkey

    mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    client = CsrfClient()
    sign_in(client, alice.email, password)
    body = client.get("/signin/mfa", HTTP_HOST="localhost").content.decode()
    assert SIGN_IN_NEEDS_JAVASCRIPT in body and "authenticator app" not in body


def test_a_passkey_assertion_without_a_challenge_is_refused_and_counted(alice, password):
    from accounts.mfa.services import mfa_device_create_passkey

    mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    client = CsrfClient()
    sign_in(client, alice.email, password)
    response = client.post(
        "/signin/mfa/passkey", {"credential": '{"id": "Y3JlZA"}'}, HTTP_HOST="localhost"
    )
    assert response.status_code == 401 and AUTH_FAILED in response.content.decode()
    assert not signed_in(client)
    assert Event.objects.filter(account=alice, action="SignInFailure").count() == 1


MALFORMED_CREDENTIALS = [
    '{"id": "Y3JlZA"}',
    "{garbage",
    "[]",
    "null",
    '{"id": "Y3JlZA", "response": 1}',
]


def test_a_malformed_passkey_assertion_is_a_refusal_never_a_500(alice, password):
    """A real credential ID is in the page's options: a client may send it with anything."""
    from accounts.mfa.services import mfa_device_create_passkey

    mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    client = CsrfClient()
    sign_in(client, alice.email, password)
    for credential in MALFORMED_CREDENTIALS[:4]:  # under the throttle's five
        client.get("/signin/mfa", HTTP_HOST="localhost")  # a fresh challenge each time
        response = client.post(
            "/signin/mfa/passkey", {"credential": credential}, HTTP_HOST="localhost"
        )
        assert response.status_code == 401, credential
        assert AUTH_FAILED in response.content.decode()
        assert not signed_in(client)


def test_a_malformed_passkey_registration_is_refused_in_words(alice_client, alice):
    from accounts.mfa.passkeys import FAILED

    for credential in MALFORMED_CREDENTIALS:
        alice_client.post(ASSIGN, {"name": "key", "kind": "passkey"}, HTTP_HOST="localhost")
        alice_client.get("/iam/security_credentials/mfa/passkey", HTTP_HOST="localhost")
        response = alice_client.post(
            "/iam/security_credentials/mfa/passkey",
            {"credential": credential},
            HTTP_HOST="localhost",
        )
        assert response.status_code == 400, credential
        assert FAILED in response.content.decode()
    assert not MFADevice.objects.filter(owner=alice).exists()


def test_device_name_is_described_by_its_hint(alice_client):
    """Django names the help text's id in the field's aria-describedby: it must exist."""
    page = alice_client.get(ASSIGN).content.decode()
    described_by = re.search(r'<input[^>]*name="name"[^>]*aria-describedby="([^"]+)"', page)
    assert described_by, page
    for target in described_by.group(1).split():
        assert f'id="{target}"' in page, target
    assert 'id="id_name_helptext">Up to 64 characters' in page
