"""Change password in real Chromium, with and without JavaScript: a weak and a mismatched
password refused beside their fields, then a change that signs another browser out and keeps
this one signed in."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import CREDENTIALS_PATH, button, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
NEW = "Brand-new-pass1"


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def any_page(request, page: Page, no_js_page: Page) -> Page:  # type: ignore[no-untyped-def]
    return page if request.param == "with JavaScript" else no_js_page


def change_password(page: Page, current: str, new: str, confirm: str) -> None:
    page.get_by_label("Current password", exact=True).fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Confirm new password", exact=True).fill(confirm)
    button(page, "Change password").click()


def test_a_password_change_signs_out_the_other_browser_only(
    any_page: Page, alice, new_context, signed_in
) -> None:
    page = any_page
    other = new_context().new_page()
    sign_in(other, alice.email)
    expect(other.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    signed_in(page.context, alice)
    page.goto(CREDENTIALS_PATH)
    page.get_by_text("Password", exact=True).click()

    change_password(page, PASSWORD, "alllowercase", "alllowercase")
    expect(page.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("The password is too weak.")).to_be_visible()
    # The live region says the change was refused, besides the field's own message.
    expect(page.get_by_role("status")).to_contain_text("Your password was not changed")
    change_password(page, PASSWORD, NEW, NEW + "x")
    expect(page.get_by_text("The new passwords don't match.")).to_be_visible()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    change_password(page, PASSWORD, NEW, NEW)
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    page.goto("/iam/home")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    other.goto("/iam/home")
    expect(other.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    sign_in(other, alice.email, NEW)
    expect(other.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()


def test_with_javascript_a_refused_change_puts_the_focus_on_the_field_to_mend(
    page: Page, alice, signed_in
) -> None:
    signed_in(page.context, alice)
    page.goto(CREDENTIALS_PATH)
    page.get_by_text("Password", exact=True).click()
    change_password(page, "not-the-password", NEW, NEW)
    expect(page.get_by_label("Current password", exact=True)).to_be_focused()
    change_password(page, PASSWORD, NEW, NEW + "x")
    expect(page.get_by_label("Confirm new password", exact=True)).to_be_focused()
