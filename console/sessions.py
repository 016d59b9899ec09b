"""Django's database sessions, with the row read compiled once (console/compiled.py): it is
on every console request. Everything else (signing, decoding, expiry, saving, cycling keys,
flushing at sign-out) is Django's ``db`` backend unchanged."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from console.compiled import CompiledSelect, Quote


def _live_session_sql(quote: Quote, tables: list[str]) -> str:
    key, expires = Session._meta.pk.column, Session._meta.get_field("expire_date").column
    return f"WHERE {quote(key)} = %s AND {quote(expires)} > %s"


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
