import re

import pytest
from django.contrib.sessions.models import Session

from tests.conftest import CsrfClient

pytestmark = pytest.mark.django_db
AUTH_FAILED = "Your authentication information is incorrect. Please try again."


def sign_in(client: CsrfClient, email: str, password: str):  # type: ignore[no-untyped-def]
    response = client.post("/signin", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/signin/password"
    return client.post("/signin/password", {"password": password})


def test_it_signs_in_in_two_steps_and_cycles_the_session(alice, password):
    client = CsrfClient()
    assert "Root user email address" in client.get("/signin").content.decode()
    client.post("/signin", {"email": "ALICE@example.com"})
    before = client.session.session_key
    page = client.get("/signin/password").content.decode()
    assert 'for="id_password">Password<' in page
    response = client.post("/signin/password", {"password": password})
    assert response.status_code == 302
    assert response["Location"] == "/iam/home"
    assert client.session.session_key != before
    assert "IAM Dashboard" in client.get("/iam/home").content.decode()


@pytest.mark.real_hasher
def test_it_signs_in_with_argon2(settings, password):
    from tests.factories import make_root_user

    user = make_root_user(email="argon@example.com")
    assert user.password.startswith("argon2$")
    assert sign_in(CsrfClient(), "argon@example.com", password).status_code == 302


@pytest.mark.parametrize(
    "email, typed",
    [
        ("alice@example.com", "wrong password"),
        ("nobody@example.com", "correct horse battery staple"),
    ],
)
def test_a_wrong_email_or_password_gets_the_same_message(alice, email, typed):
    client = CsrfClient()
    response = sign_in(client, email, typed)
    assert response.status_code == 401
    assert AUTH_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert_refused_field(response, "password")


def assert_refused_field(response, name):  # type: ignore[no-untyped-def]
    """The refused field says so to a screen reader and names the alert that says why."""
    page = response.content.decode()
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="signin-error"' in field
    assert re.search(r'<div [^>]*role="alert" id="signin-error">', page)


def test_an_invalid_email_is_an_error_on_the_page(db):
    client = CsrfClient()
    response = client.post("/signin", {"email": "not an email"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_the_password_step_needs_the_email_step(db):
    response = CsrfClient().get("/signin/password")
    assert response.status_code == 302
    assert response["Location"] == "/signin"


def test_next_is_followed_only_within_the_site(alice, password):
    client = CsrfClient()
    client.post("/signin", {"email": alice.email, "next": "https://evil.example/steal"})
    response = client.post("/signin/password", {"password": password})
    assert response["Location"] == "/iam/home"
    client = CsrfClient()
    client.post("/signin", {"email": alice.email, "next": "/iam/security_credentials"})
    assert client.post("/signin/password", {"password": password})["Location"] == (
        "/iam/security_credentials"
    )


def test_sign_out_ends_the_session_on_the_server(alice, password):
    client = CsrfClient()
    sign_in(client, alice.email, password)
    stolen_cookie = client.cookies["sessionid"].value
    assert client.post("/signout").status_code == 302
    assert not Session.objects.filter(session_key=stolen_cookie).exists()
    thief = CsrfClient()
    thief.cookies["sessionid"] = stolen_cookie
    response = thief.get("/iam/security_credentials")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin")


def test_sign_out_refuses_get_and_a_missing_csrf_token(alice_client):
    assert alice_client.get("/signout").status_code == 405
    assert alice_client.post("/signout", with_csrf=False).status_code == 403
    assert alice_client.get("/iam/home").status_code == 200


def test_pages_need_a_signed_in_user(anonymous_client):
    for url in (
        "/iam/home",
        "/iam/security_credentials",
        "/iam/users",
        "/iam/security_credentials/warning",
    ):
        response = anonymous_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/signin?next="), url


@pytest.mark.parametrize(
    "asked, lands_on",
    [
        (
            "/iam/security_credentials?expanded=access-keys",
            "/iam/security_credentials?expanded=access-keys",
        ),
        ("/iam/credential_report", "/iam/credential_report"),
        # Actions (POST only), asked for by a form whose session had ended: a GET of one would
        # be a bare 405, so the sign-in goes on to the dashboard.
        ("/iam/credential_report/download", "/iam/home"),
        ("/iam/security_credentials/access-keys/create", "/iam/home"),
        ("/signout", "/iam/home"),
        ("/nowhere", "/iam/home"),
        ("https://evil.example/iam/home", "/iam/home"),
    ],
)
def test_a_sign_in_goes_on_to_the_page_that_asked_never_to_an_action(
    alice, password, asked, lands_on
):
    client = CsrfClient()
    client.post("/signin", {"email": alice.email, "next": asked})
    response = client.post("/signin/password", {"password": password})
    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_a_signed_in_user_skips_both_sign_in_steps(alice_client):
    for step in ("/signin", "/signin/password"):
        response = alice_client.get(step)
        assert response.status_code == 302 and response["Location"] == "/iam/home", step


def test_the_dashboard_shows_the_account_menu_and_security_status(alice_client, alice):
    page = alice_client.get("/iam/home").content.decode()
    assert "<summary>Alice&#39;s Account</summary>" in page
    assert "My Security Credentials" in page and "Sign Out" in page
    assert "your root user has no active access keys" in page
    from tests.factories import make_access_key

    make_access_key(alice)
    page = alice_client.get("/iam/home").content.decode()
    assert "Delete your root access keys." in page


def test_the_warning_comes_first_once_per_session(alice):
    client = CsrfClient()
    client.force_login(alice)
    response = client.get("/iam/security_credentials")
    assert response["Location"] == "/iam/security_credentials/warning"
    page = client.get(response["Location"]).content.decode()
    assert (
        "You are accessing the security credentials page for your AWS account. The account "
        "credentials provide unlimited access to your AWS resources."
    ) in page
    for label in (
        "Continue to Security Credentials",
        "Get Started with IAM Users",
        "Don&#39;t show me this message again",
    ):
        assert label in page
    response = client.post("/iam/security_credentials/warning", {})
    assert response["Location"] == "/iam/security_credentials"
    assert client.get("/iam/security_credentials").status_code == 200
    alice.refresh_from_db()
    assert not alice.hide_root_credentials_warning
    fresh = CsrfClient()
    fresh.force_login(alice)
    assert fresh.get("/iam/security_credentials").status_code == 302


def test_dont_show_again_is_remembered_per_user(alice, mallory):
    client = CsrfClient()
    client.force_login(alice)
    client.post("/iam/security_credentials/warning", {"dont_show_again": "on"})
    alice.refresh_from_db()
    assert alice.hide_root_credentials_warning
    fresh = CsrfClient()
    fresh.force_login(alice)
    assert fresh.get("/iam/security_credentials").status_code == 200
    other = CsrfClient()
    other.force_login(mallory)
    assert other.get("/iam/security_credentials").status_code == 302


def test_get_started_with_iam_users_leads_to_the_users_page_and_keeps_the_choice(alice):
    client = CsrfClient()
    client.force_login(alice)
    page = client.get("/iam/security_credentials/warning").content.decode()
    assert 'name="go_to" value="iam-users">Get Started with IAM Users</button>' in page
    response = client.post("/iam/security_credentials/warning", {"go_to": "iam-users"})
    assert response["Location"] == "/iam/users"
    assert client.get("/iam/users").status_code == 200
    # Not continued: the credentials page still asks first.
    assert client.get("/iam/security_credentials").status_code == 302
    client.post(
        "/iam/security_credentials/warning", {"go_to": "iam-users", "dont_show_again": "on"}
    )
    alice.refresh_from_db()
    assert alice.hide_root_credentials_warning  # whichever button took the user on
    assert client.get("/iam/security_credentials").status_code == 200


def test_an_idle_session_ends_after_an_hour(alice_client, monkeypatch):
    import time

    assert alice_client.get("/iam/home").status_code == 200
    now = time.time()
    monkeypatch.setattr("accounts.middleware.time.time", lambda: now + 59 * 60)
    assert alice_client.get("/iam/home").status_code == 200  # activity refreshes the stamp
    monkeypatch.setattr("accounts.middleware.time.time", lambda: now + 118 * 60)
    assert alice_client.get("/iam/home").status_code == 200
    monkeypatch.setattr("accounts.middleware.time.time", lambda: now + 180 * 60)
    response = alice_client.get("/iam/home")
    assert response.status_code == 302 and response["Location"].startswith("/signin")


def test_session_cookies_are_httponly_and_lax(alice, password):
    client = CsrfClient()
    client.post("/signin", {"email": alice.email})
    response = client.post("/signin/password", {"password": password})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
