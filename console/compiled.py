"""Reads on the hot paths, compiled once: SQL built from the models' metadata, rows turned
back into model instances as the ORM turns them.

Building SQL through the ORM costs more than running it: compiling a one-row ``.get()``
took longer than SQLite took to answer it, on every request, for statements that never
change. A :class:`CompiledSelect` is built once per database alias and vendor: the SELECT
list names every concrete field of its models, the rest of the statement comes from the
caller (quoted names only; values are always parameters), and each row goes through the
same database converters the ORM applies (SQLite hands back datetimes as text, for one).

Instances are made as ``Model.from_db`` makes them, minus ``Model.__init__``: setting each
field through ``__init__`` and sending ``pre_init``/``post_init`` cost more than the query.
Where a model has receivers for those signals (none here does today), ``from_db`` is used
after all, so they still run. ``tests/keys/test_lookup.py`` and ``tests/accounts/test_sessions.py``
check the instances against the ORM's.

Users: keys/lookup.py (the API's key lookup), console/sessions.py (the session row) and
accounts/backends.py (the signed-in user).
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import Col
from django.db.models.signals import post_init, pre_init

type Quote = Callable[[str], str]


class CompiledSelect:
    """``SELECT <every concrete field of models> FROM <first model's table> <tail>``.

    ``tail(quote, tables)`` writes the rest of the statement (joins, WHERE, ORDER BY) with
    ``quote`` for names and ``%s`` for every value; ``tables`` are the models' quoted table
    names, in order.
    """

    def __init__(
        self,
        models: Sequence[type[Model]],
        tail: Callable[[Quote, list[str]], str],
        *,
        using: str = "default",
    ) -> None:
        self.models = list(models)
        self.using = using
        self.tail = tail

    def rows(self, params: Sequence[Any]) -> list[list[Model]]:
        """One list of instances (one per model) for each row."""
        connection = connections[self.using]
        plan = _plan(self, self.using, connection.vendor)
        if connection.queries_logged or connection.execute_wrappers:
            # Through Django's cursor, so that the statement is logged (DEBUG, the tests'
            # query counting) and any execute_wrapper sees it.
            with connection.cursor() as cursor:
                cursor.execute(plan.sql, params)
                fetched = cursor.fetchall()
        else:
            fetched = plan.fetch(connection, params)
        return [plan.instances(connection, row) for row in fetched]

    def first(self, params: Sequence[Any]) -> list[Model] | None:
        found = self.rows(params)
        return found[0] if found else None

    def prepared(self, model: type[Model], field_name: str, value: Any) -> Any:
        """``value`` as the ORM would pass it to the database for that field (an aware
        datetime becomes naive UTC text on SQLite, for one)."""
        field = model._meta.get_field(field_name)
        return field.get_db_prep_value(value, connections[self.using], prepared=False)


class _Plan:
    def __init__(self, select: CompiledSelect, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.alias = alias
        self.models = select.models
        fields = [list(model._meta.concrete_fields) for model in self.models]
        self.names = [[field.attname for field in own] for own in fields]
        columns, self.converters = [], []
        for model, own in zip(self.models, fields, strict=True):
            table = model._meta.db_table
            for field in own:
                columns.append(f"{quote(table)}.{quote(field.column)}")
                col = Col(table, field)
                self.converters.append(
                    connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                )
        tables = [quote(model._meta.db_table) for model in self.models]
        # Only names from the models' metadata, quoted, go into the text: every value is a
        # parameter.
        self.sql = f"SELECT {', '.join(columns)} FROM {tables[0]} " + select.tail(quote, tables)  # noqa: S608  # nosec B608
        if "%" in self.sql.replace("%s", ""):
            raise ValueError(f"Only %s placeholders may hold a '%': {self.sql}")
        # The driver's own placeholders: what Django's SQLite cursor rewrites on every call.
        self.native_sql = self.sql.replace("%s", "?") if connection.vendor == "sqlite" else self.sql
        self.plain = [
            not (pre_init.has_listeners(model) or post_init.has_listeners(model))
            for model in self.models
        ]

    def fetch(self, connection: Any, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """What ``connection.cursor()`` does around a query (health check, connecting,
        thread check, mapping driver errors to django.db's), on the driver's cursor:
        Django's cursor wrappers were a tenth of an API request's database time."""
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_thread_sharing()
        with connection.wrap_database_errors:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(self.native_sql, params)
                return cursor.fetchall()
            finally:
                cursor.close()

    def instances(self, connection: Any, row: tuple[Any, ...]) -> list[Model]:
        values = list(row)
        for index, converters in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], None, connection)
        made, start = [], 0
        for model, names, plain in zip(self.models, self.names, self.plain, strict=True):
            own = values[start : start + len(names)]
            start += len(names)
            if not plain:
                made.append(model.from_db(self.alias, names, own))
                continue
            instance = model.__new__(model)
            instance.__dict__.update(zip(names, own, strict=True))
            state = instance._state = ModelState()
            state.adding, state.db = False, self.alias
            made.append(instance)
        return made


@cache
def _plan(select: CompiledSelect, alias: str, vendor: str) -> _Plan:
    return _Plan(select, alias)


def forget_plans() -> None:
    """Recompile on next use (for tests that connect signal receivers to a model)."""
    _plan.cache_clear()
