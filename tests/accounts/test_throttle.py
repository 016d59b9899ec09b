from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event, SignInThrottle
from accounts.throttle import (
    ADDRESS_MAX_FAILURES,
    MAX_FAILURES,
    address_key,
    signin_attempt,
    signin_succeeded,
)
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


@pytest.mark.parametrize(
    "spellings",
    [
        ["ALICE@example.com"] * 5,
        [
            "Alice@Example.COM",
            "  alice@example.com",
            "alice@EXAMPLE.com  ",
            "aLiCe@example.com",
            " ALICE@EXAMPLE.COM ",
        ],
    ],
    ids=["upper-case", "mixed-and-padded"],
)
def test_five_failures_in_any_spellings_lock_every_spelling(alice, password, spellings):
    for spelling in spellings:
        assert attempt(spelling, "wrong")[0].status_code == 401
    for spelling in ["alice@example.com", "ALICE@EXAMPLE.COM", " Alice@example.com "]:
        response, client = attempt(spelling, password)  # the right password too
        assert response.status_code == 429, spelling
        assert "_auth_user_id" not in client.session
    assert set(Event.objects.values_list("email", flat=True)) == {"alice@example.com"}


def test_any_spelling_signs_in_and_is_recorded_in_one(alice, password):
    response, client = attempt("  ALICE@Example.com ", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert Event.objects.get(action="SignIn").email == "alice@example.com"


def test_a_locked_account_gains_one_event_per_lock_not_one_per_attempt(alice, password):
    for _ in range(MAX_FAILURES):
        attempt(alice.email, "wrong")
    for _ in range(10):
        assert attempt(alice.email, password)[0].status_code == 429
    history = list(Event.objects.for_account(alice).values_list("action", flat=True))
    assert history == ["SignInThrottled"] + ["SignInFailure"] * MAX_FAILURES


def test_a_new_lock_is_recorded_again(alice, password, monkeypatch):
    for _ in range(MAX_FAILURES):
        attempt(alice.email, "wrong")
    attempt(alice.email, password)
    later = timezone.now() + timedelta(minutes=16)
    monkeypatch.setattr("accounts.throttle.timezone.now", lambda: later)
    for _ in range(MAX_FAILURES):
        assert attempt(alice.email, "wrong")[0].status_code == 401
    for _ in range(3):
        assert attempt(alice.email, password)[0].status_code == 429
    assert Event.objects.filter(action="SignInThrottled").count() == 2


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


def test_a_sprayed_address_is_slowed(alice, password):
    for n in range(ADDRESS_MAX_FAILURES):
        assert attempt(f"guess-{n}@example.com", "wrong")[0].status_code == 401
    response, client = attempt(alice.email, password)  # a new email, and the right password
    assert response.status_code == 429
    assert "Too many failed sign-in attempts from your network." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert attempt(alice.email, password, ip="198.51.100.9")[0].status_code == 302


def test_an_ipv6_client_counts_across_emails_by_its_64(db):
    for n in range(ADDRESS_MAX_FAILURES):
        assert (
            signin_attempt(email=f"guess-{n}@example.com", address=f"2001:db8:1:2::{n:x}") is None
        )
    refusal = signin_attempt(email="alice@example.com", address="2001:db8:1:2:ffff::1")
    assert refusal is not None and refusal.whole_address
    assert signin_attempt(email="alice@example.com", address="2001:db8:1:3::1") is None
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_a_success_gives_the_address_its_attempt_back(db):
    address = "203.0.113.7"
    for n in range(ADDRESS_MAX_FAILURES - 1):
        signin_attempt(email=f"guess-{n}@example.com", address=address)
    assert signin_attempt(email="alice@example.com", address=address) is None  # the 100th
    signin_succeeded(email="alice@example.com", address=address)
    assert signin_attempt(email="bob@example.com", address=address) is None
    assert signin_attempt(email="carol@example.com", address=address).whole_address


def test_the_lock_lifts_fifteen_minutes_after_the_fifth_failure(alice, password, monkeypatch):
    for _ in range(5):
        attempt(alice.email, "wrong")
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr("accounts.throttle.timezone.now", lambda: later)
    assert attempt(alice.email, password)[0].status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(alice, password):
    for _ in range(4):
        attempt(alice.email, "wrong")
    SignInThrottle.objects.update(window_started_at=timezone.now() - timedelta(minutes=20))
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


def test_an_ipv6_client_guessing_one_email_counts_by_its_64(db):
    """Each address of a /64 (one subscriber's) would otherwise bring five fresh guesses."""
    for n in range(MAX_FAILURES):
        assert signin_attempt(email="alice@example.com", address=f"2001:db8:1:2::{n + 1:x}") is None
    refusal = signin_attempt(email="alice@example.com", address="2001:db8:1:2::99")
    assert refusal is not None and not refusal.whole_address
    assert signin_attempt(email="alice@example.com", address="2001:db8:1:3::1") is None
