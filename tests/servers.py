"""Real servers for tests: gunicorn subprocesses on a database of their own, and the clients
that talk to them as a browser and an AWS SDK do (bench/harness.py, shared with `make bench`).

Every wait is bounded by a deadline and every process group is killed on the way out, so a
wedged server fails its test instead of hanging the suite. The databases are the servers'
own (a SQLite file in a temporary VAR_DIR, or a throwaway PostgreSQL database), never the
test database of pytest-django, which lives in this process and which they cannot see.
"""

import contextlib
import csv
import io
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from cryptography.fernet import Fernet
from psycopg import sql

from bench import harness
from bench.harness import (
    Response,
    Server,
    free_port,
    gunicorn,
    http_request,
    signed_query,
)

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # workers import Django; a loaded 2-core CI box is slow at it
PASSWORD = "A long enough passphrase for tests"
LIMIT_MESSAGE = "You can have a maximum of two access keys (active or inactive) at a time."


def wait_for(
    condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.05
) -> Any:
    """Poll until condition() is truthy and return it; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(every)


# ------------------------------------------------------------------------------ databases


@dataclass
class Database:
    """The database the servers share, with the environment that points them at it and a
    plain DB-API connection for the test to look at what they stored."""

    vendor: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    sqlite_path: Path | None = None
    url: str = ""

    def query(self, statement: str, params: Sequence[object] = ()) -> list[tuple]:
        """Run one statement (%s placeholders) on a connection of its own."""
        if self.vendor == "sqlite":
            with contextlib.closing(sqlite3.connect(self.sqlite_path, timeout=30)) as db:
                # Django's REGEXP, which the CHECK constraints use (integrity_check runs them).
                db.create_function(
                    "REGEXP", 2, lambda pattern, value: bool(re.search(pattern, value or ""))
                )
                return db.execute(statement.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.url, connect_timeout=10, autocommit=True) as db:
            return db.execute(statement, params).fetchall()

    def access_keys(self, account_id: str) -> list[dict[str, Any]]:
        columns = [
            "access_key_id",
            "slot",
            "status",
            "secret_ciphertext",
            "last_used_at",
            "last_used_region",
            "last_used_service",
        ]
        rows = self.query(
            f"SELECT {', '.join('k.' + c for c in columns)} FROM keys_accesskey k "  # noqa: S608
            "JOIN accounts_rootuser u ON u.id = k.owner_id WHERE u.account_id = %s "
            "ORDER BY k.slot",
            [account_id],
        )
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def create_events(self, account_id: str) -> set[str]:
        rows = self.query(
            "SELECT e.access_key_id FROM accounts_event e JOIN accounts_rootuser u "
            "ON u.id = e.account_id WHERE u.account_id = %s AND e.action = 'CreateAccessKey'",
            [account_id],
        )
        return {row[0] for row in rows}


def manage(database: Database, *args: str, stdin: str = "", timeout: float = 120) -> str:
    """Run manage.py against the servers' database, as an operator would."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=database.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def base_env(var_dir: Path) -> dict[str, str]:
    """The environment of a deployment: its own secrets, its own VAR_DIR, nothing of ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TEST_DATABASE_URL", "SQLITE_TEST_NAME", "DJANGO_DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="console.settings",
        DJANGO_ENV="local",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        KEYS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def sqlite_database(var_dir: Path) -> Iterator[Database]:
    database = Database(
        vendor="sqlite", env=base_env(var_dir), sqlite_path=var_dir / "console.sqlite3"
    )
    manage(database, "migrate", "--no-input", "-v", "0")
    yield database


def postgres_server_url() -> str | None:
    """Where the suite may make PostgreSQL databases: DATABASE_URL when the suite itself runs
    on PostgreSQL, else TEST_DATABASE_URL (what CI and `make test` set)."""
    for name in ("DATABASE_URL", "TEST_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return url
    return None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/" + name).geturl()


@contextlib.contextmanager
def postgres_database(var_dir: Path, server_url: str) -> Iterator[Database]:
    """A throwaway database on the given server, migrated; dropped on the way out, even
    with connections still open."""
    name = f"test_race_{secrets.token_hex(4)}"
    admin_url = _with_database(server_url, "postgres")
    try:
        admin = psycopg.connect(admin_url, connect_timeout=10, autocommit=True)
    except psycopg.OperationalError as error:
        raise AssertionError(
            f"PostgreSQL at {urlsplit(server_url).netloc} is unreachable, and the suite was "
            f"asked to test on it: {error}"
        ) from error
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            url = _with_database(server_url, name)
            env = base_env(var_dir) | {"DATABASE_URL": url}
            database = Database(vendor="postgresql", env=env, url=url)
            manage(database, "migrate", "--no-input", "-v", "0")
            yield database
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -------------------------------------------------------------------------------- servers


Gunicorn = Server  # a gunicorn master and its workers, as bench/harness.py starts them


@contextlib.contextmanager
def gunicorns(
    database: Database,
    tmp_path: Path,
    *,
    count: int = 1,
    workers: int = 2,
    env: dict[str, str] | None = None,
) -> Iterator[list[Gunicorn]]:
    """``count`` gunicorns serving console.wsgi on the database, as `make run` serves it."""
    servers = [
        gunicorn(
            f"gunicorn-{n}",
            "console.wsgi",
            env=database.env | {"WEB_CONCURRENCY": str(workers)} | (env or {}),
            log_path=tmp_path / f"gunicorn-{n}.log",
        )
        for n in range(count)
    ]
    try:
        for server in servers:
            server.start().wait_ready(timeout=START_TIMEOUT)
        yield servers
    finally:
        for server in servers:
            server.stop()


# -------------------------------------------------------------------------------- clients


class Browser(harness.Browser):
    """A console session (bench/harness.py) with the key actions the tests take."""

    def create_key(self, **kwargs: Any) -> Response:
        return self.post("/iam/security_credentials/access-keys/create", **kwargs)

    def create_key_with_secret(self) -> tuple[str, str]:
        """Create Access Key, then Download Key File: (access key ID, secret)."""
        created = self.create_key()
        access_key_id = created_key_id(created)
        assert access_key_id, created.headers.get("location")
        rootkey = self.get(f"/iam/security_credentials/access-keys/{access_key_id}/rootkey.csv")
        rows = list(csv.reader(io.StringIO(rootkey.text)))
        assert rows[0] == ["Access key ID", "Secret access key"], rows
        assert rows[1][0] == access_key_id
        return access_key_id, rows[1][1]

    def delete_key(self, access_key_id: str) -> Response:
        return self.post(
            f"/iam/security_credentials/access-keys/{access_key_id}/delete",
            {"confirmation": access_key_id},
        )


def _location_path(response: Response) -> str:
    """Where a redirect points, without its query and fragment."""
    return urlsplit(response.headers.get("location", "")).path if response.status == 302 else ""


def created_key_id(response: Response) -> str | None:
    """The key a console create made, from its redirect to the Create Access Key dialog."""
    match = re.fullmatch(
        r"/iam/security_credentials/access-keys/(AKIA[A-Z2-7]{16})/created",
        _location_path(response),
    )
    return match.group(1) if match else None


def is_console_limit_redirect(response: Response) -> bool:
    """What the console answers a create at the limit without JavaScript: a redirect back
    to the credentials page."""
    return _location_path(response) == "/iam/security_credentials"


def is_console_limit(browser: Browser, response: Response, base_url: str) -> bool:
    """The limit answer, and the page it leads to shows the limit note."""
    if not is_console_limit_redirect(response):
        return False
    location = urlsplit(response.headers["location"])
    page = browser.get(f"{location.path}?{location.query}", base_url=base_url)
    return page.status == 200 and LIMIT_MESSAGE in page.text


def signed_api_request(
    *,
    url: str,
    access_key_id: str,
    secret: str,
    params: dict[str, str],
    service: str,
    region: str = "us-east-1",
) -> tuple[bytes, dict[str, str]]:
    """A Query API request signed exactly as botocore signs it: (body, headers)."""
    version = "2011-06-15" if service == "sts" else "2010-05-08"
    return signed_query(
        url,
        access_key_id=access_key_id,
        secret=secret,
        service=service,
        params={"Version": version, **params},
        region=region,
    )


def signed_identity_request(
    url: str, access_key_id: str, secret: str
) -> tuple[bytes, dict[str, str]]:
    """STS GetCallerIdentity to ``url``, signed as botocore signs it: (body, headers)."""
    return signed_api_request(
        url=url,
        access_key_id=access_key_id,
        secret=secret,
        params={"Action": "GetCallerIdentity"},
        service="sts",
    )


def api_call(
    base_url: str,
    *,
    access_key_id: str,
    secret: str,
    action: str,
    service: str = "iam",
    region: str = "us-east-1",
    params: dict[str, str] | None = None,
) -> Response:
    body, headers = signed_api_request(
        url=f"{base_url}/api",
        access_key_id=access_key_id,
        secret=secret,
        params={"Action": action, **(params or {})},
        service=service,
        region=region,
    )
    return http_request(base_url, "POST", "/api", body=body, headers=headers)


@dataclass
class Account:
    email: str
    account_id: str
    browser: Browser  # signed in, past the root-credentials warning


def new_account(database: Database, server: Gunicorn) -> Account:
    """A root user made with createrootuser, signed in through the console's own forms."""
    email = f"root-{secrets.token_hex(4)}@example.com"
    manage(database, "createrootuser", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    ((account_id,),) = database.query(
        "SELECT account_id FROM accounts_rootuser WHERE email = %s", [email]
    )
    browser = Browser(server.url).sign_in(email, PASSWORD)
    return Account(email=email, account_id=account_id, browser=browser)


def in_process_api_call(
    *,
    access_key_id: str,
    secret: str,
    action: str,
    service: str = "iam",
    params: dict[str, str] | None = None,
) -> Any:
    """The same signed request, served in-process by console.wsgi.application."""
    from tests.wsgi import WsgiClient  # imports the project's WSGI application

    body, headers = signed_api_request(
        url="http://testserver/api",
        access_key_id=access_key_id,
        secret=secret,
        params={"Action": action, **(params or {})},
        service=service,
    )
    content_type = headers.pop("Content-Type")
    return WsgiClient().post(
        "/api", body, content_type=content_type, headers={**headers, "Host": "testserver"}
    )


def xml_code(response: Response) -> str | None:
    match = re.search(r"<Code>([^<]+)</Code>", response.text)
    return match.group(1) if match else None


# ----------------------------------------------------------------------------- TCP proxy


class TcpProxy:
    """A loopback TCP proxy we can pull the plug on: stop() refuses new connections and cuts
    the open ones, as a database that went away would; start() again serves on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()

    def start(self) -> "TcpProxy":
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._running.set()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        if self._accepting is not None:
            self._accepting.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            cut, self._open = self._open, set()
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while self._running.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open -= {source, sink}
