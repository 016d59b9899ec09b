"""`make bench`'s server control: paths and knobs, the console's database (migrated and
seeded as `make run` would), and the servers (the console, moto, the ceiling, stock Django's
signed-in page), each a bench/harness.py Server on a free loopback port, stopped with its
whole process group."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import harness  # bench/harness.py, shared with the tests
from harness import Server

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROJECT_PY = ROOT / ".venv" / "bin" / "python"
PROJECT_GUNICORN = harness.GUNICORN
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
REGION = "us-east-1"
PAGE_PATH = "/iam/security_credentials"
FLOOR_PATH = "/iam/users"  # the emptiest signed-in page: the header and a short panel
STOCK_PAGE_PATH = "/page"  # bench/stock_signed_in's one page


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


ACCOUNTS = env_int("BENCH_ACCOUNTS", 1000)
DURATION = env_int("BENCH_DURATION", 10)
WARMUP = env_int("BENCH_WARMUP", 2)
REPEAT = env_int("BENCH_REPEAT", 3)
THREADS = env_int("BENCH_THREADS", 2)
CONNECTIONS = env_int("BENCH_CONNECTIONS", 16)
OUT = Path(os.environ.get("BENCH_OUT") or BENCH / "results" / "latest")
if not OUT.is_absolute():
    OUT = ROOT / OUT
WAIT_QUIET = env_int("BENCH_WAIT_QUIET", 60)
ONLY = {t for t in os.environ.get("BENCH_TARGETS", "").split(",") if t.strip()}


class BenchError(harness.HarnessError):
    """A loud failure: the message says what went wrong and where its log is."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    # The console is served in local mode on SQLite, whatever the caller's shell holds.
    for name in (
        "DATABASE_URL",
        "DJANGO_DEBUG",
        "DJANGO_ENV",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOWED_HOSTS",
        "GUNICORN_ACCESS_LOG",
        "VIRTUAL_ENV",
        "PYTHONPATH",
    ):
        env.pop(name, None)
    return env


def run_checked(argv: list[str], *, env: dict[str, str], timeout: float, what: str) -> str:
    try:
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{what} took longer than {timeout:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_console(tmp: Path) -> tuple[Server, dict]:
    """A fresh VAR_DIR: migrate and collectstatic as `make run` does, then seed; returns the
    console's server (not started) and the bench root user (email, password, keys)."""
    var = tmp / "var"
    var.mkdir()
    server = harness.gunicorn(
        "console",
        "console.wsgi",
        env=base_env() | {"VAR_DIR": str(var)},
        log_path=tmp / "console.log",
        ready_path="/signin",
    )
    manage = [str(PROJECT_PY), "manage.py"]
    log(f"console: migrate, collectstatic, seed {ACCOUNTS} accounts (VAR_DIR={var})")
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        run_checked(manage + command, env=server.env, timeout=300, what=f"manage.py {command[0]}")
    root_file = tmp / "root.json"
    began = time.monotonic()
    out = run_checked(
        [
            str(PROJECT_PY),
            str(BENCH / "seed.py"),
            "--accounts",
            str(ACCOUNTS),
            "--out",
            str(root_file),
        ],
        env=server.env,
        timeout=120 + ACCOUNTS / 500,
        what="bench/seed.py",
    )
    seeded = json.loads(out.strip().splitlines()[-1])
    seeded["seconds"] = round(time.monotonic() - began, 1)
    log(
        f"console: seeded {seeded['accounts']} accounts, {seeded['access_keys']} keys"
        f" via {seeded['filler_via']} in {seeded['seconds']} s"
    )
    root = json.loads(root_file.read_text())
    root["seeded"] = seeded
    return server, root


def bench_app_server(package: str, tmp: Path, ready_path: str, **env: str) -> Server:
    """One of bench/'s own Django apps (ceiling/, stock_signed_in/), served by gunicorn with
    the console's gunicorn.conf.py, so that only the app differs."""
    return harness.gunicorn(
        package,
        f"{package}.wsgi",
        env=base_env() | env,
        log_path=tmp / f"{package}.log",
        cwd=BENCH,
        extra_args=("--pythonpath", str(BENCH)),
        ready_path=ready_path,
    )


def ceiling_server(tmp: Path) -> Server:
    return bench_app_server("ceiling", tmp, "/ok")


def stock_signed_in_server(tmp: Path) -> tuple[Server, dict]:
    """Stock Django's signed-in page (bench/stock_signed_in), on its own SQLite database in its
    own VAR_DIR, with one user signed in by Django's own login(); returns the server and
    {"email", "cookie"}."""
    var = tmp / "stock_signed_in"
    var.mkdir()
    server = bench_app_server(
        "stock_signed_in",
        tmp,
        STOCK_PAGE_PATH,  # signed out: a redirect to the sign-in page, which is enough
        VAR_DIR=str(var),
        STOCK_SECRET_KEY=secrets.token_urlsafe(50),
    )
    out = run_checked(
        [str(PROJECT_PY), str(BENCH / "stock_signed_in" / "seed.py")],
        env=server.env,
        timeout=120,
        what="bench/stock_signed_in/seed.py",
    )
    return server, json.loads(out.strip().splitlines()[-1])


def moto_server(tmp: Path) -> Server:
    port = harness.free_port()
    return Server(
        name="moto",
        argv=[str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        env=base_env(),
        cwd=tmp,
        log_path=tmp / "moto.log",
        port=port,
        ready_path="/moto-api/",
    )


def moto_credentials(moto: Server) -> tuple[str, str]:
    """A moto IAM user with two keys: ListAccessKeys without UserName needs a known key."""
    import boto3
    from botocore.config import Config

    iam = boto3.client(
        "iam",
        endpoint_url=moto.url,
        region_name=REGION,
        aws_access_key_id="AKIAMOTOBENCH0000000",
        aws_secret_access_key="moto" * 10,
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30),
    )
    iam.create_user(UserName="bench")
    keys = [iam.create_access_key(UserName="bench")["AccessKey"] for _ in range(2)]
    return keys[0]["AccessKeyId"], keys[0]["SecretAccessKey"]


def start(servers: list[Server], started: list[Server]) -> None:
    """Start them all, then wait for each (each in `started` as soon as it runs)."""
    for server in servers:
        log(f"starting {server.name} on 127.0.0.1:{server.port}")
        started.append(server.start())
    for server in servers:
        try:
            server.wait_ready(timeout=60)
        except harness.HarnessError as error:
            raise BenchError(str(error)) from None


def stop(servers: list[Server]) -> None:
    for server in reversed(servers):
        try:
            server.stop()
            log(f"stopped {server.name}")
        except Exception as error:  # noqa: BLE001 - keep stopping the others
            print(f"bench: could not stop {server.name}: {error}", file=sys.stderr)
