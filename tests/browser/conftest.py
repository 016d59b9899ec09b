"""Real Chromium (Debian's, never a downloaded one) against pytest-django's live server.

The live server runs in a thread of this process and shares the in-memory SQLite test
database with the test, so a test can read what the browser did (and set up what it needs)
through the ORM. Playwright's sync API runs an event loop in the test thread; Django's ORM
refuses to run beside one unless told that it is safe here, which it is: nothing else uses
that loop.
"""

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from django.conf import settings as django_settings  # noqa: E402
from django.test import Client  # noqa: E402
from playwright.sync_api import BrowserContext, Page  # noqa: E402

from accounts.warning import WARNING_PASSED  # noqa: E402
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers it; without xdist (-p no:xdist) --strict-markers would refuse it.
    config.addinivalue_line("markers", "xdist_group(name): run in the same xdist worker")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": browser_type_launch_args.get("headless", True),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "accept_downloads": True}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:  # type: ignore[no-untyped-def]
    # Playwright resolves page.goto("/signin") and page.request.get(...) against it.
    return live_server.url


@pytest.fixture(autouse=True)
def _browser_test_environment(live_server) -> None:  # type: ignore[no-untyped-def]
    # Asking for live_server here puts every browser test on the transactional database
    # that the server thread can see.
    return None


@pytest.fixture
def no_js_context(new_context) -> BrowserContext:  # type: ignore[no-untyped-def]
    return new_context(java_script_enabled=False)


@pytest.fixture
def no_js_page(no_js_context: BrowserContext) -> Page:
    return no_js_context.new_page()


@pytest.fixture
def signed_in(live_server):  # type: ignore[no-untyped-def]
    """Skip the sign-in form where it is not what a test is about: a session made on the
    server, its cookie handed to the browser. The sign-in tests use the form itself."""

    def sign_in(context: BrowserContext, user, *, warning_passed: bool = True) -> None:  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        if warning_passed:
            session = client.session
            session[WARNING_PASSED] = True
            session.save()
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return sign_in
