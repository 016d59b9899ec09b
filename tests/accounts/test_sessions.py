"""The console's session engine and auth backend read through compiled selects and answer
as Django's db session store and ModelBackend do."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.backends import RootUserBackend
from console.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_loads_what_djangos_store_loads():
    session = SessionStore()
    session["answer"] = 42
    session.save()
    assert dict(SessionStore(session.session_key).load()) == {"answer": 42}
    assert (
        SessionStore(session.session_key).load() == DjangoSessionStore(session.session_key).load()
    )


def test_an_expired_or_unknown_session_is_empty_and_gets_a_new_key():
    session = SessionStore()
    session["answer"] = 42
    session.save()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for key in (session.session_key, "no-such-session-key-at-all"):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None


def test_the_backend_finds_active_users_only(alice):
    backend = RootUserBackend()
    found = backend.get_user(alice.pk)
    assert found == alice and found.email == alice.email and found.password == alice.password
    assert backend.get_user(str(alice.pk)) == alice  # as the session stores it
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(alice.pk + 1000) is None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert backend.get_user(alice.pk) is None


def test_every_load_reads_the_row_and_gets_its_own_dict():
    session = SessionStore()
    session["things"] = ["a"]
    session.save()
    first = SessionStore(session.session_key).load()
    first["things"].append("changed in one request only")
    again = SessionStore(session.session_key)
    assert again.load() == {"things": ["a"]}  # one request's change stayed in it
    again["things"] = ["b"]
    again.save()
    assert SessionStore(session.session_key).load() == {"things": ["b"]}  # the row, read anew
    Session.objects.filter(pk=session.session_key).delete()  # signed out elsewhere
    assert SessionStore(session.session_key).load() == {}


def test_tampered_session_text_is_refused_every_time(caplog):
    session = SessionStore()
    session["_auth_user_id"] = "1"
    session.save()
    row = Session.objects.get(pk=session.session_key)
    row.session_data = row.session_data[:-3] + ("aaa" if row.session_data[-3:] != "aaa" else "bbb")
    row.save()
    for _ in range(2):
        assert SessionStore(session.session_key).load() == {}
    assert caplog.text.count("Session data corrupted") == 2
