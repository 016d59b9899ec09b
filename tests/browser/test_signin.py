"""Sign-in in two steps, the one message for any wrong credential, and Sign Out for real."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import AUTH_FAILED, CREDENTIALS_PATH, account_menu, button, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_refuses_a_wrong_password_then_signs_in_to_the_dashboard(page: Page, alice) -> None:
    sign_in(page, alice.email, "not her password at all")

    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)
    expect(page.get_by_role("heading", name="IAM Dashboard")).to_have_count(0)

    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    button(page, "Sign in").click()

    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    expect(account_menu(page, alice.account_name)).to_be_visible()


def test_it_gives_an_unknown_email_the_same_message(page: Page, alice) -> None:
    sign_in(page, "nobody@example.com")

    expect(page.get_by_role("alert")).to_have_text(AUTH_FAILED)


def test_sign_out_ends_the_session_on_the_server(page: Page, alice, new_context) -> None:
    sign_in(page, alice.email)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    cookies_before_sign_out = page.context.cookies()

    account_menu(page, alice.account_name).click()
    button(page, "Sign Out").click()

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    # The old session cookie, replayed from another browser, opens nothing any more.
    replay = new_context()
    replay.add_cookies(cookies_before_sign_out)
    replayed = replay.new_page()
    replayed.goto(CREDENTIALS_PATH)
    expect(replayed.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(replayed.get_by_role("heading", name="Your Security Credentials")).to_have_count(0)
    assert replayed.url.split("?")[0].endswith("/signin")
