"""Django's ModelBackend, with the signed-in user's row read compiled once
(console/compiled.py): ``get_user`` runs on every console request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from console.compiled import CompiledSelect, Quote

UserModel = get_user_model()


def _user_by_pk_sql(quote: Quote, tables: list[str]) -> str:
    return f"WHERE {quote(UserModel._meta.pk.column)} = %s"


_USER_BY_PK = CompiledSelect([UserModel], _user_by_pk_sql)


class RootUserBackend(ModelBackend):
    def get_user(self, user_id: object):  # type: ignore[no-untyped-def]  # ModelBackend's
        try:
            pk = UserModel._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        found = _USER_BY_PK.first([_USER_BY_PK.prepared(UserModel, UserModel._meta.pk.name, pk)])
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
