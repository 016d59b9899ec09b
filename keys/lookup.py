"""The API's one read per request, compiled once.

Building SQL through the ORM costs more than running it: on the API's hot path, compiling
``select_related("owner").filter(owner__access_keys__pk=…)`` took over half of a request's
time. The statement never changes, so it is built once per database connection vendor from
the models' own metadata, and each row is turned back into model instances with the same
database converters the ORM applies (SQLite hands back datetimes as text, for instance).
"""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Model
from django.db.models.expressions import Col

from .models import AccessKey


class _Plan:
    def __init__(self, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.models: list[type[Model]] = [AccessKey, get_user_model()]
        self.fields = [list(model._meta.concrete_fields) for model in self.models]
        columns, self.converters = [], []
        for model, fields in zip(self.models, self.fields, strict=True):
            table = model._meta.db_table
            for field in fields:
                columns.append(f"{quote(table)}.{quote(field.column)}")
                col = Col(table, field)
                self.converters.append(
                    connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                )
        keys, users = (quote(m._meta.db_table) for m in self.models)
        owner, key_id = quote("owner_id"), quote(AccessKey._meta.pk.column)
        user_pk = quote(self.models[1]._meta.pk.column)
        # Every key of the account that owns the given key ID: at most two rows, each with
        # its owner, through the primary key and the (owner, slot) unique index.
        # Only names from the models' metadata, quoted, go into the text; the key ID is a
        # parameter.
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {keys} INNER JOIN {users} "  # noqa: S608  # nosec
            f"ON {users}.{user_pk} = {keys}.{owner} "
            f"WHERE {keys}.{owner} = (SELECT {owner} FROM {keys} WHERE {key_id} = %s) "
            f"ORDER BY {keys}.{quote('created_at')}, {keys}.{quote('slot')}"
        )

    def instances(self, alias: str, row: tuple[Any, ...]) -> list[Model]:
        connection = connections[alias]
        values = list(row)
        for index, converters in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], None, connection)
        made, start = [], 0
        for model, fields in zip(self.models, self.fields, strict=True):
            names = [field.attname for field in fields]
            made.append(model.from_db(alias, names, values[start : start + len(fields)]))
            start += len(fields)
        return made


@cache
def _plan(alias: str, vendor: str) -> _Plan:
    return _Plan(alias)


def account_keys_of(access_key_id: str, *, using: str = "default") -> list[AccessKey]:
    """Every key of the account that owns ``access_key_id`` (none if no key has that ID),
    each with its owner loaded, in one query."""
    plan = _plan(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(plan.sql, [access_key_id])
        rows = cursor.fetchall()
    owner = None
    keys = []
    for row in rows:
        access_key, user = plan.instances(using, row)
        owner = owner or user  # one owner object shared by both keys, as select_related does
        access_key._state.fields_cache["owner"] = owner
        keys.append(access_key)
    return keys
