"""`make bench`'s load: the requests (signed API calls, signed-in pages), each checked once
before it is measured, then replayed by wrk, with the CPU that other processes took meanwhile."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness
from control import BENCH, CONNECTIONS, PAGE_PATH, REGION, THREADS, BenchError, log
from harness import Server

WRK = shutil.which("wrk") or "/usr/bin/wrk"
REPLAY_LUA = BENCH / "replay.lua"
NOISY = 0.10  # other processes' share of the CPU above which a run counts as disturbed
STS_IDENTITY = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
IAM_LIST_KEYS = {"Action": "ListAccessKeys", "Version": "2010-05-08"}
# A root user's sessions last at most an hour (keys/session_tokens.py); ask for all of it.
STS_SESSION_TOKEN = {
    "Action": "GetSessionToken",
    "Version": "2011-06-15",
    "DurationSeconds": "3600",
}


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
    base: str,
    path: str,
    service: str,
    params: dict[str, str],
    key_id: str,
    secret: str,
    session_token: str | None = None,
) -> Spec:
    """A form POST signed with botocore's own SigV4 signer, as boto3 would send it (with
    temporary credentials: X-Amz-Security-Token, signed)."""
    url = base + path
    body, signed = harness.signed_query(
        url,
        access_key_id=key_id,
        secret=secret,
        service=service,
        params=params,
        region=REGION,
        session_token=session_token,
    )
    headers = {"Host": urllib.parse.urlsplit(url).netloc}  # as signed, and as wrk sends it
    headers |= {k: v for k, v in signed.items() if k.lower() not in ("host", "content-length")}
    return Spec("POST", path, headers, body.decode())


def send(spec: Spec, base: str, timeout: float = 15) -> tuple[int, str]:
    """One request exactly as wrk will send it: redirects are answers, not followed."""
    response = harness.http_request(
        base,
        spec.method,
        spec.path,
        body=spec.body.encode() if spec.body else None,
        headers=spec.headers,
        timeout=timeout,
    )
    return response.status, response.text


class SessionCredentials:
    """Temporary credentials from the console's real STS GetSessionToken, asked for with the
    bench root user's long-term key, through /api as an SDK would. ``current(seconds)`` gives
    credentials that outlast the next ``seconds`` (a wrk run), asking for new ones when the
    old would expire during it: a session lasts an hour, a long `make bench` may not."""

    MARGIN = timedelta(seconds=60)

    def __init__(self, console: Server, key_id: str, secret: str) -> None:
        self.console, self.key_id, self.secret = console, key_id, secret
        self.issued = 0
        self._creds: tuple[str, str, str] | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)

    def current(self, seconds: float) -> tuple[str, str, str]:
        """(access key ID, secret, session token), valid for at least ``seconds`` more."""
        if (
            self._creds is None
            or datetime.now(UTC) + timedelta(seconds=seconds) + self.MARGIN >= self._expires
        ):
            self._issue()
        if self._creds is None:  # _issue() sets them or raises
            raise BenchError("no session credentials")
        return self._creds

    def _issue(self) -> None:
        spec = signed_query(
            self.console.url, "/api", "sts", STS_SESSION_TOKEN, self.key_id, self.secret
        )
        status, body = send(spec, self.console.url)
        if status != 200:
            raise BenchError(f"GetSessionToken answered HTTP {status}:\n{body[:1500]}")
        # The console's own XML, under test: plain ElementTree, as the tests parse it.
        answer = ET.fromstring(body)  # noqa: S314
        found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in answer.iter()}
        try:
            self._creds = (
                found["AccessKeyId"],
                found["SecretAccessKey"],
                found["SessionToken"],
            )
            self._expires = datetime.fromisoformat(found["Expiration"].replace("Z", "+00:00"))
        except (KeyError, ValueError) as error:
            raise BenchError(f"GetSessionToken's answer lacks {error}:\n{body[:1500]}") from None
        self.issued += 1
        log(
            f"GetSessionToken: session credentials {found['AccessKeyId'][:8]}… until"
            f" {self._expires:%H:%M:%S} UTC"
        )


def sign_in(console: Server, root: dict) -> str:
    """Sign in through the console's own forms; returns the Cookie header for the page."""
    try:
        browser = harness.Browser(console.url).sign_in(root["email"], root["password"])
    except harness.HarnessError as error:
        raise BenchError(str(error)) from None
    page = browser.get(PAGE_PATH)
    if page.status != 200 or root["keys"][0]["id"] not in page.text:
        raise BenchError(f"signed in, but {PAGE_PATH} answered {page.status} without the keys")
    return browser.cookie_header()


def signed_in_get(server: Server, cookie: str, path: str) -> Spec:
    """A browser's GET of a signed-in page, with the session's Cookie header (sign_in()'s for
    the console, the seed's for the stock signed-in app)."""
    return Spec(
        "GET", path, {"Host": f"127.0.0.1:{server.port}", "Cookie": cookie, "Accept": "text/html"}
    )


@dataclass
class Target:
    name: str
    label: str
    server: Server
    make_spec: Callable[[], Spec]  # called just before each run (signatures are time-bound)
    ok_status: int = 200
    expect: str = ""
    skipped: str = ""  # why it is not measured
    runs: list[dict] = field(default_factory=list)


def preflight(target: Target) -> None:
    status, body = send(target.make_spec(), target.server.url)
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
        target.server.url,
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
