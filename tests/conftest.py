"""Fixtures shared by the whole suite: people (alice, her teammate-free account, mallory),
CSRF-enforcing clients, and a fast password hasher where hashing is not what is tested."""

from pathlib import Path

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from accounts.warning import WARNING_PASSED
from tests.factories import PASSWORD, make_root_user


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns once per middleware build when STATIC_ROOT is missing (no collectstatic
    # yet on a fresh clone); the tests serve static/ through the finders anyway.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


# No per-example time limit: speed is measured by `make bench`, and on a loaded 2-core machine
# (CI beside other work) Hypothesis's 200 ms deadline failed tests that were correct.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


class CsrfClient(Client):
    """A test client that enforces CSRF like a browser session: it sends the token it got."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(enforce_csrf_checks=True, **kwargs)

    def csrf_token(self) -> str:
        # Any page with a form sets the cookie: the sign-in page, or the dashboard once signed in.
        for page in ("/signin", "/iam/home"):
            if "csrftoken" in self.cookies:
                break
            self.get(page)
        return self.cookies["csrftoken"].value

    def post(self, path, data=None, *, with_csrf: bool = True, **extra):  # type: ignore[no-untyped-def, override]
        data = dict(data or {})
        if with_csrf:
            token = self.csrf_token()
            data.setdefault("csrfmiddlewaretoken", token)
            extra.setdefault("headers", {}).setdefault("X-CSRFToken", token)
        return super().post(path, data, **extra)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings, request):  # type: ignore[no-untyped-def]
    # Argon2 is the real hasher (tested on its own); elsewhere it only slows the suite.
    if "real_hasher" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_from_the_source(settings):  # type: ignore[no-untyped-def]
    # Tests render and serve the static files under test, never a stale collectstatic copy.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def live_server(live_server):  # type: ignore[no-untyped-def]
    """pytest-django's live server, serving console.wsgi.application (as gunicorn does) in
    place of Django's bare handler, static files from the source as before."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    from console.wsgi import application

    live_server.thread.httpd.set_app(StaticFilesHandler(application))
    return live_server


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    return make_root_user(email="alice@example.com", account_name="Alice's Account")


@pytest.fixture
def mallory(db):  # type: ignore[no-untyped-def]
    return make_root_user(email="mallory@example.com", account_name="mallory")


def _signed_in(user, *, warning_passed: bool = True) -> CsrfClient:  # type: ignore[no-untyped-def]
    client = CsrfClient()
    client.force_login(user)
    if warning_passed:
        session = client.session
        session[WARNING_PASSED] = True
        session.save()
    return client


@pytest.fixture
def alice_client(alice) -> CsrfClient:  # type: ignore[no-untyped-def]
    return _signed_in(alice)


@pytest.fixture
def mallory_client(mallory) -> CsrfClient:  # type: ignore[no-untyped-def]
    return _signed_in(mallory)


@pytest.fixture
def anonymous_client() -> CsrfClient:
    return CsrfClient()


@pytest.fixture
def password() -> str:
    return PASSWORD
