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
