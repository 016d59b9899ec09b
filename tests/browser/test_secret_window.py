"""The one-time window closes when the browser loads any other console page: after that, the
dialog's URL and both downloads answer 410 with an explanation, and never the secret."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CREDENTIALS_PATH,
    SECRET_GONE_HEADING,
    create_access_key,
    created_url,
    download_urls,
    expect_secret_gone,
    show_access_key,
    sign_in_to_access_keys,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_loading_any_console_page_closes_the_window(page: Page, alice) -> None:
    sign_in_to_access_keys(page, alice.email, alice.account_name)

    # Leaving the dialog for the credentials page itself...
    create_access_key(page)
    first_id, first_secret = show_access_key(page)
    page.goto(CREDENTIALS_PATH)
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    assert first_secret not in page.content()
    expect_secret_gone(page, first_id, first_secret)

    # ... or for the dashboard.
    page.get_by_text("Access keys (access key ID and secret access key)", exact=True).click()
    create_access_key(page)
    second_id, second_secret = show_access_key(page)
    page.goto("/iam/home")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    expect_secret_gone(page, second_id, second_secret)


def test_a_late_download_gets_a_page_that_explains(page: Page, alice) -> None:
    sign_in_to_access_keys(page, alice.email, alice.account_name)
    create_access_key(page)
    access_key_id, secret = show_access_key(page)
    page.goto("/iam/home")

    for url in [created_url(access_key_id), *download_urls(access_key_id)]:
        response = page.goto(url)
        assert response is not None and response.status == 410
        expect(page.get_by_role("heading", name=SECRET_GONE_HEADING, level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Go to Your Security Credentials")).to_be_visible()
        assert secret not in page.content()
