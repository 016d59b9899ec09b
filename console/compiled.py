"""Reads on the hot paths, compiled once: SQL built from the models' metadata, rows turned
into instances by ``Model.from_db``, as the ORM turns them.

Compiling a one-row ``.get()`` through the ORM cost more than running it, on every request,
for statements that never change (bench/README.md has the figures). The SELECT list names
the models' concrete fields (or those ``only`` keeps, as ``QuerySet.only()`` would); the
caller writes the rest with quoted names and ``%s`` for every value; each column goes through
the database converters the ORM applies. Used by keys/lookup.py, accounts/mfa/lookup.py,
console/sessions.py and accounts/backends.py; their tests compare the instances with the ORM's.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from operator import attrgetter
from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.expressions import Col

type Quote = Callable[[str], str]


def in_model_order(quote: Quote, model: type[Model], table: str) -> str:
    """ORDER BY ``model``'s Meta.ordering, as its default queryset sorts."""
    terms = []
    for name in model._meta.ordering:
        column = quote(model._meta.get_field(name.removeprefix("-")).column)
        terms.append(f"{table}.{column}" + (" DESC" if name.startswith("-") else ""))
    return "ORDER BY " + ", ".join(terms)


def model_order_key(model: type[Model]) -> Callable[[Model], Any]:
    """A sort key giving loaded instances the order ``in_model_order`` gives rows (for a
    Meta.ordering of ascending fields: a descending one is refused here, at import)."""
    names = model._meta.ordering
    if any(name.startswith("-") for name in names):
        raise ValueError(f"{model.__name__}'s Meta.ordering sorts descending: {names}")
    return attrgetter(*(model._meta.get_field(name).attname for name in names))


class CompiledSelect:
    """``SELECT <every concrete field of models> FROM <first model's table> <tail>``.

    ``tail(quote, tables)`` writes the rest of the statement (joins, WHERE, ORDER BY) with
    ``quote`` for names and ``%s`` for every value; ``tables`` are the models' quoted table
    names, in order. ``only`` maps a model to the fields to load (its primary key always
    among them), as ``QuerySet.only()``: the others are deferred, read if ever touched.
    Within one call, a model's rows with the same primary key share one instance.
    """

    def __init__(
        self,
        models: Sequence[type[Model]],
        tail: Callable[[Quote, list[str]], str],
        *,
        only: Mapping[type[Model], Sequence[str]] | None = None,
        using: str = "default",
    ) -> None:
        self.models = list(models)
        self.only = dict(only or {})
        self.using = using
        self.tail = tail

    def rows(self, params: Sequence[Any]) -> list[list[Model]]:
        """One list of instances (one per model) for each row."""
        fetched = self.fetched(params)
        return [fetched.row(index) for index in range(len(fetched))]

    def fetched(self, params: Sequence[Any]) -> "Fetched":
        """The rows, made into instances only as :meth:`Fetched.row` asks for them."""
        connection = connections[self.using]
        plan = _plan(self, self.using, connection.vendor)
        if plan.needs_django_cursor(connection):
            with connection.cursor() as cursor:
                cursor.execute(plan.sql, params)
                found = cursor.fetchall()
        else:
            found = plan.fetch(connection, params)
        return Fetched(plan, connection, found)

    def first(self, params: Sequence[Any]) -> list[Model] | None:
        found = self.rows(params)
        return found[0] if found else None

    def prepared(self, model: type[Model], field_name: str, value: Any) -> Any:
        """``value`` as the ORM would pass it to the database for that field (an aware
        datetime becomes naive UTC text on SQLite, for one)."""
        field = model._meta.get_field(field_name)
        return field.get_db_prep_value(value, connections[self.using], prepared=False)


class Fetched:
    """One statement's rows, each made into its instances when first asked for."""

    def __init__(self, plan: "_Plan", connection: Any, found: list[tuple[Any, ...]]) -> None:
        self.plan, self.connection, self.found = plan, connection, found
        self.made: list[dict[Any, Model]] = [{} for _ in plan.models]  # by primary key

    def __len__(self) -> int:
        return len(self.found)

    def pk(self, index: int, model: int = 0) -> Any:
        """The primary key of row ``index``'s ``model``-th instance, as the driver gave it."""
        return self.found[index][self.plan.spans[model][2]]

    def row(self, index: int) -> list[Model]:
        """Row ``index``'s instances: built once, as every instance is kept by primary key."""
        return self.plan.instances(self.connection, self.found[index], self.made)


class _Plan:
    def __init__(self, select: CompiledSelect, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.alias = alias
        self.models = select.models
        fields = [_loaded_fields(model, select.only.get(model)) for model in self.models]
        self.names = [[field.attname for field in own] for own in fields]
        columns: list[str] = []
        # (column index, its converters) for the columns that have any, per model.
        self.converters: list[list[tuple[int, list[Any]]]] = []
        self.spans: list[tuple[int, int, int]] = []  # (first column, end, primary key's column)
        for model, own in zip(self.models, fields, strict=True):
            table, start, converting = model._meta.db_table, len(columns), []
            for field in own:
                col = Col(table, field)
                found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if found:
                    converting.append((len(columns), found))
                columns.append(f"{quote(table)}.{quote(field.column)}")
            self.converters.append(converting)
            self.spans.append((start, len(columns), start + own.index(model._meta.pk)))
        tables = [quote(model._meta.db_table) for model in self.models]
        # Only names from the models' metadata, quoted, go into the text: every value is a
        # parameter.
        self.sql = f"SELECT {', '.join(columns)} FROM {tables[0]} " + select.tail(quote, tables)  # noqa: S608  # nosec B608
        if "%" in self.sql.replace("%s", ""):
            raise ValueError(f"Only %s placeholders may hold a '%': {self.sql}")
        # The driver's own placeholders: what Django's SQLite cursor rewrites on every call.
        self.native_sql = self.sql.replace("%s", "?") if connection.vendor == "sqlite" else self.sql

    # The one dependency on Django's internals: the driver's own cursor, with what
    # ``connection.cursor()`` does around it (health check, connecting, thread check, driver
    # errors mapped to django.db's). It skips the query log, execute wrappers and, on
    # PostgreSQL, the cursor's time-zone set-up; whenever one of them is needed (DEBUG or the
    # tests' query counting, a wrapper installed, a connection not in UTC), Django's cursor
    # runs the statement instead.
    @staticmethod
    def needs_django_cursor(connection: Any) -> bool:
        return bool(
            connection.queries_logged
            or connection.execute_wrappers
            or (connection.vendor == "postgresql" and connection.timezone_name != "UTC")
        )

    def fetch(self, connection: Any, params: Sequence[Any]) -> list[tuple[Any, ...]]:
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

    def instances(
        self, connection: Any, row: tuple[Any, ...], made: list[dict[Any, Model]]
    ) -> list[Model]:
        """One instance per model, or the one already ``made`` for the same primary key."""
        values = list(row)
        found = []
        for model, names, (start, end, pk), converting, seen in zip(
            self.models, self.names, self.spans, self.converters, made, strict=True
        ):
            key = values[pk]
            instance = None if key is None else seen.get(key)
            if instance is None:
                for index, converters in converting:
                    for converter in converters:
                        values[index] = converter(values[index], None, connection)
                instance = model.from_db(self.alias, names, values[start:end])
                seen[key] = instance
            found.append(instance)
        return found


def _loaded_fields(model: type[Model], only: Sequence[str] | None) -> list[Any]:
    concrete = list(model._meta.concrete_fields)
    if only is None:
        return concrete
    wanted = {model._meta.get_field(name) for name in only} | {model._meta.pk}
    return [field for field in concrete if field in wanted]


@cache
def _plan(select: CompiledSelect, alias: str, vendor: str) -> _Plan:
    return _Plan(select, alias)
