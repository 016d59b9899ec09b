"""`make bench-instructions`: CPU instructions per request, counted by valgrind, as ratios.

`make bench` measures requests a second under load. On a shared machine those figures swing by
tens of per cent while it runs (its "steady machine" line says when), which hides any change
of a few per cent. Instructions are counted, not timed: the same build on the same requests
gives the same count within about 0.1%, whatever else the machine is doing. So this is how to
tell whether a change to the request path made it cheaper, before `make bench` says what that
is worth under load.

For each request, the application runs in-process (no server, no sockets: gunicorn's share
is not counted) under ``valgrind --tool=callgrind``, twice: WARM + LOW and WARM + HIGH times.
The difference, divided by HIGH - LOW, is the cost of one request; start-up and warm-up cancel
out. The console runs on its own copy of a database seeded as `make bench` seeds it, signed in
through its own forms; the API requests are signed by botocore. Two counts run at a time.

Environment: BENCH_ACCOUNTS (as `make bench`), BENCH_INSTRUCTIONS_REQUESTS=100 (HIGH - LOW),
BENCH_TARGETS=a,b (names as in the table).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import control  # bench/control.py: the same servers and seeding
import load  # bench/load.py: the same sign-in and signed requests

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"
REPLAY = control.BENCH / "replay_inprocess.py"
WARM, LOW = 20, 20
HIGH = LOW + control.env_int("BENCH_INSTRUCTIONS_REQUESTS", 100)
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


@dataclass
class CountedRequest:
    name: str
    label: str
    app: str  # "console", "ceiling" or "stock_signed_in"
    spec: load.Spec
    var: Path  # the app's VAR_DIR (its database), copied for each count
    env: dict[str, str] = field(default_factory=dict)  # what else its app needs
    count: int = 0


def instructions(target: CountedRequest, tmp: Path, requests: int) -> int:
    """Instructions valgrind counts for WARM + ``requests`` calls of the target."""
    own_var = tmp / f"var-{target.name}-{requests}"
    shutil.copytree(target.var, own_var)  # each count on its own copy: no run sees another's writes
    spec_file = tmp / f"{target.name}-{requests}.json"
    spec_file.write_text(json.dumps(asdict(target.spec)))
    env = control.base_env() | target.env | {"VAR_DIR": str(own_var), "PYTHONHASHSEED": "0"}
    argv = [
        VALGRIND,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        str(control.PROJECT_PY),
        str(REPLAY),
        target.app,
        str(spec_file),
        str(WARM + requests),
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise control.BenchError(f"{target.name} under valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    if not Path(VALGRIND).exists():
        raise control.BenchError("valgrind is not installed (as root: apt-get install valgrind)")
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    try:
        console, root = control.prepare_console(tmp)
        key = root["keys"][0]
        try:
            control.start([console], [])
            cookie = load.sign_in(console, root)
            # Temporary credentials from the real GetSessionToken (an hour: enough for a run).
            session = load.SessionCredentials(console, key["id"], key["secret"]).current(0)
        finally:
            console.stop()
        stock, stock_session = control.stock_signed_in_server(tmp)  # seeded, not started
        var = Path(console.env["VAR_DIR"])

        def api(service: str, params: dict[str, str]) -> load.Spec:
            return load.signed_query(console.url, "/api", service, params, key["id"], key["secret"])

        def session_api(service: str, params: dict[str, str]) -> load.Spec:
            return load.signed_query(console.url, "/api", service, params, *session)

        def counted(name: str, label: str, spec: load.Spec) -> CountedRequest:
            return CountedRequest(name, label, "console", spec, var)

        targets = [
            CountedRequest(
                "ceiling", 'ceiling (Django "ok")', "ceiling", load.Spec("GET", "/ok"), var
            ),
            counted(
                "healthz",
                "console /healthz (every middleware)",
                load.Spec("GET", "/healthz", {"Host": "127.0.0.1:8000"}),
            ),
            counted(
                "console-api-sts",
                "console /api GetCallerIdentity",
                api("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
            ),
            counted(
                "console-api-sts-session",
                "console /api GetCallerIdentity, session",
                session_api("sts", load.STS_IDENTITY),
            ),
            counted(
                "console-api-iam",
                "console /api ListAccessKeys",
                api("iam", {"Action": "ListAccessKeys", "Version": "2010-05-08"}),
            ),
            counted(
                "console-floor",
                "console empty signed-in page",
                load.signed_in_get(console, cookie, control.FLOOR_PATH),
            ),
            counted(
                "console-page",
                "console credentials page",
                load.signed_in_get(console, cookie, control.PAGE_PATH),
            ),
            CountedRequest(
                "stock-signed-in",
                "stock Django signed-in page",
                "stock_signed_in",
                load.signed_in_get(stock, stock_session["cookie"], control.STOCK_PAGE_PATH),
                Path(stock.env["VAR_DIR"]),
                env={"STOCK_SECRET_KEY": stock.env["STOCK_SECRET_KEY"]},
            ),
        ]
        wanted = [t for t in os.environ.get("BENCH_TARGETS", "").split(",") if t]
        if wanted:
            targets = [t for t in targets if t.name in wanted or t.name == "ceiling"]
        runs = 2 * len(targets)
        control.log(f"{runs} valgrind runs, two at a time ({HIGH - LOW} requests apart)")
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = {
                (target.name, requests): pool.submit(instructions, target, tmp, requests)
                for target in targets
                for requests in (LOW, HIGH)
            }
        for target in targets:
            low, high = (counted[target.name, requests].result() for requests in (LOW, HIGH))
            target.count = round((high - low) / (HIGH - LOW))
            control.log(f"{target.name}: {target.count:,} instructions a request")
        print(report(targets))
        control.log(f"total {time.monotonic() - began:.0f} s")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(targets: list[CountedRequest]) -> str:
    ceiling = next(t.count for t in targets if t.name == "ceiling")
    lines = [
        "",
        f"{'request (in-process, no server)':44} {'instructions':>14} {'÷ ceiling':>10}",
    ]
    for target in targets:
        lines.append(f"{target.label:44} {target.count:>14,} {target.count / ceiling:>9.2f}×")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except control.BenchError as error:
        control.log(f"FAILED: {error}")
        sys.exit(1)
