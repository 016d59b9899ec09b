"""The console's session engine: Django's database sessions, with the row read compiled
once (console/compiled.py).

Loading the session is on every console request; through the ORM, compiling its ``.get()``
cost more than the query. Everything else (signing, expiry, saving, cycling keys, flushing
at sign-out) is Django's ``db`` backend unchanged, so a sign-out still ends the session in
every worker at once: no session is cached in a process.

Decoding is remembered, though: it is a pure function of the stored text (the signature
check, base64, zlib and JSON), so a text decoded once decodes the same way again. The row
is still read on every request, so a flushed or changed session is seen at once; only the
work of verifying the same bytes again is saved (two fifths of loading a session).
"""

import json
from functools import lru_cache

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from console.compiled import CompiledSelect, Quote


def _live_session_sql(quote: Quote, tables: list[str]) -> str:
    return f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"


_LIVE_SESSION = CompiledSelect([Session], _live_session_sql)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        # As db.SessionStore does it: the unexpired row with this key, or none (and then
        # no key, so that a new one is made when the session is saved).
        if self.session_key is not None:
            now = _LIVE_SESSION.prepared(Session, "expire_date", timezone.now())
            found = _LIVE_SESSION.first([self.session_key, now])
            if found is not None:
                return found[0]  # type: ignore[return-value]
        self._session_key = None
        return None

    def decode(self, session_data: str) -> dict:
        remembered = _decoded_as_json(session_data, self.key_salt, self.serializer)
        if remembered is None:  # not good session text: Django's answer ({}) and log line
            return super().decode(session_data)
        # A fresh dict every time (through JSON, which the session serializer speaks), so
        # nothing a request changes in its session reaches the remembered copy.
        return json.loads(remembered)


@lru_cache(maxsize=4096)
def _decoded_as_json(session_data: str, key_salt: str, serializer: type) -> str | None:
    try:  # what db.SessionStore.decode does (and JSON: a serializer of other types is
        # not remembered, but decoded by Django every time)
        return json.dumps(signing.loads(session_data, salt=key_salt, serializer=serializer))
    except Exception:  # noqa: BLE001 - Django's decode catches the same, and says why
        return None


@receiver(setting_changed)
def _forget_decoded(*, setting: str, **kwargs: object) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_SERIALIZER"):
        _decoded_as_json.cache_clear()
