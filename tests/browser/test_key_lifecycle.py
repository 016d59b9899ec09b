"""An access key's whole life in a real browser with JavaScript: htmx swaps the access-key
section in place and the dialogs open as modal <dialog>s, without leaving the page."""

import re

import pytest
from playwright.sync_api import Page, expect

from keys.models import AccessKey
from tests.browser.steps import (
    CONFIRM_DELETE_LABEL,
    KEY_LIMIT,
    button,
    create_access_key,
    create_dialog,
    delete_dialog,
    download,
    download_urls,
    expect_key_row,
    expect_secret_gone,
    key_row,
    modal,
    open_access_keys,
    show_access_key,
    sign_in_to_access_keys,
)
from tests.factories import make_access_key

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ACCESS_KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")
SECRET = re.compile(r"[A-Za-z0-9+/]{40}")


def test_a_new_key_is_shown_and_downloaded_in_place_until_close(page: Page, alice) -> None:
    sign_in_to_access_keys(page, alice.email, alice.account_name)
    page_url = page.url
    expect(page.get_by_text("Root user access keys are not recommended.")).to_be_visible()
    expect(page.get_by_role("region", name="Account identifiers")).to_contain_text(alice.account_id)

    dialog = create_access_key(page)

    assert page.url == page_url, "the dialog opens in place"
    expect(modal(page, dialog)).to_be_visible()
    access_key_id, secret = show_access_key(page)
    assert ACCESS_KEY_ID.fullmatch(access_key_id)
    assert SECRET.fullmatch(secret)
    assert AccessKey.objects.get(pk=access_key_id).secret_access_key() == secret
    expect(button(dialog, "Hide Access Key")).to_be_visible()

    filename, rows = download(page, dialog, "Download Key File")
    assert filename == "rootkey.csv"
    assert rows == [["Access key ID", "Secret access key"], [access_key_id, secret]]
    # Any number of times while the window is open.
    assert download(page, dialog, "Download Key File")[1] == rows

    filename, rows = download(page, dialog, "Download for AWS CLI")
    assert filename.endswith(".csv")
    header, (profile, cli_key_id, cli_secret) = rows
    assert header == ["User Name", "Access key ID", "Secret access key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", profile), "a profile name the AWS CLI accepts"
    assert (cli_key_id, cli_secret) == (access_key_id, secret)

    # While the window is open the server answers with the secret, never to be cached.
    response = page.request.get(download_urls(access_key_id)[0])
    assert response.status == 200
    assert "no-store" in response.headers["cache-control"]

    button(dialog, "Close").click()

    expect(create_dialog(page)).to_have_count(0)
    assert page.url == page_url
    expect_key_row(page, access_key_id, status="Active")
    assert secret not in page.content()
    expect_secret_gone(page, access_key_id, secret)


def test_escape_closes_the_create_dialog_and_ends_the_window(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice)
    open_access_keys(page)
    dialog = create_access_key(page)
    access_key_id, secret = show_access_key(page)
    expect(modal(page, dialog)).to_be_visible()

    page.keyboard.press("Escape")

    expect(create_dialog(page)).to_have_count(0)
    expect_key_row(page, access_key_id, status="Active")
    assert secret not in page.content()
    expect_secret_gone(page, access_key_id, secret)


def test_a_second_key_is_the_last_one(page: Page, alice, signed_in) -> None:
    first = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    expect(button(page, "Create New Access Key")).to_be_enabled()
    expect(page.get_by_text(KEY_LIMIT, exact=True)).to_have_count(0)

    dialog = create_access_key(page)
    second, _ = show_access_key(page)
    button(dialog, "Close").click()

    expect_key_row(page, first, status="Active")
    expect_key_row(page, second, status="Active")
    expect(button(page, "Create New Access Key")).to_be_disabled()
    expect(page.get_by_text(KEY_LIMIT, exact=True)).to_be_visible()
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_make_inactive_and_make_active_take_effect_at_once(page: Page, alice, signed_in) -> None:
    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    expect_key_row(page, access_key_id, status="Active")

    button(key_row(page, access_key_id), "Make Inactive").click()

    expect_key_row(page, access_key_id, status="Inactive")
    assert AccessKey.objects.get(pk=access_key_id).status == "Inactive"

    button(key_row(page, access_key_id), "Make Active").click()

    expect_key_row(page, access_key_id, status="Active")
    assert AccessKey.objects.get(pk=access_key_id).status == "Active"


def test_cancel_and_escape_close_the_delete_dialog_and_keep_the_key(
    page: Page, alice, signed_in
) -> None:
    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)

    button(key_row(page, access_key_id), "Delete").click()
    expect(delete_dialog(page)).to_be_visible()
    button(delete_dialog(page), "Cancel").click()
    expect(delete_dialog(page)).to_have_count(0)

    button(key_row(page, access_key_id), "Delete").click()
    expect(modal(page, delete_dialog(page))).to_be_visible()
    page.keyboard.press("Escape")
    expect(delete_dialog(page)).to_have_count(0)

    expect_key_row(page, access_key_id, status="Active")
    assert AccessKey.objects.filter(pk=access_key_id).exists()


def test_delete_needs_the_access_key_id_typed(page: Page, alice, signed_in) -> None:
    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    page_url = page.url

    button(key_row(page, access_key_id), "Delete").click()

    dialog = delete_dialog(page)
    expect(dialog).to_be_visible()
    expect(modal(page, dialog)).to_be_visible()
    assert page.url == page_url
    expect(
        dialog.get_by_text(f"Are you sure you want to delete the access key {access_key_id}?")
    ).to_be_visible()
    expect(dialog.get_by_text("This access key is Active.")).to_be_visible()

    dialog.get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill("AKIANOTTHISONEATALL2")
    button(dialog, "Delete").click()

    expect(dialog.get_by_text("The access key ID you entered does not match.")).to_be_visible()
    assert AccessKey.objects.filter(pk=access_key_id).exists()

    dialog.get_by_label(CONFIRM_DELETE_LABEL, exact=True).fill(access_key_id)
    button(dialog, "Delete").click()

    expect(delete_dialog(page)).to_have_count(0)
    expect(key_row(page, access_key_id)).to_have_count(0)
    assert not AccessKey.objects.filter(pk=access_key_id).exists()
    expect(button(page, "Create New Access Key")).to_be_enabled()


def test_a_key_deleted_elsewhere_is_said_gone_in_place(page: Page, alice, signed_in) -> None:
    kept = make_access_key(alice).access_key.access_key_id
    gone = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    AccessKey.objects.filter(pk=gone).delete()  # in another browser, or through the API
    button(key_row(page, gone), "Make Inactive").click()
    expect(page.get_by_text("That access key was not found", exact=False)).to_be_visible()
    expect(key_row(page, gone)).to_have_count(0)
    expect_key_row(page, kept, status="Active")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_a_key_action_after_signing_out_elsewhere_goes_to_sign_in(
    page: Page, alice, signed_in
) -> None:
    from django.contrib.sessions.models import Session

    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    Session.objects.all().delete()  # Sign Out in another tab ends the session on the server
    button(key_row(page, access_key_id), "Make Inactive").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    expect(page.get_by_role("heading", level=1)).to_have_text(["Sign in"])
    assert AccessKey.objects.get(pk=access_key_id).status == "Active"


def test_a_key_action_with_a_stale_csrf_token_loads_the_page_again(
    page: Page, alice, signed_in
) -> None:
    """After signing in again elsewhere the page's token is old: the refusal reloads the page
    (with a new token), and the next click works."""
    access_key_id = make_access_key(alice).access_key.access_key_id
    signed_in(page.context, alice)
    open_access_keys(page)
    page.context.clear_cookies(name="csrftoken")
    with page.expect_navigation():
        button(key_row(page, access_key_id), "Make Inactive").click()
    assert AccessKey.objects.get(pk=access_key_id).status == "Active"
    open_access_keys(page)
    button(key_row(page, access_key_id), "Make Inactive").click()
    expect_key_row(page, access_key_id, status="Inactive")
