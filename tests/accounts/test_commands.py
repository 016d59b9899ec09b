import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_createrootuser_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    out = io.StringIO()
    call_command(
        "createrootuser",
        "--email",
        "Ops@Example.com",
        "--account-name",
        "ops",
        "--password-stdin",
        stdout=out,
    )
    user = get_user_model().objects.get(email="ops@example.com")
    assert user.account_name == "ops"
    assert len(user.account_id) == 12 and user.account_id.isdigit()
    assert user.check_password("a long enough passphrase")
    assert user.account_id in out.getvalue()


def test_createrootuser_refuses_a_duplicate_email_whatever_its_case(monkeypatch, alice):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    with pytest.raises(CommandError, match="already exists"):
        call_command("createrootuser", "--email", "ALICE@example.com", "--password-stdin")


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("not-an-email", "a long enough passphrase", "not a valid email"),
        ("short@example.com", "short", "too short"),
    ],
)
def test_createrootuser_explains_bad_input(monkeypatch, email, password, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError, match=message):
        call_command("createrootuser", "--email", email, "--password-stdin")
    assert not get_user_model().objects.exists()


def test_account_ids_are_unique_twelve_digit_numbers(db):
    from tests.factories import make_root_user

    ids = {make_root_user().account_id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 12 and i.isdigit() for i in ids)
