"""The one-time window closes when the browser loads any other console page: after that, the
dialog's URL and both downloads answer 410 with an explanation, and never the secret."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    CREDENTIALS_PATH,
    SECRET_GONE_HEADING,
    create_access_key,
    download_urls,
    expand_access_keys,
    expect_secret_gone,
    open_access_keys,
    show_access_key,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_loading_any_console_page_closes_the_window(page: Page, alice, signed_in) -> None:
    signed_in(page.context, alice)
    open_access_keys(page)

    # Leaving the dialog for the credentials page itself...
    create_access_key(page)
    first_id, first_secret = show_access_key(page)
    page.goto(CREDENTIALS_PATH)
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()
    assert first_secret not in page.content()
    expect_secret_gone(page, first_id, first_secret)

    # ... or for the dashboard.
    expand_access_keys(page)
    create_access_key(page)
    second_id, second_secret = show_access_key(page)
    page.goto("/iam/home")
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    expect_secret_gone(page, second_id, second_secret)

    # A person who follows a late download link gets a page that explains.
    response = page.goto(download_urls(second_id)[0])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name=SECRET_GONE_HEADING, level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Go to Your Security Credentials")).to_be_visible()
    assert second_secret not in page.content()
