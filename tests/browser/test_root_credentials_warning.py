"""The root-credentials warning: once a session, or never again when the user says so."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    WARNING,
    button,
    continue_past_warning,
    open_my_security_credentials,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_warns_once_a_session(page: Page, alice, new_context, signed_in) -> None:
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()

    open_my_security_credentials(page, alice.account_name)
    continue_past_warning(page)

    page.goto("/iam/home")
    open_my_security_credentials(page, alice.account_name)
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    expect(page.get_by_text(WARNING, exact=True)).to_have_count(0)

    # A new session warns again: the box was not ticked.
    later = new_context().new_page()
    signed_in(later.context, alice, warning_passed=False)
    later.goto("/iam/home")
    open_my_security_credentials(later, alice.account_name)
    expect(later.get_by_text(WARNING, exact=True)).to_be_visible()


def test_dont_show_me_this_message_again_holds_in_a_new_session(
    page: Page, alice, new_context, signed_in
) -> None:
    signed_in(page.context, alice, warning_passed=False)
    page.goto("/iam/home")
    open_my_security_credentials(page, alice.account_name)
    continue_past_warning(page, dont_show_again=True)

    later = new_context().new_page()
    signed_in(later.context, alice, warning_passed=False)
    later.goto("/iam/home")
    open_my_security_credentials(later, alice.account_name)

    expect(later.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    expect(later.get_by_text(WARNING, exact=True)).to_have_count(0)


def test_get_started_with_iam_users_goes_to_the_users_page(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice, warning_passed=False)
    page.goto("/iam/home")
    open_my_security_credentials(page, alice.account_name)
    expect(page.get_by_text(WARNING, exact=True)).to_be_visible()

    button(page, "Get Started with IAM Users").click()

    expect(page).to_have_url(re.compile(r"/iam/users$"))
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
