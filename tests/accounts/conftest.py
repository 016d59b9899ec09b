"""The real-server fixtures of tests/keys (a SQLite file or a throwaway PostgreSQL database for
gunicorn), and its rule for which backends join the suite, for the sign-in races here."""

from tests.keys.conftest import postgres_server, pytest_collection_modifyitems, server_database

__all__ = ["postgres_server", "pytest_collection_modifyitems", "server_database"]
