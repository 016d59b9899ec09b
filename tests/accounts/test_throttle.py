from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event
from tests.conftest import CsrfClient

pytestmark = pytest.mark.django_db


def attempt(email: str, password: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    client = CsrfClient(REMOTE_ADDR=ip)
    client.post("/signin", {"email": email})
    return client.post("/signin/password", {"password": password}), client


def test_five_failures_lock_the_email_and_address_pair(alice, password):
    for _ in range(5):
        assert attempt(alice.email, "wrong")[0].status_code == 401
    response, client = attempt(alice.email, password)  # even the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(action="SignInThrottled").count() == 1


def test_the_same_email_from_another_address_is_not_locked_out(alice, password):
    for _ in range(5):
        attempt(alice.email, "wrong", ip="203.0.113.7")
    assert attempt(alice.email, password, ip="198.51.100.9")[0].status_code == 302


def test_another_email_from_the_locked_address_is_not_locked_out(alice, mallory, password):
    for _ in range(5):
        attempt(alice.email, "wrong")
    assert attempt(mallory.email, password)[0].status_code == 302


def test_unknown_emails_are_throttled_the_same_way(db):
    for _ in range(5):
        assert attempt("ghost@example.com", "wrong")[0].status_code == 401
    assert attempt("ghost@example.com", "wrong")[0].status_code == 429


def test_the_lock_lifts_fifteen_minutes_after_the_fifth_failure(alice, password, monkeypatch):
    for _ in range(5):
        attempt(alice.email, "wrong")
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr("accounts.throttle.timezone.now", lambda: later)
    assert attempt(alice.email, password)[0].status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(alice, password):
    for _ in range(4):
        attempt(alice.email, "wrong")
    old = timezone.now() - timedelta(minutes=20)  # rows are append-only: age them in SQL
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_event SET occurred_at = %s", [old])
    attempt(alice.email, "wrong")
    assert attempt(alice.email, password)[0].status_code == 302


def test_a_success_resets_the_count(alice, password):
    for _ in range(4):
        attempt(alice.email, "wrong")
    assert attempt(alice.email, password)[0].status_code == 302
    for _ in range(4):
        attempt(alice.email, "wrong")
    assert attempt(alice.email, password)[0].status_code == 302


@pytest.mark.real_hasher
@pytest.mark.parametrize("email", ["alice@example.com", "nobody@example.com"])
def test_known_and_unknown_emails_cost_one_argon2_hash_each(alice, email, monkeypatch):
    # No enumeration by timing: an unknown email pays for a password hash just as a known
    # one does (Django hashes against a dummy user), on the same code path.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    calls = []
    for name in ("encode", "verify"):
        original = getattr(Argon2PasswordHasher, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Argon2PasswordHasher, name, counted)
    from django.contrib.auth.hashers import make_password

    alice.password = make_password("correct horse battery staple")
    alice.save(update_fields=["password"])
    calls.clear()
    response, _ = attempt(email, "wrong password")
    assert response.status_code == 401
    assert len(calls) == 1, calls
