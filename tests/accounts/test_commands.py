import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_createrootuser_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("A long enough passphrase\n"))
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
    assert user.check_password("A long enough passphrase")
    assert user.account_id in out.getvalue()


def test_createrootuser_refuses_a_duplicate_email_whatever_its_case(monkeypatch, alice):
    monkeypatch.setattr("sys.stdin", io.StringIO("A long enough passphrase\n"))
    with pytest.raises(CommandError, match="already exists"):
        call_command("createrootuser", "--email", "ALICE@example.com", "--password-stdin")


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("not-an-email", "A long enough passphrase", "not a valid email"),
        # AWS's root password rules, the same as Change password's.
        ("short@example.com", "Sh0rt!", "must be 8 to 128 characters long"),
        ("long@example.com", "Aa1!" * 33, "must be 8 to 128 characters long"),
        ("weak@example.com", "abcdefghijkl", "too weak"),
        ("Same@Example.com", "Same@Example.com", "can't be your email address"),
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


def test_createrootuser_takes_any_password_aws_takes_and_a_spaced_email(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Abc123!x\n"))  # 8 characters, 4 classes
    call_command("createrootuser", "--email", "  Spaced@Example.com ", "--password-stdin")
    assert get_user_model().objects.get().email == "spaced@example.com"


def test_createrootuser_without_a_terminal_says_to_use_password_stdin(monkeypatch):
    def no_terminal(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_terminal)
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("createrootuser", "--email", "t@example.com")
    assert not get_user_model().objects.exists()


def test_the_demo_user_is_made_once_and_its_password_printed_while_it_works(settings, tmp_path):
    from accounts.management.commands.ensure_demo_user import DEMO_EMAIL
    from accounts.password import password_problem

    settings.VAR_DIR = tmp_path
    first = io.StringIO()
    call_command("ensure_demo_user", stdout=first)
    password = first.getvalue().split("Password:")[1].split()[0]
    user = get_user_model().objects.get()
    assert user.email == DEMO_EMAIL and user.check_password(password)
    assert password_problem(password, email=DEMO_EMAIL) is None  # AWS's rules, as any other
    again = io.StringIO()
    call_command("ensure_demo_user", stdout=again)
    assert "Created" not in again.getvalue() and password in again.getvalue()
    assert get_user_model().objects.count() == 1
    user.set_password("Changed in the console 1")
    user.save()
    later = io.StringIO()
    call_command("ensure_demo_user", stdout=later)
    assert password not in later.getvalue()  # never a password that no longer works
    assert "has a new password" in later.getvalue()


def test_each_database_keeps_its_own_demo_password(settings, tmp_path, monkeypatch):
    """SQLite in var/ and a DATABASE_URL's database each have their own demo user: one
    database's password file must not be printed for the other's."""
    from django.db import connection

    from accounts.management.commands.ensure_demo_user import credentials_file

    settings.VAR_DIR = tmp_path
    call_command("ensure_demo_user", stdout=io.StringIO())
    own = credentials_file()
    assert own.exists() and own.stat().st_mode & 0o777 == 0o600
    monkeypatch.setitem(connection.settings_dict, "NAME", "another-database")
    assert credentials_file() != own and credentials_file().parent == own.parent


def test_the_demo_password_kept_by_earlier_versions_is_still_printed(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    get_user_model().objects.create_user("root@example.com", "Earlier1!x")
    (tmp_path / "demo-root-user.txt").write_text("root@example.com\nEarlier1!x\n")
    out = io.StringIO()
    call_command("ensure_demo_user", stdout=out)
    assert "Earlier1!x" in out.getvalue()
