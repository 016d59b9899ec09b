"""An authenticator app end to end in real Chromium, with and without JavaScript: assign it
(the secret read from Show secret key, codes from pyotp), sign in with a code, a replayed and
a wrong code refused, too many wrong codes throttled, Remove, and the password alone again."""

import io
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import MFADevice
from tests.browser.steps import (
    AUTH_FAILED,
    MFA_HEADING,
    account_menu,
    assign_authenticator_app,
    button,
    continue_past_warning,
    enter_mfa_code,
    open_mfa_section,
    open_my_security_credentials,
    remove_mfa_device,
    sign_in,
    sign_out,
    start_assigning,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def any_page(request, page: Page, no_js_page: Page) -> Page:  # type: ignore[no-untyped-def]
    return page if request.param == "with JavaScript" else no_js_page


def test_an_authenticator_app_protects_the_sign_in_until_removed(any_page: Page, alice) -> None:
    page = any_page
    sign_in(page, alice.email)
    expect(page.get_by_text("Add MFA for root user")).to_be_visible()
    open_my_security_credentials(page, alice.account_name)
    continue_past_warning(page)
    open_mfa_section(page)
    secret = assign_authenticator_app(page, "my-phone")
    device = MFADevice.objects.get(owner=alice)
    assert secret not in device.secret_ciphertext
    # The seed is in no page after the wizard.
    assert secret not in page.content()
    page.goto("/iam/security_credentials/mfa/authenticator-app?show=secret")
    assert secret not in page.content()

    sign_out(page, alice.account_name)
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    page.goto("/iam/home")  # half signed in: no console page
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.go_back()
    fresh = totp_code(secret, +1)
    enter_mfa_code(page, fresh)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("Add MFA for root user")).to_have_count(0)

    sign_out(page, alice.account_name)
    sign_in(page, alice.email)
    enter_mfa_code(page, fresh)  # a replay
    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    enter_mfa_code(page, "000000" if fresh != "000000" else "111111")
    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_have_count(0)


def test_the_qr_code_as_drawn_scans_to_the_secret_key(any_page: Page, alice, signed_in) -> None:
    """What an authenticator app's camera sees: the code as Chromium draws it, whole, and the
    same secret as Show secret key."""
    page = any_page
    signed_in(page.context, alice)
    open_mfa_section(page)
    start_assigning(page, "camera", "Authenticator app")
    button(page, "Show QR code").click()
    drawn = page.get_by_role("img", name="QR code for the authenticator app")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(drawn.screenshot())))
    assert [code.format for code in found] == [zxingcpp.BarcodeFormat.QRCode]
    uri = urlsplit(found[0].text)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == f"/AWS:{alice.account_name}@{alice.account_id}:camera"
    button(page, "Show secret key").click()
    secret = page.locator("#secret-key code").inner_text().strip()
    assert parse_qs(uri.query)["secret"] == [secret]


def test_remove_then_the_password_alone_signs_in(any_page: Page, alice, signed_in) -> None:
    from tests.factories import make_totp_device

    page = any_page
    make_totp_device(alice, name="old-phone")
    signed_in(page.context, alice)
    open_mfa_section(page)
    remove_mfa_device(page, "old-phone")
    assert not MFADevice.objects.filter(owner=alice).exists()
    sign_out(page, alice.account_name)
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    expect(account_menu(page, alice.account_name)).to_be_visible()


def test_wrong_codes_are_throttled_like_wrong_passwords(any_page: Page, alice) -> None:
    from accounts.throttle import MAX_FAILURES
    from tests.factories import make_totp_device

    page = any_page
    _, secret = make_totp_device(alice)
    sign_in(page, alice.email)
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    # The right password stays counted until the last factor passes: four wrong codes after
    # it reach the limit.
    for _ in range(MAX_FAILURES - 1):
        enter_mfa_code(page, wrong)
        expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    enter_mfa_code(page, totp_code(secret))
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_have_count(0)
