"""Real gunicorn servers on a database of their own, for the race and fault tests.

Which of these tests join the suite is decided at collection, not by skipping: the ones on
PostgreSQL only when a PostgreSQL server is named (TEST_DATABASE_URL, as CI and `make test`
set it, or DATABASE_URL when the suite itself runs on PostgreSQL), and then they fail if it
cannot be reached; the ones on SQLite only in the suite's SQLite pass, which `make test`
always runs, so that its PostgreSQL pass does not run them a second time.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import make_access_key
from tests.servers import Database, postgres_database, postgres_server_url, sqlite_database
from tests.wsgi import WsgiClient

BACKENDS = ["sqlite", "postgresql"]


def _server_backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "server_database" in callspec.params:
        return callspec.params["server_database"]
    if "postgres_server" in getattr(item, "fixturenames", ()):
        return "postgresql"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    postgres_named = postgres_server_url() is not None
    suite_on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    kept, deselected = [], []
    for item in items:
        backend = _server_backend(item)
        unwanted = (backend == "postgresql" and not postgres_named) or (
            backend == "sqlite" and suite_on_postgres
        )
        (deselected if unwanted else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = postgres_server_url()
    if url is None:  # only reachable when a test is run by node ID with nothing set
        pytest.fail("No PostgreSQL server named: set TEST_DATABASE_URL=postgres://…")
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def server_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database for servers: a SQLite file in a fresh VAR_DIR, or a throwaway
    PostgreSQL database, dropped afterwards."""
    var_dir = tmp_path_factory.mktemp(f"var-{request.param}")
    (var_dir / "static").mkdir()  # STATIC_ROOT: spares WhiteNoise's warning
    if request.param == "sqlite":
        with sqlite_database(var_dir) as database:
            yield database
    else:
        with postgres_database(var_dir, request.getfixturevalue("postgres_server")) as database:
            yield database


@pytest.fixture
def postgres_var_dir(tmp_path: Path) -> Path:
    var_dir = tmp_path / "var"
    (var_dir / "static").mkdir(parents=True)
    return var_dir


@pytest.fixture
def client() -> WsgiClient:
    """The API through console.wsgi.application, as gunicorn serves it (Django's test client
    would reach only the fallback behind it)."""
    return WsgiClient()


@pytest.fixture
def alice_key(alice):  # type: ignore[no-untyped-def]
    return make_access_key(alice)


@pytest.fixture
def mallory_key(mallory):  # type: ignore[no-untyped-def]
    return make_access_key(mallory)
