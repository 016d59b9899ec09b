"""var/ as `make run` leaves it: the directory and every file in it (the SQLite database, its
WAL and shared-memory files, the generated development secrets) readable by the owner only."""

import stat
from pathlib import Path

import pytest

from tests.servers import Browser, Database, base_env, gunicorns, manage

pytestmark = pytest.mark.xdist_group("servers")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_and_everything_in_it_are_owner_only(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = base_env(var_dir)
    for generated in ("DJANGO_SECRET_KEY", "KEYS_ENCRYPTION_KEYS"):  # made into var/ instead
        env.pop(generated)
    database = Database(vendor="sqlite", env=env, sqlite_path=var_dir / "console.sqlite3")
    manage(database, "migrate", "--no-input", "-v", "0")
    with gunicorns(database, tmp_path) as (server,):
        browser = Browser(server.url)
        browser.get("/signin")
        assert browser.post("/signin", {"email": "nobody@example.com"}).status == 302
        assert browser.post("/signin/password", {"password": "wrong"}).status == 401  # a write
        files = {path.name: _mode(path) for path in var_dir.iterdir() if path.is_file()}

    assert _mode(var_dir) == 0o700
    expected = {
        "console.sqlite3",
        "console.sqlite3-wal",
        "console.sqlite3-shm",
        "django-secret-key",
        "keys-encryption-key",
    }
    assert expected <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_an_older_world_readable_database_is_closed_up(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o755)
    for name in ("console.sqlite3", "console.sqlite3-wal"):
        (var_dir / name).touch(mode=0o644)
        (var_dir / name).chmod(0o644)
    database = Database(vendor="sqlite", env=base_env(var_dir), sqlite_path=var_dir / "x")
    manage(database, "migrate", "--no-input", "-v", "0")  # opens the database
    assert _mode(var_dir) == 0o700
    files = {path.name: _mode(path) for path in var_dir.iterdir()}
    assert "console.sqlite3" in files
    assert files == dict.fromkeys(files, 0o600)
