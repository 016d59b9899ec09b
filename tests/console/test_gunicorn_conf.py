"""console/gunicorn.conf.py's worker_exit: a worker that ends cleanly skips Python's shutdown
(after closing its database connections and flushing its logs); one ending with an error code
exits the ordinary way; and recycled workers go on serving."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.servers import api_call, gunicorns, new_account, sqlite_database

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "console" / "gunicorn.conf.py"

# A worker's last moments, as gunicorn's Arbiter.spawn_worker ends them: sys.exit(code), then
# the worker_exit hook in its `finally`. Before that, the process holds what a worker holds: an
# open SQLite connection in WAL mode with a write behind it, a log record still buffered, and
# an exit handler standing for the interpreter's own shutdown.
WORKER_ENDING = textwrap.dedent(
    """
    import atexit, logging, logging.handlers, runpy, sys
    from pathlib import Path

    out, code = Path(sys.argv[1]), int(sys.argv[2])
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                               "NAME": str(out / "db.sqlite3")}}
    )
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE used (x)")
        cursor.execute("INSERT INTO used VALUES (1)")
    assert (out / "db.sqlite3-wal").exists()

    buffered = logging.handlers.MemoryHandler(100, target=logging.FileHandler(out / "log.txt"))
    logging.getLogger("worker").addHandler(buffered)
    logging.getLogger("worker").warning("the last request's log line")
    atexit.register(lambda: (out / "shutdown-ran").write_text("yes"))

    worker_exit = runpy.run_path(sys.argv[3])["worker_exit"]
    try:
        sys.exit(code)
    finally:
        worker_exit(None, None)
    """
)


def _end_worker(tmp_path: Path, code: int) -> subprocess.CompletedProcess:
    script = tmp_path / "worker.py"
    script.write_text(WORKER_ENDING)
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), str(tmp_path), str(code), str(CONF)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_clean_worker_exit_skips_the_interpreter_shutdown_but_closes_and_flushes(
    tmp_path: Path,
) -> None:
    ended = _end_worker(tmp_path, 0)

    assert ended.returncode == 0, ended.stderr
    assert not (tmp_path / "shutdown-ran").exists()  # Python's shutdown never ran
    # The connection was closed: SQLite removes the WAL file when its last connection closes.
    assert not (tmp_path / "db.sqlite3-wal").exists()
    assert "the last request's log line" in (tmp_path / "log.txt").read_text()


def test_a_worker_ending_with_an_error_code_exits_the_ordinary_way(tmp_path: Path) -> None:
    ended = _end_worker(tmp_path, 3)  # gunicorn's WORKER_BOOT_ERROR

    assert ended.returncode == 3, ended.stderr
    assert (tmp_path / "shutdown-ran").read_text() == "yes"


@pytest.mark.xdist_group("servers")
def test_recycled_workers_go_on_serving_pages_and_signed_calls(tmp_path: Path) -> None:
    # One worker, recycled after every 3 requests (the command line overrides the file).
    recycling = {"GUNICORN_CMD_ARGS": "--max-requests 3 --max-requests-jitter 0"}
    with (
        sqlite_database(tmp_path) as database,
        gunicorns(database, tmp_path, workers=1, env=recycling) as (server,),
    ):
        account = new_account(database, server)
        key_id, secret = account.browser.create_key_with_secret()
        workers = set()
        for _ in range(6):
            workers.update(server.worker_pids())
            page = account.browser.get("/iam/security_credentials")
            assert page.status == 200
            assert key_id in page.text
            workers.update(server.worker_pids())
            identity = api_call(
                server.url,
                access_key_id=key_id,
                secret=secret,
                action="GetCallerIdentity",
                service="sts",
            )
            assert identity.status == 200, identity.text
            assert account.account_id in identity.text

        log = server.log_path.read_text(errors="replace")  # whole: Gunicorn.log() is a tail
        assert log.count("Autorestarting worker after current request") >= 3
        assert len(workers) >= 3  # the worker was really replaced, more than once
        assert "exited with code" not in log  # every recycled worker exited with 0
        assert "Exception during worker exit" not in log


@pytest.mark.parametrize("proxies", ["", "10.0.0.0/8", " 10.1.2.3 , 192.168.1.1/24,2001:db8::/32"])
def test_gunicorn_trusts_forwarded_headers_from_exactly_the_django_trusted_proxies(
    proxies: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runpy

    from gunicorn.config import Config

    monkeypatch.setenv("DJANGO_TRUSTED_PROXIES", proxies)
    conf = runpy.run_path(str(CONF))
    gunicorn = Config()
    gunicorn.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    settings = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert repr(gunicorn.forwarded_allow_ips) == settings.stdout.strip()
    assert "127.0.0.1" not in gunicorn.forwarded_allow_ips  # gunicorn's own default
