"""The API's one read per request, compiled once.

Building SQL through the ORM costs more than running it: on the API's hot path, compiling
``select_related("owner").filter(owner__access_keys__pk=…)`` took over half of a request's
time. The statement never changes, so it is built once per database connection vendor from
the models' own metadata, and each row is turned back into model instances with the same
database converters the ORM applies (SQLite hands back datetimes as text, for instance).

The instances are made as ``Model.from_db`` makes them, minus ``Model.__init__``: setting
each field through ``__init__`` and sending ``pre_init``/``post_init`` for four instances
was a tenth of an API request. Where a model has receivers for those signals (none here
does today), ``from_db`` is used after all, so they still run.
"""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import Col
from django.db.models.signals import post_init, pre_init

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
        self.names = [[field.attname for field in fields] for fields in self.fields]
        self.plain = [
            not (pre_init.has_listeners(model) or post_init.has_listeners(model))
            for model in self.models
        ]

    def instances(self, alias: str, connection: Any, row: tuple[Any, ...]) -> list[Model]:
        values = list(row)
        for index, converters in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], None, connection)
        made, start = [], 0
        for model, names, plain in zip(self.models, self.names, self.plain, strict=True):
            own = values[start : start + len(names)]
            start += len(names)
            if not plain:
                made.append(model.from_db(alias, names, own))
                continue
            instance = model.__new__(model)
            instance.__dict__.update(zip(names, own, strict=True))
            state = instance._state = ModelState()
            state.adding, state.db = False, alias
            made.append(instance)
        return made


@cache
def _plan(alias: str, vendor: str) -> _Plan:
    return _Plan(alias)


def account_keys_of(access_key_id: str, *, using: str = "default") -> list[AccessKey]:
    """Every key of the account that owns ``access_key_id`` (none if no key has that ID),
    each with its owner loaded, in one query."""
    connection = connections[using]
    plan = _plan(using, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [access_key_id])
        rows = cursor.fetchall()
    owner = None
    keys = []
    for row in rows:
        access_key, user = plan.instances(using, connection, row)
        owner = owner or user  # one owner object shared by both keys, as select_related does
        access_key._state.fields_cache["owner"] = owner
        keys.append(access_key)
    return keys
