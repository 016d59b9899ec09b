"""Change password: AWS's root rules, a clear message beside the field and nothing changed
on bad input, every other session signed out, this one kept, the event recorded."""

import pytest
from markupsafe import escape

from accounts.models import Event
from accounts.password import MISMATCH, NOT_CHANGED, WRONG_CURRENT, password_problem
from tests.conftest import CsrfClient, _signed_in

pytestmark = pytest.mark.django_db
NEW = "N3w-password!"


def change(client: CsrfClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/iam/security_credentials/password",
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("Abcdef1!", True),  # 8 characters, four classes
        ("abcdef12", False),  # two classes
        ("abcdefg!1", True),  # lower, symbol, digit
        ("ABCDEFG1a", True),
        ("Ab1!", False),  # too short
        ("Ab1!" * 32, True),  # 128
        ("Ab1!" * 32 + "x", False),  # 129
        ("Alice@Example.com", False),  # the email, whatever its case
        ("correct horse battery staple", False),  # lower case and spaces: two classes
    ],
)
def test_it_applies_aws_root_password_rules(password, accepted):
    assert (password_problem(password, email="alice@example.com") is None) is accepted


def test_a_change_signs_out_every_other_session_and_keeps_this_one(alice, password):
    here, elsewhere = _signed_in(alice), _signed_in(alice)
    assert elsewhere.get("/iam/home").status_code == 200
    response = change(here, password, NEW)
    assert response.status_code == 302
    assert response["Location"] == "/iam/security_credentials?expanded=password#password"
    page = here.get(response["Location"]).content.decode()
    assert "Your password has been changed." in page
    assert here.get("/iam/home").status_code == 200
    gone = elsewhere.get("/iam/home")
    assert gone.status_code == 302 and gone["Location"].startswith("/signin")
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    changes = Event.objects.for_account(alice).filter(action=Event.Action.CHANGE_PASSWORD)
    assert changes.count() == 1


@pytest.mark.parametrize(
    "current, new, confirm, message",
    [
        ("wrong", NEW, NEW, WRONG_CURRENT),
        (None, NEW, "N3w-password?", MISMATCH),
        (None, "weakweakweak", "weakweakweak", "The password is too weak."),
        (None, "alice@example.com", "alice@example.com", "too weak"),
        (None, "Alice@example.COM1", "Alice@example.COM1", None),
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_changes_nothing(
    alice, alice_client, password, current, new, confirm, message
):
    response = change(alice_client, current or password, new, confirm)
    if message is None:  # not the email, merely containing it: allowed
        assert response.status_code == 302
        return
    assert response.status_code == 400
    body = response.content.decode()
    assert str(escape(message)) in body
    assert 'class="field-error"' in body
    flash = body.split('id="flash"')[1].split("</div>")[0]  # the live region says it too
    assert str(escape(NOT_CHANGED)) in flash
    assert '<details id="password" class="accordion-section" open>' in body
    alice.refresh_from_db()
    assert alice.check_password(password)
    assert not Event.objects.filter(action=Event.Action.CHANGE_PASSWORD).exists()
    assert alice_client.get("/iam/home").status_code == 200


def test_the_section_is_on_the_credentials_page_above_the_access_keys(alice_client):
    page = alice_client.get("/iam/security_credentials").content.decode()
    assert page.index("<summary>Password</summary>") < page.index(
        "Access keys (access key ID and secret access key)"
    )
    for label in ("Current password", "New password", "Confirm new password"):
        assert f">{label}</label>" in page
    assert ">Change password</button>" in page


def test_the_blank_fields_rendered_once_are_the_fields_of_this_users_form(alice):
    # The page shows markup rendered once per process; it must be what Django renders for
    # the signed-in user's own blank form, field for field.
    from django.template.loader import render_to_string

    from accounts.password import RULES, ChangePasswordForm, password_fields

    fresh = render_to_string(
        "accounts/_password_fields.html",
        {"password_form": ChangePasswordForm(user=alice), "password_rules": RULES},
    )
    assert password_fields() == fresh
    assert password_fields() is password_fields()  # worked out once
    assert 'autocomplete="current-password"' in fresh
    assert fresh.count('autocomplete="new-password"') == 2


def test_wrong_current_passwords_meet_the_sign_in_throttle(alice, alice_client, password):
    """A stolen session must not guess the password faster than the sign-in page allows."""
    from accounts.throttle import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        assert change(alice_client, "wrong", NEW, NEW).status_code == 400
    refused = change(alice_client, password, NEW, NEW)  # even the right one is not checked now
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts for this email address" in refused.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(password)
    other = CsrfClient()  # and the sign-in page is paused for this email and address as well
    other.post("/signin", {"email": alice.email})
    assert other.post("/signin/password", {"password": password}).status_code == 429


def test_the_right_current_password_gives_its_attempt_back(alice, alice_client, password):
    from accounts.throttle import MAX_FAILURES

    for _ in range(MAX_FAILURES - 1):
        change(alice_client, "wrong", NEW, NEW)
    assert change(alice_client, password, NEW, "mismatch").status_code == 400  # right, counted back
    assert change(alice_client, password, NEW, NEW).status_code == 302
