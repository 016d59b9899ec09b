"""Passkeys for real: Chromium's virtual authenticator (DevTools Protocol) registers a passkey
through the wizard and signs in with it; an assertion by another account's passkey is
refused. The console is reached as http://localhost:…, a host name WebAuthn accepts."""

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accounts.mfa.passkeys import NEEDS_JAVASCRIPT
from accounts.models import MFADevice
from tests.browser.steps import (
    AUTH_FAILED,
    MFA_HEADING,
    button,
    open_mfa_section,
    sign_in,
    sign_out,
    start_assigning,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Ask for an assertion by a chosen credential, as a tampered page could, and post it.
ASSERT_WITH = """async (credentialId) => {
  const b64 = t => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')
    + '==='.slice((t.length + 3) % 4)), c => c.charCodeAt(0)).buffer;
  const out = b => btoa(String.fromCharCode(...new Uint8Array(b)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const json = JSON.parse(document.getElementById('passkey-request-options').textContent);
  const credential = await navigator.credentials.get({publicKey: {
    challenge: b64(json.challenge), rpId: json.rpId,
    allowCredentials: [{type: 'public-key', id: b64(credentialId)}]}});
  const r = credential.response;
  const form = document.getElementById('passkey-form');
  form.querySelector('input[name=credential]').value = JSON.stringify({
    id: credential.id, rawId: out(credential.rawId), type: credential.type,
    clientExtensionResults: {}, response: {clientDataJSON: out(r.clientDataJSON),
    authenticatorData: out(r.authenticatorData), signature: out(r.signature)}});
  form.submit();
}"""


def add_virtual_authenticator(context: BrowserContext, page: Page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def register_passkey(page: Page, name: str) -> None:
    open_mfa_section(page)
    start_assigning(page, name, "Passkey or security key")
    expect(page.get_by_text(f"MFA device {name} has been assigned.")).to_be_visible()
    expect(page.get_by_role("cell", name=f":u2f/root/{name}-")).to_be_visible()


def test_a_passkey_is_registered_and_signs_in(page: Page, alice, signed_in) -> None:
    assert page.url == "about:blank" or "localhost" in page.url
    add_virtual_authenticator(page.context, page)
    signed_in(page.context, alice)
    register_passkey(page, "laptop")
    device = MFADevice.objects.get(owner=alice)
    assert device.kind == "passkey" and device.credential_id

    sign_out(page, alice.account_name)
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    expect(page.get_by_label("MFA code", exact=True)).to_have_count(0)
    button(page, "Use passkey or security key").click()
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    device.refresh_from_db()


def test_another_accounts_passkey_is_refused(page: Page, alice, mallory, signed_in) -> None:
    add_virtual_authenticator(page.context, page)
    signed_in(page.context, mallory)
    register_passkey(page, "mallorys-key")
    mallorys = MFADevice.objects.get(owner=mallory).credential_id
    sign_out(page, mallory.account_name)
    signed_in(page.context, alice)
    register_passkey(page, "alices-key")
    sign_out(page, alice.account_name)

    sign_in(page, alice.email)
    expect(button(page, "Use passkey or security key")).to_be_visible()
    page.evaluate(ASSERT_WITH, mallorys)
    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    # The refused attempt used up its challenge; the page's new one works with her own key.
    button(page, "Use passkey or security key").click()
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()


def test_without_javascript_the_passkey_option_says_it_needs_it(
    no_js_page: Page, alice, signed_in
) -> None:
    signed_in(no_js_page.context, alice)
    open_mfa_section(no_js_page)
    button(no_js_page, "Assign MFA device").click()
    expect(no_js_page.get_by_text(NEEDS_JAVASCRIPT)).to_be_visible()
    # Chosen all the same (the option cannot know the browser runs no script): the setup
    # page says it again, and shows no button that only a script could serve.
    no_js_page.get_by_label("Device name", exact=True).fill("key")
    no_js_page.get_by_label("Passkey or security key", exact=True).check()
    button(no_js_page, "Next").click()
    expect(no_js_page.get_by_role("heading", name="Set up passkey or security key")).to_be_visible()
    expect(no_js_page.get_by_text(NEEDS_JAVASCRIPT)).to_be_visible()
    expect(no_js_page.get_by_role("button", name="Try again")).to_be_hidden()
