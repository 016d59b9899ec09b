"""`make bench`: the console under load, side by side with its peers, as ratios.

Runs with bench/.venv's Python (botocore, matplotlib); the console and the ceiling run with the
project's own .venv, exactly as `make run` serves the console. Every server gets its own free
loopback port; every wait is bounded; every server started is stopped (its whole process
group) whatever happens. The run fails loudly (exit 1) when a server does not start, a
preflight request is wrong, or any measured request errors.

Environment (defaults are `make bench`'s; `make bench-quick` shortens them):

    BENCH_ACCOUNTS=1000     filler accounts seeded into the console's database (2 keys each)
    BENCH_DURATION=10       seconds per measured run        BENCH_WARMUP=2    seconds of warm-up
    BENCH_REPEAT=3          measurements per target (median reported, peers interleaved)
    BENCH_THREADS=2         wrk threads                     BENCH_CONNECTIONS=16
    BENCH_OUT=bench/results/latest   where the .md and .png go
    BENCH_TARGETS=a,b       only these targets (names as in the table), for quick looks
    BENCH_WAIT_QUIET=60     wait up to this long for other processes to leave the CPU idle
    WEB_CONCURRENCY         passed to both gunicorns, as `make run` would
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PROJECT_PY = ROOT / ".venv" / "bin" / "python"
PROJECT_GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = ROOT / "console" / "gunicorn.conf.py"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
REPLAY_LUA = BENCH / "replay.lua"
REGION = "us-east-1"
SIGNIN_EMAIL_FIELD = "email"
PAGE_PATH = "/iam/security_credentials"
WARNING_PATH = "/iam/security_credentials/warning"
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


class BenchError(Exception):
    """A loud failure: the message says what went wrong and where its log is."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    port: int = 0
    ready_path: str = "/"
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log(f"starting {self.name} on 127.0.0.1:{self.port}")
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with {self.process.returncode} before answering;"
                    f" its log ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                # Our own http://127.0.0.1 URL, never a user's: S310 does not apply.
                with urllib.request.urlopen(self.base + self.ready_path, timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # it answered: a 4xx/5xx is still a server that is up
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise BenchError(
            f"{self.name} did not answer within {timeout:.0f} s; its log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Any straggler left in the group (a worker that outlived its master) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        log(f"stopped {self.name}")

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the children of the master."""
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]


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
    """A fresh VAR_DIR: migrate and collectstatic as `make run` does, then seed."""
    var = tmp / "var"
    var.mkdir()
    env = base_env() | {"VAR_DIR": str(var), "HOST": "127.0.0.1", "PORT": str(free_port())}
    manage = [str(PROJECT_PY), "manage.py"]
    log(f"console: migrate, collectstatic, seed {ACCOUNTS} accounts (VAR_DIR={var})")
    run_checked(
        manage + ["migrate", "--no-input", "-v", "0"],
        env=env,
        timeout=300,
        what="manage.py migrate",
    )
    run_checked(
        manage + ["collectstatic", "--no-input", "-v", "0"],
        env=env,
        timeout=300,
        what="manage.py collectstatic",
    )
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
        env=env,
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
    server = Server(
        name="console",
        env=env,
        cwd=ROOT,
        log_path=tmp / "console.log",
        port=int(env["PORT"]),
        ready_path="/signin",
        # Exactly `make run`'s exec line.
        argv=[str(PROJECT_GUNICORN), "console.wsgi", "-c", "console/gunicorn.conf.py"],
    )
    return server, root


def bench_app_server(package: str, tmp: Path, ready_path: str, **env: str) -> Server:
    """One of bench/'s own Django apps (ceiling/, stock_signed_in/), served by gunicorn with
    the console's gunicorn.conf.py, so that only the app differs."""
    port = free_port()
    return Server(
        name=package,
        env=base_env() | {"HOST": "127.0.0.1", "PORT": str(port)} | env,
        cwd=BENCH,
        log_path=tmp / f"{package}.log",
        port=port,
        ready_path=ready_path,
        argv=[
            str(PROJECT_GUNICORN),
            f"{package}.wsgi",
            "-c",
            str(GUNICORN_CONF),
            "--pythonpath",
            str(BENCH),
        ],
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
    port = free_port()
    return Server(
        name="moto",
        env=base_env(),
        cwd=tmp,
        log_path=tmp / "moto.log",
        port=port,
        ready_path="/moto-api/",
        argv=[str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
    )


# --------------------------------------------------------------------------- requests


@dataclass
class Spec:
    """One HTTP request for wrk to replay."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def write(self, path: Path) -> None:
        lines = [self.method, self.path] + [f"{k}: {v}" for k, v in self.headers.items()]
        path.write_bytes(("\n".join(lines) + "\n\n" + self.body).encode())


def signed_query(
    base: str, path: str, service: str, params: dict[str, str], key_id: str, secret: str
) -> Spec:
    """A form POST signed with botocore's own SigV4 signer, as boto3 would send it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = base + path
    body = urllib.parse.urlencode(params)
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key_id, secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    parts = urllib.parse.urlsplit(url)
    headers = {"Host": parts.netloc}  # what SigV4Auth signed as `host`, and what wrk sends
    for name, value in prepared.headers.items():
        if name.lower() not in ("host", "content-length"):
            headers[name] = value
    return Spec("POST", parts.path, headers, body)


def send(spec: Spec, base: str, timeout: float = 15) -> tuple[int, str]:
    """One request exactly as wrk will send it: redirects are answers, not followed."""
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        base + spec.path,
        data=spec.body.encode() if spec.body else None,
        headers={k: v for k, v in spec.headers.items() if k != "Host"},
        method=spec.method,
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


STS_IDENTITY = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
IAM_LIST_KEYS = {"Action": "ListAccessKeys", "Version": "2010-05-08"}


def moto_credentials(moto: Server) -> tuple[str, str]:
    """A moto IAM user with two keys: ListAccessKeys without UserName needs a known key."""
    import boto3
    from botocore.config import Config

    iam = boto3.client(
        "iam",
        endpoint_url=moto.base,
        region_name=REGION,
        aws_access_key_id="AKIAMOTOBENCH0000000",
        aws_secret_access_key="moto" * 10,
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30),
    )
    iam.create_user(UserName="bench")
    keys = [iam.create_access_key(UserName="bench")["AccessKey"] for _ in range(2)]
    return keys[0]["AccessKeyId"], keys[0]["SecretAccessKey"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


def _csrf_field(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise BenchError("no csrfmiddlewaretoken in the form")
    return match.group(1)


def sign_in(console: Server, root: dict) -> str:
    """Sign in through the console's own forms; returns the Cookie header for the page.

    GET /signin (CSRF cookie), POST the email, POST the password, then the first visit to
    the credentials page lands on the root-credentials warning, which is POSTed through.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def fetch(path: str, fields: dict[str, str] | None = None, html: str = "") -> tuple[str, str]:
        data = None
        if fields is not None:
            fields = {"csrfmiddlewaretoken": _csrf_field(html)} | fields
            data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(console.base + path, data=data)  # noqa: S310
        with opener.open(request, timeout=30) as resp:  # follows redirects
            return urllib.parse.urlsplit(resp.geturl()).path, resp.read().decode(errors="replace")

    try:
        _, html = fetch("/signin")
        _, html = fetch("/signin", {SIGNIN_EMAIL_FIELD: root["email"]}, html)
        where, html = fetch("/signin/password", {"password": root["password"]}, html)
        if where.startswith("/signin"):
            raise BenchError(f"the password was refused (ended on {where})")
        where, html = fetch(PAGE_PATH)
        if where == WARNING_PATH:  # the first visit in a session
            where, html = fetch(WARNING_PATH, {}, html)
    except urllib.error.HTTPError as error:
        raise BenchError(f"signing in failed at {error.url}: HTTP {error.code}") from error
    if where != PAGE_PATH or root["keys"][0]["id"] not in html:
        raise BenchError(f"signed in, but ended on {where}, not the page listing the keys")
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise BenchError(f"no session cookie after signing in (cookies: {sorted(cookies)})")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def signed_in_get(server: Server, cookie: str, path: str) -> Spec:
    """A browser's GET of a signed-in page, with the session's Cookie header (sign_in()'s for
    the console, the seed's for the stock signed-in app)."""
    return Spec(
        "GET", path, {"Host": f"127.0.0.1:{server.port}", "Cookie": cookie, "Accept": "text/html"}
    )


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    name: str
    label: str
    server: Server
    make_spec: callable  # () -> Spec, called just before each run (signatures are time-bound)
    ok_status: int = 200
    expect: str = ""
    skipped: str = ""  # why it is not measured (e.g. the API is still a placeholder)
    runs: list[dict] = field(default_factory=list)


def preflight(target: Target) -> None:
    status, body = send(target.make_spec(), target.server.base)
    if status == 501 and target.name.startswith("console-api"):
        target.skipped = "the console's /api answers 501 (still a placeholder)"
        log(f"{target.name}: skipped, {target.skipped}")
        return
    if status != target.ok_status or (target.expect and target.expect not in body):
        raise BenchError(
            f"preflight {target.name}: HTTP {status}, expected {target.ok_status}"
            f"{' with ' + repr(target.expect) if target.expect else ''}:\n{body[:1500]}"
        )
    log(f"{target.name}: preflight OK (HTTP {status}, {len(body)} bytes)")


# Every server started, so that a run can tell its own CPU use from everyone else's.
STARTED: list[Server] = []
_TICKS = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """CPU ticks the whole machine spent busy (not idle, not waiting on I/O) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def _own_ticks() -> int:
    """CPU ticks of the bench's own processes: the servers' process groups (with the
    workers they have reaped) and the children this process has waited for (wrk)."""
    groups = {s.process.pid for s in STARTED if s.process and s.process.returncode is None}
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) in groups:  # pgrp
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + round((children.ru_utime + children.ru_stime) * _TICKS)


def wait_for_quiet(limit: int) -> None:
    """Wait (at most `limit` seconds) until the machine is near idle before measuring."""
    deadline = time.monotonic() + limit
    while True:
        before = _busy_ticks()
        time.sleep(2)
        busy = (_busy_ticks() - before) / (2 * (os.cpu_count() or 1) * _TICKS)
        if busy < NOISY:
            return
        if time.monotonic() >= deadline:
            log(f"the machine is still {busy:.0%} busy with other work; measuring anyway")
            return
        log(f"waiting for the machine to quieten ({busy:.0%} busy with other work)")
        time.sleep(3)


def wrk(target: Target, seconds: int, spec_path: Path) -> dict:
    target.make_spec().write(spec_path)
    busy_before, own_before, began = _busy_ticks(), _own_ticks(), time.monotonic()
    argv = [
        WRK,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(REPLAY_LUA),
        target.server.base,
        "--",
        str(spec_path),
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {target.name} did not finish in time") from error
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"wrk against {target.name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    capacity = (time.monotonic() - began) * (os.cpu_count() or 1) * _TICKS
    foreign = (_busy_ticks() - busy_before) - (_own_ticks() - own_before)
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = data["duration_us"] / 1e6
    statuses = {int(k): v for k, v in data["statuses"].items()}
    bad_status = sum(n for code, n in statuses.items() if code != target.ok_status)
    socket_errors = sum(v for k, v in data["errors"].items() if k != "status")
    lat = data["latency_us"]
    return {
        "rps": data["requests"] / seconds_run if seconds_run else 0.0,
        "requests": data["requests"],
        "foreign_cpu": max(0.0, foreign / capacity) if capacity else 0.0,
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "max_ms": lat["max"] / 1000,
        "bad_status": bad_status,
        "socket_errors": socket_errors,
        "errors": bad_status + socket_errors,
        "statuses": statuses,
        "error_detail": data["errors"],
    }


def median_of(target: Target) -> dict:
    runs = target.runs
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "spread": (max(r["rps"] for r in runs) - min(r["rps"] for r in runs))
        / (statistics.median(r["rps"] for r in runs) or 1),
        "requests": sum(r["requests"] for r in runs),
        "statuses": {
            code: sum(r["statuses"].get(code, 0) for r in runs)
            for code in sorted({c for r in runs for c in r["statuses"]})
        },
    }


# --------------------------------------------------------------------------- report


GOALS = [
    # (label, numerator, denominator, minimum ratio)
    ("console API ÷ moto, GetCallerIdentity", "console-api-sts", "moto-sts", 10.0),
    ("console API ÷ moto, ListAccessKeys", "console-api-iam", "moto-iam", 10.0),
    ("console API ÷ ceiling, GetCallerIdentity", "console-api-sts", "ceiling", 0.60),
    ("console API ÷ ceiling, ListAccessKeys", "console-api-iam", "ceiling", 0.60),
    ("credentials page ÷ ceiling", "console-page", "ceiling", 0.35),
]
# Ratios without a target, shown to explain the page's: the emptiest signed-in page (the
# same sign-in, middleware, session and user lookups and base template, but no key table)
# is the floor that no signed-in page can beat, whatever its own content costs.
# Stock Django's own signed-in page (bench/stock_signed_in: startproject's middleware, database
# sessions, contrib.auth, a two-line template) is the same floor for Django itself.
REFERENCES = [
    ("empty signed-in page ÷ ceiling", "console-floor", "ceiling"),
    ("credentials page ÷ empty signed-in page", "console-page", "console-floor"),
    ("stock Django signed-in page ÷ ceiling", "stock-signed-in", "ceiling"),
    ("credentials page ÷ stock Django signed-in page", "console-page", "stock-signed-in"),
]
TAIL_GOAL = 4.0
LABEL_WIDTH = 48  # the printed table's first column: the longest ratio label fits
NOISY = 0.10  # other processes' share of the CPU above which a run counts as disturbed
UNSTEADY = 0.20  # a target's spread of requests/s above which its runs disagree


def fmt_ratio(value: float, goal: float) -> str:
    return f"{value * 100:.0f}%" if goal < 1 else f"{value:.1f}×"


def quiet_verdict(targets: list[Target]) -> str:
    """How much other processes disturbed the runs, and whether any median depends on it."""
    foreign = [r["foreign_cpu"] for t in targets for r in t.runs]
    if not foreign:
        return "nothing was measured."
    text = (
        f"other processes used {statistics.mean(foreign):.0%} of the CPU on average during"
        f" the measured runs, {max(foreign):.0%} at worst"
    )
    disturbed = sum(1 for f in foreign if f > NOISY)
    # A median is safe while fewer than half of its target's runs were disturbed.
    unsafe = [
        t.label
        for t in targets
        if t.runs and 2 * sum(1 for r in t.runs if r["foreign_cpu"] > NOISY) >= len(t.runs)
    ]
    if unsafe:
        return (
            f"{text}: NO, the medians of {', '.join(unsafe)} rest on runs where other processes"
            f" took over {NOISY:.0%} of the CPU; run again when the machine is idle."
        )
    if disturbed:
        return (
            f"{text}: yes, enough; {disturbed} run(s) were disturbed (over {NOISY:.0%}), but no"
            " median rests on them."
        )
    return f"{text}: yes."


def steady_verdict(targets: list[Target]) -> str:
    """Whether the machine kept its speed: the spread of each target's runs. A busy neighbour
    on a shared host slows every process alike and shows in no process's CPU time, so a
    quiet machine can still give runs that differ; a ratio is then only as good as that."""
    spreads = {t.label: median_of(t)["spread"] for t in targets if len(t.runs) > 1}
    if not spreads:
        return "one run per target: not known."
    wide = {label: spread for label, spread in spreads.items() if spread > UNSTEADY}
    if not wide:
        return f"yes: every target's runs were within {UNSTEADY:.0%} of each other."
    listed = ", ".join(f"{label} {spread:.0%}" for label, spread in wide.items())
    return (
        f"NO, the runs of some targets differ by more than {UNSTEADY:.0%} (max − min ÷ median:"
        f" {listed}): the machine's speed changed during the run, so a ratio that is near its"
        " target can fall either side of it; run again, or with BENCH_REPEAT=5."
    )


def build_report(targets: list[Target], meta: dict) -> tuple[str, list[str]]:
    """Returns the Markdown report and the console table lines."""
    by_name = {t.name: t for t in targets}
    med = {t.name: median_of(t) for t in targets if t.runs}
    rows = [
        "| target | requests/s | p50 ms | p99 ms | p99/p50 | errors | req/s spread |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    table = [
        f"{'target':<{LABEL_WIDTH}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8}"
        f" {'errors':>7} {'spread':>7}"
    ]
    for t in targets:
        if t.skipped or t.name not in med:
            why = t.skipped or "not run"
            rows.append(f"| {t.label} | – | – | – | – | skipped: {why} | – |")
            table.append(f"{t.label:<{LABEL_WIDTH}} {'skipped: ' + why}")
            continue
        m = med[t.name]
        tail = m["p99_ms"] / m["p50_ms"] if m["p50_ms"] else float("inf")
        rows.append(
            f"| {t.label} | {m['rps']:,.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f}"
            f" | {tail:.1f} | {m['errors']} | {m['spread'] * 100:.0f}% |"
        )
        table.append(
            f"{t.label:<{LABEL_WIDTH}} {m['rps']:>9,.0f} {m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f}"
            f" {tail:>8.1f} {m['errors']:>7} {m['spread'] * 100:>6.0f}%"
        )

    ratio_rows = ["| ratio | value | target | |", "| --- | ---: | ---: | --- |"]
    table += ["", f"{'ratio':<{LABEL_WIDTH}} {'value':>9} {'target':>8}"]

    def ratio(num: str, den: str) -> float | None:
        if num in med and den in med and med[den]["rps"]:
            return med[num]["rps"] / med[den]["rps"]
        return None

    for label, num, den, goal in GOALS:
        if (value := ratio(num, den)) is not None:
            verdict = "PASS" if value >= goal else "FAIL"
            shown = fmt_ratio(value, goal)
        else:
            verdict, shown = "n/a", "–"
        want = "≥ " + fmt_ratio(goal, goal)
        ratio_rows.append(f"| {label} | {shown} | {want} | {verdict} |")
        table.append(f"{label:<{LABEL_WIDTH}} {shown:>9} {want:>8}  {verdict}")
    for label, num, den in REFERENCES:
        if (value := ratio(num, den)) is not None:
            shown = f"{value:.0%}"
            ratio_rows.append(f"| {label} | {shown} | – | reference |")
            table.append(f"{label:<{LABEL_WIDTH}} {shown:>9} {'–':>8}  reference")
    for t in targets:
        if t.name in med and med[t.name]["p50_ms"]:
            tail = med[t.name]["p99_ms"] / med[t.name]["p50_ms"]
            verdict = "PASS" if tail <= TAIL_GOAL else "FAIL"
            label = f"p99/p50, {t.label}"
            ratio_rows.append(f"| {label} | {tail:.1f} | ≤ {TAIL_GOAL:.0f} | {verdict} |")
            table.append(f"{label:<{LABEL_WIDTH}} {tail:>9.1f} {'≤ 4':>8}  {verdict}")

    runs_rows = [
        "| target | run | requests/s | p50 ms | p99 ms | max ms | statuses | socket errors"
        " | other processes' CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for t in targets:
        for i, r in enumerate(t.runs, 1):
            statuses = ", ".join(f"{c}×{n}" for c, n in sorted(r["statuses"].items()))
            sock = (
                ", ".join(f"{k} {v}" for k, v in r["error_detail"].items() if k != "status" and v)
                or "none"
            )
            runs_rows.append(
                f"| {t.label} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.2f}"
                f" | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {statuses} | {sock}"
                f" | {r['foreign_cpu']:.0%} |"
            )

    notes = [f"- {t.label}: skipped, {t.skipped}." for t in targets if t.skipped]
    md = "\n".join(
        [
            "# Benchmark: the console beside its peers",
            "",
            f"`{meta['command']}` on {meta['date']} (commit {meta['commit']}), {meta['runtime']}.",
            "",
            f"wrk {THREADS} threads, {CONNECTIONS} connections, {meta['duration']} s per run after"
            f" {meta['warmup']} s of warm-up, {meta['repeat']} run(s) per target, peers interleaved"
            " with the console in every round; the median of the runs is reported. Errors are"
            " socket errors plus responses other than 200, summed over the runs; the spread is"
            " (max − min) ÷ median of the runs' requests/s.",
            "",
            f"**Quiet machine?** {meta['quiet']}",
            "",
            f"**Steady machine?** {meta['steady']}",
            "",
            *rows,
            "",
            "Ratios of requests/s (informational targets; they never fail the run):",
            "",
            *ratio_rows,
            "",
            "![throughput and latency](" + OUT.name + ".png)",
            "",
            "## What was measured",
            "",
            "- **console**: `gunicorn console.wsgi -c console/gunicorn.conf.py` as `make run`"
            f" serves it (local mode, DEBUG off, {meta['workers']} sync workers), on a fresh"
            f" SQLite database in its own VAR_DIR seeded with {meta['seeded']['accounts']:,}"
            f" accounts and {meta['seeded']['access_keys']:,} access keys"
            f" ({meta['seeded']['filler_via']}, {meta['seeded']['seconds']} s).",
            "- **console /api**: form POSTs signed once per run with botocore's SigV4Auth by one"
            " of the bench root user's two keys, replayed by wrk (bench/replay.lua).",
            "- **credentials page**: GET /iam/security_credentials with the session cookie of a"
            " sign-in through the real forms (email, password, root-credentials warning).",
            "- **empty signed-in page**: GET /iam/users with the same cookie: the same request"
            " cycle as the credentials page (middleware, session and user lookups, base"
            " template) without the access-key table, so the least any signed-in page costs.",
            f"- **moto**: `moto_server` (moto {meta['moto']}), its own threaded Werkzeug server;"
            " the same two calls signed by a moto IAM user's key.",
            "- **stock Django signed-in page**: GET /page of bench/stock_signed_in with the session"
            " cookie of a user signed in by Django's login(): startproject's middleware,"
            " database sessions on SQLite, contrib.auth's User, Django's template engine, one"
            " view showing the user's email and a form with its CSRF token. What Django itself"
            " costs for a signed-in page, before any content; under the same gunicorn.conf.py.",
            '- **ceiling**: a Django view returning "ok" (bench/ceiling: no middleware, no'
            " database) under the same gunicorn.conf.py.",
            "",
            f"Machine: {meta['cpu']} ({meta['cores']} cores), Python {meta['python']},"
            f" Django {meta['django']}, gunicorn {meta['gunicorn']}, {meta['wrk']}."
            f" wrk runs on the same cores as the servers. Load average (1 min): {meta['load']}.",
            *([""] + notes if notes else []),
            "",
            "## Every run",
            "",
            *runs_rows,
            "",
        ]
    )
    _ = by_name
    return md, table


def plot(targets: list[Target], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [t for t in targets if t.runs and not t.skipped]
    if not measured:
        return
    labels = [t.label.replace(" ", "\n", 1) for t in measured]
    med = [median_of(t) for t in measured]
    colors = ["#ec7211" if t.name.startswith("console") else "#879196" for t in measured]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    bars = ax1.bar(range(len(measured)), [m["rps"] for m in med], color=colors)
    ax1.bar_label(bars, labels=[f"{m['rps']:,.0f}" for m in med], fontsize=8)
    ax1.set_title("Throughput (requests/s, median)")
    ax1.set_xticks(range(len(measured)), labels, rotation=30, ha="right", fontsize=8)
    width = 0.38
    xs = range(len(measured))
    ax2.bar(
        [x - width / 2 for x in xs], [m["p50_ms"] for m in med], width, label="p50", color="#0073bb"
    )
    ax2.bar(
        [x + width / 2 for x in xs], [m["p99_ms"] for m in med], width, label="p99", color="#d13212"
    )
    ax2.set_yscale("log")
    ax2.set_ylabel("ms (log scale)")
    ax2.set_title("Latency (median of runs)")
    ax2.set_xticks(list(xs), labels, rotation=30, ha="right", fontsize=8)
    ax2.legend()
    fig.suptitle(f"console vs peers: wrk -t{THREADS} -c{CONNECTIONS}, {DURATION} s × {REPEAT}")
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    tmp.replace(path)


def versions() -> dict:
    def project(module: str) -> str:
        try:
            return (
                subprocess.run(
                    [
                        str(PROJECT_PY),
                        "-c",
                        f"import {module}; print({module}.__version__)"
                        if module != "platform"
                        else "import platform; print(platform.python_version())",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                ).stdout.strip()
                or "?"
            )
        except subprocess.TimeoutExpired:
            return "?"

    from importlib.metadata import version

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [WRK, "-v"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.splitlines()[:1]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return {
        "django": project("django"),
        "gunicorn": project("gunicorn"),
        "python": project("platform").replace("?", "") or platform.python_version(),
        "moto": version("moto"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "wrk": " ".join(wrk_version[0].split()[:2]) if wrk_version else "wrk",
        "commit": commit.stdout.strip() or "?",
    }


# --------------------------------------------------------------------------- main


WRK = shutil.which("wrk") or "/usr/bin/wrk"


def main() -> int:
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) / 2:
        log(
            f"warning: the machine is busy (load average {load_before:.1f} on"
            f" {os.cpu_count()} cores); the numbers will be low and noisy"
        )
    if not Path(WRK).exists():
        raise BenchError("wrk is not installed (as root: apt-get install wrk)")
    for needed in (PROJECT_PY, PROJECT_GUNICORN, MOTO_SERVER):
        if not needed.exists():
            raise BenchError(f"{needed} is missing: run `make bench`, which installs it")
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    servers: list[Server] = []
    try:
        console, root = prepare_console(tmp)
        moto = moto_server(tmp)
        ceiling = ceiling_server(tmp)
        stock, stock_session = stock_signed_in_server(tmp)
        for server in (console, moto, ceiling, stock):
            servers.append(server)
            STARTED.append(server)
            server.start()
        for server in (console, moto, ceiling, stock):
            server.wait_ready(timeout=60)
        workers = len(console.worker_pids())
        log(f"all servers up ({workers} console workers)")

        key = root["keys"][0]
        moto_key = moto_credentials(moto)
        cookie = sign_in(console, root)
        log("signed in through the console's forms")

        def api(service: str, params: dict[str, str]):  # noqa: ANN202
            return lambda: signed_query(
                console.base, "/api", service, params, key["id"], key["secret"]
            )

        def peer(service: str, params: dict[str, str]):  # noqa: ANN202
            return lambda: signed_query(moto.base, "/", service, params, *moto_key)

        page = signed_in_get(console, cookie, PAGE_PATH)
        floor = signed_in_get(console, cookie, FLOOR_PATH)
        ok = Spec("GET", "/ok", {"Host": f"127.0.0.1:{ceiling.port}"})
        stock_page = signed_in_get(stock, stock_session["cookie"], STOCK_PAGE_PATH)
        targets = [
            Target(
                "console-api-sts",
                "console /api GetCallerIdentity",
                console,
                api("sts", STS_IDENTITY),
                expect=root["account_id"],
            ),
            Target(
                "moto-sts",
                "moto GetCallerIdentity",
                moto,
                peer("sts", STS_IDENTITY),
                expect="GetCallerIdentityResult",
            ),
            Target(
                "console-api-iam",
                "console /api ListAccessKeys",
                console,
                api("iam", IAM_LIST_KEYS),
                expect=key["id"],
            ),
            Target(
                "moto-iam",
                "moto ListAccessKeys",
                moto,
                peer("iam", IAM_LIST_KEYS),
                expect=moto_key[0],
            ),
            Target(
                "console-page", "console credentials page", console, lambda: page, expect=key["id"]
            ),
            Target(
                "console-floor",
                "console empty signed-in page",
                console,
                lambda: floor,
                expect=root["account_id"],
            ),
            Target(
                "stock-signed-in",
                "stock Django signed-in page",
                stock,
                lambda: stock_page,
                expect=stock_session["email"],
            ),
            Target("ceiling", 'ceiling (Django "ok")', ceiling, lambda: ok, expect="ok"),
        ]
        if ONLY:
            targets = [t for t in targets if t.name in ONLY]
        for target in targets:
            preflight(target)

        wait_for_quiet(WAIT_QUIET)
        spec_path = tmp / "request.spec"
        active = [t for t in targets if not t.skipped]
        for round_no in range(1, REPEAT + 1):
            for target in active:
                if WARMUP > 0:
                    wrk(target, WARMUP, spec_path)
                result = wrk(target, DURATION, spec_path)
                target.runs.append(result)
                problems = ""
                if result["errors"]:
                    problems = f" (statuses {result['statuses']}, socket {result['error_detail']})"
                log(
                    f"round {round_no}/{REPEAT} {target.name:<16} {result['rps']:>8,.0f} req/s"
                    f"  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:7.2f} ms"
                    f"  errors {result['errors']}{problems}"
                    f"  (other processes: {result['foreign_cpu']:.0%} CPU)"
                )
        # The servers must have lived through it all.
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.name} died during the run:\n{server.log_tail()}")

        runtime = time.monotonic() - began
        quick = OUT.name != "latest"
        meta = versions() | {
            "command": "make bench-quick" if quick else "make bench",
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "runtime": f"{runtime:.0f} s in all",
            "duration": DURATION,
            "warmup": WARMUP,
            "repeat": REPEAT,
            "workers": workers,
            "seeded": root["seeded"],
            "load": f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        }
        meta["quiet"] = quiet_verdict(targets)
        meta["steady"] = steady_verdict(targets)
        md, table = build_report(targets, meta)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        tmp_md = OUT.with_name(OUT.name + ".md.tmp")
        tmp_md.write_text(md)
        tmp_md.replace(OUT.with_name(OUT.name + ".md"))
        plot(targets, OUT.with_name(OUT.name + ".png"))
        print()
        print("\n".join(table))
        print()
        print(f"Quiet machine? {meta['quiet']}")
        print(f"Steady machine? {meta['steady']}")
        shown = OUT.relative_to(ROOT) if OUT.is_relative_to(ROOT) else OUT
        log(f"wrote {shown}.md and {shown}.png; total {runtime:.0f} s")
        failed = [t for t in targets if sum(r["errors"] for r in t.runs)]
        if failed:
            for t in failed:
                detail = median_of(t)["statuses"]
                print(
                    f"FAILED: {t.label} had {sum(r['errors'] for r in t.runs)} errored"
                    f" requests (statuses {detail})",
                    file=sys.stderr,
                )
            return 1
        return 0
    finally:
        for server in reversed(servers):
            try:
                server.stop()
            except Exception as error:  # noqa: BLE001 - keep stopping the others
                print(f"bench: could not stop {server.name}: {error}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through main's finally: servers are stopped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"\nbench FAILED: {error}", file=sys.stderr)
        sys.exit(1)
