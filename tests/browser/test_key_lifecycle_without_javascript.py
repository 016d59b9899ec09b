"""The same lifecycle with JavaScript disabled: plain forms and full pages, the account menu
as a <details>, the dialogs rendered as sections of the page, and the access-key section
shown open again after every action on a key."""

import re

import pytest
from playwright.sync_api import Page, expect

from keys.models import AccessKey
from tests.browser.steps import (
    CONFIRM_DELETE_LABEL,
    KEY_LIMIT,
    account_menu,
    button,
    continue_past_warning,
    create_access_key,
    create_dialog,
    delete_dialog,
    download,
    download_urls,
    expect_access_keys_open,
    expect_key_row,
    expect_secret_gone,
    key_row,
    modal,
    open_access_keys,
    open_my_security_credentials,
    show_access_key,
    sign_in,
)
from tests.factories import make_access_key

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_account_menu_is_a_details_element(no_js_page: Page, alice) -> None:
    page = no_js_page
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    menu = account_menu(page, alice.account_name)
    assert menu.evaluate("summary => [summary.tagName, summary.parentElement.tagName]") == [
        "SUMMARY",
        "DETAILS",
    ]
    expect(page.get_by_role("link", name="My Security Credentials")).to_be_hidden()

    open_my_security_credentials(page, alice.account_name)
    continue_past_warning(page)
    account_menu(page, alice.account_name).click()
    button(page, "Sign Out").click()

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.goto("/iam/security_credentials")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_create_show_download_and_close_without_javascript(
    no_js_page: Page, alice, signed_in
) -> None:
    page = no_js_page
    signed_in(page.context, alice)
    open_access_keys(page)

    dialog = create_access_key(page)

    expect(page).to_have_url(re.compile(r"/access-keys/AKIA[A-Z2-7]{16}/created(#.*)?$"))
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    expect(dialog).to_be_visible()
    expect(modal(page, dialog)).to_have_count(0)  # a section of the page
    access_key_id, secret = show_access_key(page)
    assert AccessKey.objects.get(pk=access_key_id).secret_access_key() == secret
    dialog = create_dialog(page)

    filename, rows = download(page, dialog, "Download Key File")
    assert filename == "rootkey.csv"
    assert rows == [["Access key ID", "Secret access key"], [access_key_id, secret]]
    _, rows = download(page, dialog, "Download for AWS CLI")
    assert rows[0] == ["User Name", "Access key ID", "Secret access key"]
    assert rows[1][1:] == [access_key_id, secret]

    button(dialog, "Close").click()

    expect_access_keys_open(page)
    expect(create_dialog(page)).to_have_count(0)
    expect_key_row(page, access_key_id, status="Active")
    assert secret not in page.content()
    expect_secret_gone(page, access_key_id, secret)
    response = page.goto(download_urls(access_key_id)[0])
    assert response is not None and response.status == 410
    assert secret not in page.content()

    # The second key is the last one.
    page.go_back()
    expect_access_keys_open(page)
    dialog = create_access_key(page)
    button(dialog, "Close").click()
    expect_access_keys_open(page)
    expect(button(page, "Create New Access Key")).to_be_disabled()
    expect(page.get_by_text(KEY_LIMIT, exact=True)).to_be_visible()


def test_make_inactive_make_active_and_delete_without_javascript(
    no_js_page: Page, alice, signed_in
) -> None:
    page = no_js_page
    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)

    button(key_row(page, access_key_id), "Make Inactive").click()
    expect_access_keys_open(page)
    expect_key_row(page, access_key_id, status="Inactive")

    button(key_row(page, access_key_id), "Make Active").click()
    expect_access_keys_open(page)
    expect_key_row(page, access_key_id, status="Active")

    button(key_row(page, access_key_id), "Delete").click()
    dialog = delete_dialog(page)
    expect(dialog).to_be_visible()
    expect(
        dialog.get_by_text(f"Are you sure you want to delete the access key {access_key_id}?")
    ).to_be_visible()
    button(dialog, "Cancel").click()
    expect_access_keys_open(page)
    expect(delete_dialog(page)).to_have_count(0)

    button(key_row(page, access_key_id), "Delete").click()
    delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill(access_key_id[:-1])
    button(delete_dialog(page), "Delete").click()
    expect(
        delete_dialog(page).get_by_text("The access key ID you entered does not match.")
    ).to_be_visible()
    assert AccessKey.objects.filter(pk=access_key_id).exists()

    delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill(access_key_id)
    button(delete_dialog(page), "Delete").click()

    expect_access_keys_open(page)
    expect(key_row(page, access_key_id)).to_have_count(0)
    assert not AccessKey.objects.filter(pk=access_key_id).exists()


def test_a_second_click_on_create_lands_on_a_disabled_button(
    no_js_page: Page, alice, signed_in
) -> None:
    """Without JavaScript a quick second click can land on the page the first one brought,
    where the dialog is a section of the page: Create New Access Key is disabled there, as
    it is behind the modal dialog with JavaScript, so it cannot make a second key and take
    the first one's window. (Two sends of one page's form: tests/keys/test_concurrency.py.)"""
    page = no_js_page
    signed_in(page.context, alice)
    open_access_keys(page)
    create_access_key(page)
    expect(button(page, "Create New Access Key")).to_be_disabled()
    access_key_id, secret = show_access_key(page)
    expect(button(page, "Create New Access Key")).to_be_disabled()
    (key,) = AccessKey.objects.for_owner(alice)
    assert (key.access_key_id, key.secret_access_key()) == (access_key_id, secret)
    button(create_dialog(page), "Close").click()
    expect(button(page, "Create New Access Key")).to_be_enabled()
