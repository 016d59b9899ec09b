"""Usable by everyone: axe-core's rules in real Chromium on every page and dialog state, with
JavaScript and without; a name for every control in Chromium's own accessibility tree (what a
screen reader is given); and a live region that says what each action did.

axe-core needs timers and microtasks, which Chromium does not run at all in a page whose
JavaScript is disabled. So the pages "without JavaScript" are audited in a context that
blocks every script the console serves (the same HTML, none of it run), while the feedback
test without JavaScript uses conftest.py's truly JavaScript-disabled page.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from keys.models import AccessKey
from tests.browser.steps import (
    ACCESS_KEYS,
    AUTH_FAILED,
    CONFIRM_DELETE_LABEL,
    KEY_LIMIT,
    MFA_HEADING,
    MFA_SECTION,
    SECRET_GONE_HEADING,
    account_menu,
    button,
    create_access_key,
    create_dialog,
    delete_dialog,
    download_urls,
    expand_access_keys,
    expect_key_row,
    key_row,
    modal,
    open_access_keys,
    open_mfa_section,
    show_access_key,
    sign_in,
    sign_out,
    totp_code,
)
from tests.factories import PASSWORD, make_access_key

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AXE_SCRIPT = Axe().axe_script
BLOCKING_IMPACTS = {"serious", "critical"}
# Chromium's roles for controls: each needs a name, whether or not it can take focus now.
CONTROL_ROLES = {
    "button",
    "link",
    "textbox",
    "searchbox",
    "checkbox",
    "radio",
    "combobox",
    "listbox",
    "menuitem",
    "tab",
    "switch",
    "slider",
    "spinbutton",
    "DisclosureTriangle",  # <summary>
}
# Focusable without being a control: the document, and <main> as the skip link's target.
FOCUSABLE_WITHOUT_NAME = {"RootWebArea", "main"}
# CSS decorations (a summary's "+" or "▾", a "|" between actions) that must not be read out.
DECORATION = re.compile(r"^[+−▾|]\s|\s[+−▾|]$|^[+−▾|]$")


class Audit:
    """Every serious or critical axe violation and every nameless control, state by state,
    gathered so that one run reports all of them."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.problems: list[str] = []
        self.states: list[str] = []

    def check(self, state: str) -> None:
        self.states.append(state)
        for violation in self._axe_violations():
            if violation["impact"] not in BLOCKING_IMPACTS:
                continue
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
            self.problems.append(
                f"[{state}] {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    targets: {targets}\n    {violation['helpUrl']}"
            )
        for node in self._tree():
            role, name = node["role"], node["name"]
            if role in CONTROL_ROLES or (node["focusable"] and role not in FOCUSABLE_WITHOUT_NAME):
                if not name.strip():
                    self.problems.append(f"[{state}] {role} without a name: {self._html(node)}")
                elif DECORATION.search(name):
                    self.problems.append(f"[{state}] {role} named with a decoration: {name!r}")

    def _axe_violations(self) -> list[dict]:
        # Inject axe-core once a document, not again on every state of the same page.
        if self.page.evaluate("typeof window.axe") == "undefined":
            self.page.evaluate(AXE_SCRIPT)
        return self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]

    def names(self, role: str) -> list[str]:
        return [node["name"] for node in self._tree() if node["role"] == role]

    def assert_clean(self) -> None:
        if self.problems:
            raise AssertionError(
                f"{len(self.problems)} accessibility problem(s) in {len(self.states)} states:\n"
                + "\n".join(self.problems)
            )

    def _tree(self) -> list[dict]:
        nodes = []
        for node in self.cdp.send("Accessibility.getFullAXTree")["nodes"]:
            if node.get("ignored"):
                continue  # not exposed to assistive technology (hidden, or inert behind a modal)
            properties = {
                prop["name"]: prop["value"].get("value") for prop in node.get("properties", [])
            }
            nodes.append(
                {
                    "role": node.get("role", {}).get("value", ""),
                    "name": str(node.get("name", {}).get("value", "")),
                    "focusable": bool(properties.get("focusable")),
                    "backend_id": node.get("backendDOMNodeId"),
                }
            )
        return nodes

    def _html(self, node: dict) -> str:
        if node["backend_id"] is None:
            return "(no DOM node)"
        described = self.cdp.send("DOM.describeNode", {"backendNodeId": node["backend_id"]})
        attributes = described["node"].get("attributes", [])
        pairs = " ".join(
            f'{name}="{value}"'
            for name, value in zip(attributes[::2], attributes[1::2], strict=True)
        )
        return f"<{described['node']['localName']} {pairs}>"


def walk_every_state(page: Page, alice, audit: Audit, *, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    """Sign in, then every page and dialog state of the console, each one audited."""
    page.goto("/signin")
    audit.check("Sign in: email address")
    button(page, "Next").click()
    expect(page.get_by_label("Root user email address")).to_have_attribute("aria-invalid", "true")
    audit.check("Sign in: email address, left empty")
    page.get_by_label("Root user email address", exact=True).fill(alice.email)
    button(page, "Next").click()
    audit.check("Sign in: password")
    page.get_by_label("Password", exact=True).fill("not her password")
    button(page, "Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    audit.check("Sign in: password, with the error")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    button(page, "Sign in").click()
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    audit.check("IAM Dashboard")

    account_menu(page, alice.account_name).click()
    expect(page.get_by_role("link", name="My Security Credentials")).to_be_visible()
    audit.check("account menu open")
    page.get_by_role("link", name="My Security Credentials", exact=True).click()
    expect(button(page, "Continue to Security Credentials")).to_be_visible()
    audit.check("root-credentials warning")
    button(page, "Continue to Security Credentials").click()
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    audit.check("Your Security Credentials, collapsed")
    expand_access_keys(page)
    audit.check("Access keys expanded, no keys")
    assert audit.names("DisclosureTriangle") == [
        alice.account_name,
        "Password",
        MFA_SECTION,
        ACCESS_KEYS,
    ]

    dialog = create_access_key(page)
    if javascript:
        expect(modal(page, dialog)).to_be_visible()
    audit.check("Create Access Key, secret hidden")
    first_id, _ = show_access_key(page)
    audit.check("Create Access Key, secret shown")
    button(create_dialog(page), "Close").click()
    expect(create_dialog(page)).to_have_count(0)
    expect_key_row(page, first_id, status="Active")
    audit.check("Access keys, one key")
    button(create_access_key(page), "Close").click()
    expect(create_dialog(page)).to_have_count(0)
    expect(page.get_by_text(KEY_LIMIT, exact=True)).to_be_visible()
    audit.check("Access keys, two keys at the limit")

    button(key_row(page, first_id), "Delete").click()
    dialog = delete_dialog(page)
    expect(modal(page, dialog) if javascript else dialog).to_be_visible()
    audit.check("Delete Access Key")
    dialog.get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill("AKIANOTTHISONEATALL2")
    button(dialog, "Delete").click()
    expect(delete_dialog(page).get_by_text("does not match")).to_be_visible()
    if javascript:
        expect(modal(page, delete_dialog(page))).to_be_visible()
    audit.check("Delete Access Key, with the wrong ID")
    button(delete_dialog(page), "Cancel").click()
    expect(delete_dialog(page)).to_have_count(0)

    if javascript:  # the same HTML either way, with nothing that JavaScript changes
        page.goto("/iam/event_history")
        expect(page.get_by_role("cell", name="Sign in", exact=True).first).to_be_visible()
        audit.check("Event history")
        page.goto("/iam/users")
        audit.check("IAM users")
        response = page.goto("/iam/no-such-page")
        assert response is not None and response.status == 404
        audit.check("404")
    response = page.goto(download_urls(first_id)[0])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name=SECRET_GONE_HEADING, level=1)).to_be_visible()
    audit.check("410, the secret can no longer be retrieved")


def test_every_page_and_dialog_with_javascript(page: Page, alice) -> None:
    audit = Audit(page)
    walk_every_state(page, alice, audit, javascript=True)
    assert len(audit.states) == 19
    audit.assert_clean()


def test_every_page_and_dialog_without_javascript(new_context, alice) -> None:  # type: ignore[no-untyped-def]
    page = new_context().new_page()
    audit = Audit(page)
    # Blocked in the browser itself: a route would cost a round trip to Python per script.
    audit.cdp.send("Network.enable")
    audit.cdp.send("Network.setBlockedURLs", {"urls": ["*.js"]})
    walk_every_state(page, alice, audit, javascript=False)
    assert len(audit.states) == 16
    assert page.evaluate("typeof htmx") == "undefined", "no script of the console ran"
    audit.assert_clean()


def walk_every_mfa_state(page: Page, alice, audit: Audit, *, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    """The Password and MFA sections, the Assign MFA device wizard, Remove, and the
    sign-in's MFA step, each state audited."""
    from accounts.mfa.services import mfa_device_create_passkey

    page.goto("/iam/security_credentials")
    page.get_by_text("Password", exact=True).click()
    expect(page.get_by_label("Current password", exact=True)).to_be_visible()
    audit.check("Password section")
    page.get_by_label("Current password", exact=True).fill("not her password")
    page.get_by_label("New password", exact=True).fill("weak")
    page.get_by_label("Confirm new password", exact=True).fill("other")
    button(page, "Change password").click()
    expect(page.get_by_label("Current password", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    audit.check("Password section, with errors")

    open_mfa_section(page)
    audit.check("MFA section, no devices")
    button(page, "Assign MFA device").click()
    audit.check("Assign MFA device")
    button(page, "Next").click()
    expect(page.get_by_label("Device name", exact=True)).to_have_attribute("aria-invalid", "true")
    audit.check("Assign MFA device, name left empty")
    page.get_by_label("Device name", exact=True).fill("phone")
    button(page, "Next").click()
    audit.check("Authenticator app")
    button(page, "Show QR code").click()
    audit.check("Authenticator app, QR code")
    button(page, "Show secret key").click()
    secret = page.locator("#secret-key code").inner_text().strip()
    audit.check("Authenticator app, secret key")
    page.get_by_label("MFA code 1", exact=True).fill("123456")
    page.get_by_label("MFA code 2", exact=True).fill("654321")
    button(page, "Add MFA").click()
    expect(page.get_by_role("alert")).to_contain_text("The MFA codes were not accepted.")
    audit.check("Authenticator app, codes refused")
    page.get_by_label("MFA code 1", exact=True).fill(totp_code(secret, -1))
    page.get_by_label("MFA code 2", exact=True).fill(totp_code(secret, 0))
    button(page, "Add MFA").click()
    expect(page.get_by_role("cell", name=":mfa/phone")).to_be_visible()
    audit.check("MFA section, one device")
    page.get_by_role("row").filter(has_text=":mfa/phone").get_by_role(
        "button", name="Remove"
    ).click()
    dialog = page.get_by_role("dialog", name="Remove MFA device?")
    expect(modal(page, dialog) if javascript else dialog).to_be_visible()
    audit.check("Remove MFA device?")
    button(dialog, "Cancel").click()

    mfa_device_create_passkey(
        owner=alice, name="key", credential_id="Y3JlZA", public_key=b"k", sign_count=0
    )
    sign_out(page, alice.account_name)
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    audit.check("Multi-factor authentication")
    page.get_by_label("MFA code", exact=True).fill("000000")
    button(page, "Submit").click()
    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    audit.check("Multi-factor authentication, wrong code")
    button(page, "Try another MFA method").click()
    expect(button(page, "Use passkey or security key")).to_be_visible()
    audit.check("Multi-factor authentication, passkey")


def test_the_mfa_pages_with_javascript(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice)
    audit = Audit(page)
    walk_every_mfa_state(page, alice, audit, javascript=True)
    assert len(audit.states) == 14
    audit.assert_clean()


def test_the_mfa_pages_without_javascript(new_context, alice, signed_in) -> None:  # type: ignore[no-untyped-def]
    context = new_context()
    signed_in(context, alice)
    page = context.new_page()
    audit = Audit(page)
    audit.cdp.send("Network.enable")
    audit.cdp.send("Network.setBlockedURLs", {"urls": ["*.js"]})
    walk_every_mfa_state(page, alice, audit, javascript=False)
    assert len(audit.states) == 14
    audit.assert_clean()


def say_what_happened(page: Page, alice, *, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    """Each action on a key, and what the live region says after it."""
    status = page.locator("#flash")
    expect(status).to_have_attribute("role", "status")
    if javascript:
        # Screen readers announce changes inside a live region they know, not a new one.
        page.evaluate("document.getElementById('flash').keptAcrossSwaps = true")

    button(create_access_key(page), "Close").click()
    access_key_id = AccessKey.objects.for_owner(alice).get().access_key_id
    expect(status).to_have_text(f"Access key {access_key_id} has been created.")

    button(key_row(page, access_key_id), "Make Inactive").click()
    expect(status).to_have_text(f"Access key {access_key_id} is now inactive.")
    button(key_row(page, access_key_id), "Make Active").click()
    expect(status).to_have_text(f"Access key {access_key_id} is now active.")

    # An error says what went wrong and what to do next, beside the field and in the region.
    button(key_row(page, access_key_id), "Delete").click()
    button(delete_dialog(page), "Delete").click()
    field = delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL, exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "Type the access key ID shown above to confirm deletion."
    )
    expect(status).to_have_text(
        f"Access key {access_key_id} was not deleted: type its access key ID in the field to "
        "confirm."
    )
    field.fill(access_key_id.lower())
    button(delete_dialog(page), "Delete").click()
    expect(delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL)).to_have_accessible_description(
        "The access key ID you entered does not match. Type it exactly as shown above."
    )
    delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill(access_key_id)
    button(delete_dialog(page), "Delete").click()
    expect(status).to_have_text(f"Access key {access_key_id} has been deleted.")

    # Two keys made elsewhere (another browser, the API) while this page still offers Create.
    make_access_key(alice)
    make_access_key(alice)
    button(page, "Create New Access Key").click()
    expect(status).to_have_text(re.compile(r"^No access key was created: you already have two\."))
    expect(status).to_contain_text("Delete one")
    expect(button(page, "Create New Access Key")).to_be_disabled()

    if javascript:
        assert page.evaluate("document.getElementById('flash').keptAcrossSwaps") is True


def test_every_action_says_what_happened_with_javascript(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice)
    open_access_keys(page)
    say_what_happened(page, alice, javascript=True)


def test_every_action_says_what_happened_without_javascript(
    no_js_page: Page, alice, signed_in
) -> None:
    signed_in(no_js_page.context, alice)
    open_access_keys(no_js_page)
    say_what_happened(no_js_page, alice, javascript=False)
