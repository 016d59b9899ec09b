"""Reflow (WCAG 1.4.10): at 320 CSS pixels wide, which is 1280 at 400% zoom or a small phone,
every page reads without scrolling sideways. A wide table may scroll inside its own box."""

import pytest
from playwright.sync_api import Page

from tests.factories import make_access_key, make_totp_device

NARROW = {"width": 320, "height": 640}
PAGES = [
    "/signin",
    "/iam/home",
    "/iam/users",
    "/iam/security_credentials?expanded=access-keys",
    "/iam/credential_report",
]


def _page_overflow(page: Page) -> int:
    """How many pixels the page itself is wider than the window."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_reads_at_320_pixels_without_scrolling_sideways(
    new_context, signed_in, alice, path
) -> None:  # type: ignore[no-untyped-def]
    make_access_key(alice)
    make_totp_device(alice)
    context = new_context(viewport=NARROW)
    if path != "/signin":
        signed_in(context, alice)
    page = context.new_page()
    page.goto(path)
    assert _page_overflow(page) <= 0, path
