from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console chrome"

    def ready(self) -> None:
        connection_created.connect(owner_only_sqlite_files)


def owner_only_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite creates its database, -wal and -shm files with the process's umask (0644): made
    0600 as soon as a connection has opened them, inside var/'s 0700 directory."""
    if connection.vendor != "sqlite":
        return
    database = str(connection.settings_dict["NAME"])
    for path in (Path(database), Path(database + "-wal"), Path(database + "-shm")):
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
