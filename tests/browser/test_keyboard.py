"""The console by keyboard alone, with JavaScript: Tab, Shift+Tab, Enter, Space and Escape,
never a click. Focus is always visible, stays inside an open dialog, and comes back to the
control that opened it (or, once htmx has re-rendered the section, to its equivalent)."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from keys.models import AccessKey
from tests.browser.steps import (
    ACCESS_KEYS,
    CONFIRM_DELETE_LABEL,
    CREDENTIALS_PATH,
    account_menu,
    button,
    create_dialog,
    delete_dialog,
    download_urls,
    expect_access_keys_open,
    expect_key_row,
    key_row,
    modal,
)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TABBABLE = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), summary, "
    "[tabindex]:not([tabindex='-1'])"
)


def focused(page: Page) -> str:
    """The focused element, in words, for failure messages."""
    return page.evaluate(
        """() => { const e = document.activeElement;
        return e ? `<${e.tagName.toLowerCase()}> ${(e.getAttribute('aria-label') || e.textContent
          || e.value || '').trim().slice(0, 60)}` : 'nothing'; }"""
    )


def has_focus(control: Locator) -> bool:
    return control.evaluate("element => element === document.activeElement")


def tab_to(page: Page, control: Locator, *, backwards: bool = False, limit: int = 30) -> None:
    """Press Tab (or Shift+Tab) until the control has focus, as a person would."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if has_focus(control):
            expect_visible_focus(page)
            return
    raise AssertionError(f"{limit} presses never reached {control}; focus is on {focused(page)}")


def expect_visible_focus(page: Page) -> None:
    """The focused control shows a solid outline of at least 2px, at 3:1 or more against the
    background behind it (WCAG 2.4.7 and 1.4.11)."""
    style, width, contrast = page.evaluate(
        """() => {
        const element = document.activeElement, style = getComputedStyle(element);
        const rgb = color => color.match(/[\\d.]+/g).slice(0, 4).map(Number);
        const luminance = ([r, g, b]) => {
          const channel = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        };
        let behind = element.parentElement;
        while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] ?? 1) === 0) {
          behind = behind.parentElement;
        }
        const background = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
        const [light, dark] = [luminance(rgb(style.outlineColor)), luminance(background)]
          .sort((a, b) => b - a);
        return [style.outlineStyle, parseFloat(style.outlineWidth), (light + 0.05) / (dark + 0.05)];
      }"""
    )
    where = focused(page)
    assert style not in ("none", "hidden"), f"no focus outline on {where}"
    assert width >= 2, f"a {width}px focus outline on {where}"
    assert contrast >= 3, f"a focus outline at {contrast:.2f}:1 on {where}"


def expect_focus_cycles_inside(page: Page, dialog: Locator) -> None:
    """Tab and Shift+Tab go round the dialog's controls and never leave it."""
    where = dialog.evaluate(
        f"""dialog => {{
        const controls = [...dialog.querySelectorAll({TABBABLE!r})]
          .filter(control => control.getClientRects().length > 0);
        return [controls.indexOf(document.activeElement), controls.length];
      }}"""
    )
    position, count = where
    assert position >= 0 and count >= 2, f"focus is on {focused(page)}, outside the dialog"
    for key, step in (("Tab", 1), ("Shift+Tab", -1)):
        for _ in range(count + 1):  # once round, and one more to see it wrap
            page.keyboard.press(key)
            position = (position + step) % count
            index = dialog.evaluate(
                f"""dialog => [...dialog.querySelectorAll({TABBABLE!r})]
                  .filter(control => control.getClientRects().length > 0)
                  .indexOf(document.activeElement)"""
            )
            assert index == position, f"{key} left the dialog's cycle: focus is on {focused(page)}"
            expect_visible_focus(page)


def test_the_whole_key_lifecycle_by_keyboard_alone(page: Page, alice) -> None:
    # Sign in: each step's field has focus when its page opens.
    page.goto("/signin")
    expect(page.get_by_label("Root user email address", exact=True)).to_be_focused()
    page.keyboard.type(alice.email)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()

    # The account menu, My Security Credentials, the warning.
    menu = account_menu(page, alice.account_name)
    tab_to(page, menu)
    page.keyboard.press("Enter")
    my_credentials = page.get_by_role("link", name="My Security Credentials", exact=True)
    expect(my_credentials).to_be_visible()
    tab_to(page, my_credentials)
    page.keyboard.press("Enter")
    tab_to(page, button(page, "Continue to Security Credentials"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()

    # Expand the access keys; Create New Access Key opens the dialog with focus inside it.
    tab_to(page, page.get_by_text(ACCESS_KEYS, exact=True))
    page.keyboard.press("Enter")
    expect_access_keys_open(page)
    create = button(page, "Create New Access Key")
    tab_to(page, create)
    page.keyboard.press("Enter")
    dialog = create_dialog(page)
    expect(modal(page, dialog)).to_be_visible()
    expect(button(dialog, "Show Access Key")).to_be_focused()
    expect_visible_focus(page)
    page.keyboard.press("Space")
    expect(button(dialog, "Hide Access Key")).to_be_focused()
    access_key_id, secret = (
        text.strip() for text in dialog.get_by_role("definition").all_inner_texts()
    )
    assert AccessKey.objects.get(pk=access_key_id).secret_access_key() == secret

    tab_to(page, button(dialog, "Download Key File"))
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert rows == [["Access key ID", "Secret access key"], [access_key_id, secret]]

    tab_to(page, button(dialog, "Close"))
    page.keyboard.press("Enter")
    expect(create_dialog(page)).to_have_count(0)
    expect(create).to_be_focused()
    status = page.get_by_role("status")
    expect(status).to_have_text(f"Access key {access_key_id} has been created.")
    expect_key_row(page, access_key_id, status="Active")

    # Make Inactive, Make Active: focus stays on the row's toggle, re-rendered in place.
    row = key_row(page, access_key_id)
    tab_to(page, button(row, "Make Inactive"), backwards=True)
    page.keyboard.press("Enter")
    expect(status).to_have_text(f"Access key {access_key_id} is now inactive.")
    expect(button(row, "Make Active")).to_be_focused()
    expect_key_row(page, access_key_id, status="Inactive")
    page.keyboard.press("Enter")
    expect(status).to_have_text(f"Access key {access_key_id} is now active.")
    expect(button(row, "Make Inactive")).to_be_focused()

    # Delete with the ID typed; focus lands on Create New Access Key, available again.
    tab_to(page, button(row, "Delete"))
    page.keyboard.press("Enter")
    dialog = delete_dialog(page)
    expect(modal(page, dialog)).to_be_visible()
    expect(dialog.get_by_label(CONFIRM_DELETE_LABEL, exact=True)).to_be_focused()
    page.keyboard.type(access_key_id)
    tab_to(page, button(dialog, "Delete"))
    page.keyboard.press("Enter")
    expect(delete_dialog(page)).to_have_count(0)
    expect(status).to_have_text(f"Access key {access_key_id} has been deleted.")
    expect(key_row(page, access_key_id)).to_have_count(0)
    expect(create).to_be_focused()
    assert not AccessKey.objects.filter(pk=access_key_id).exists()

    # Sign Out.
    tab_to(page, menu, backwards=True)
    page.keyboard.press("Enter")
    tab_to(page, button(page, "Sign Out"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_dialogs_keep_focus_close_with_escape_and_give_it_back(
    page: Page, alice, signed_in
) -> None:
    signed_in(page.context, alice)
    page.goto(CREDENTIALS_PATH + "?expanded=access-keys")
    expect_access_keys_open(page)

    # Escape on the account menu closes it, focus back on its name.
    menu = account_menu(page, alice.account_name)
    tab_to(page, menu)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="My Security Credentials")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="My Security Credentials")).to_be_hidden()
    expect(menu).to_be_focused()

    # Create Access Key: focus cycles inside; Escape is the server's Close.
    create = button(page, "Create New Access Key")
    tab_to(page, create)
    page.keyboard.press("Enter")
    dialog = create_dialog(page)
    expect(modal(page, dialog)).to_be_visible()
    expect_focus_cycles_inside(page, dialog)
    access_key_id = AccessKey.objects.for_owner(alice).get().access_key_id
    page.keyboard.press("Escape")
    expect(create_dialog(page)).to_have_count(0)
    expect(create).to_be_focused()
    for url in download_urls(access_key_id):
        assert page.request.get(url).status == 410, url

    # Delete Access Key: Escape, Cancel, and Escape after a wrong ID all keep the key and
    # give focus back to the row's Delete.
    delete = button(key_row(page, access_key_id), "Delete")
    tab_to(page, delete, backwards=True)
    page.keyboard.press("Enter")
    dialog = delete_dialog(page)
    expect(modal(page, dialog)).to_be_visible()
    field = dialog.get_by_label(CONFIRM_DELETE_LABEL, exact=True)
    expect(field).to_be_focused()
    expect_focus_cycles_inside(page, dialog)
    page.keyboard.press("Escape")
    expect(delete_dialog(page)).to_have_count(0)
    expect(delete).to_be_focused()

    page.keyboard.press("Enter")
    expect(modal(page, delete_dialog(page))).to_be_visible()
    tab_to(page, button(delete_dialog(page), "Cancel"))
    page.keyboard.press("Space")
    expect(delete_dialog(page)).to_have_count(0)
    expect(delete).to_be_focused()

    page.keyboard.press("Enter")
    expect(modal(page, delete_dialog(page))).to_be_visible()
    page.keyboard.type("AKIANOTTHISONEATALL2")
    page.keyboard.press("Enter")
    expect(delete_dialog(page).get_by_text("does not match")).to_be_visible()
    expect(modal(page, delete_dialog(page))).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect_focus_cycles_inside(page, delete_dialog(page))
    page.keyboard.press("Escape")
    expect(delete_dialog(page)).to_have_count(0)
    expect(delete).to_be_focused()
    assert AccessKey.objects.filter(pk=access_key_id).exists()

    # At the limit the Create button that opened the dialog is disabled: focus goes to the
    # table that holds the new key.
    tab_to(page, create)
    page.keyboard.press("Enter")
    expect(modal(page, create_dialog(page))).to_be_visible()
    page.keyboard.press("Escape")
    expect(create_dialog(page)).to_have_count(0)
    expect(create).to_be_disabled()
    expect(page.get_by_role("region", name="Access keys")).to_be_focused()
    expect_visible_focus(page)


def test_the_mfa_wizard_the_mfa_step_and_remove_by_keyboard_alone(
    page: Page, alice, signed_in
) -> None:
    from accounts.models import MFADevice
    from tests.browser.steps import MFA_HEADING, MFA_SECTION, totp_code

    signed_in(page.context, alice)
    page.goto(CREDENTIALS_PATH)
    page.wait_for_load_state()
    tab_to(page, page.get_by_text(MFA_SECTION, exact=True))
    page.keyboard.press("Enter")
    tab_to(page, button(page, "Assign MFA device"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Device name", exact=True)).to_be_focused()
    page.keyboard.type("phone")
    tab_to(page, page.get_by_label("Authenticator app", exact=True))
    expect(page.get_by_label("Authenticator app", exact=True)).to_be_checked()
    tab_to(page, button(page, "Next"))
    page.keyboard.press("Enter")
    tab_to(page, button(page, "Show secret key"))
    page.keyboard.press("Enter")
    secret = page.locator("#secret-key code").inner_text().strip()
    tab_to(page, page.get_by_label("MFA code 1", exact=True))
    page.keyboard.type(totp_code(secret, -1))
    tab_to(page, page.get_by_label("MFA code 2", exact=True))
    page.keyboard.type(totp_code(secret, 0))
    tab_to(page, button(page, "Add MFA"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("cell", name=":mfa/phone")).to_be_visible()
    assert MFADevice.objects.filter(owner=alice).count() == 1

    # Sign out and back in: the MFA code field has focus when the step opens.
    menu = account_menu(page, alice.account_name)
    tab_to(page, menu, backwards=True)
    page.keyboard.press("Enter")
    tab_to(page, button(page, "Sign Out"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Root user email address", exact=True)).to_be_focused()
    page.keyboard.type(alice.email)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    expect(page.get_by_label("MFA code", exact=True)).to_be_focused()
    page.keyboard.type(totp_code(secret, +1))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()

    # Remove: the confirmation is modal and keeps focus until it is answered.
    page.goto(CREDENTIALS_PATH)  # a new session: the warning first
    tab_to(page, button(page, "Continue to Security Credentials"))
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    tab_to(page, page.get_by_text(MFA_SECTION, exact=True))
    page.keyboard.press("Enter")
    row = page.get_by_role("row").filter(has_text=":mfa/phone")
    tab_to(page, button(row, "Remove"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Remove MFA device?")
    expect(modal(page, dialog)).to_be_visible()
    expect_focus_cycles_inside(page, dialog)
    tab_to(page, button(dialog, "Remove"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("MFA device phone has been removed.")).to_be_visible()
    assert not MFADevice.objects.filter(owner=alice).exists()
