"""`make bench`: the console under load, side by side with its peers, as ratios.

Runs with bench/.venv's Python (botocore, matplotlib); the console and the ceiling run with the
project's own .venv, exactly as `make run` serves the console. Every server gets its own free
loopback port; every wait is bounded; every server started is stopped (its whole process
group) whatever happens. The run fails loudly (exit 1) when a server does not start, a
preflight request is wrong, or any measured request errors.

Here is the order of a run; control.py starts and stops the servers, load.py makes and
replays the requests, report.py writes what came of it.

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

import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from control import (
    DURATION,
    FLOOR_PATH,
    MOTO_SERVER,
    ONLY,
    OUT,
    PAGE_PATH,
    PROJECT_GUNICORN,
    PROJECT_PY,
    REPEAT,
    ROOT,
    STOCK_PAGE_PATH,
    WAIT_QUIET,
    WARMUP,
    BenchError,
    ceiling_server,
    log,
    moto_credentials,
    moto_server,
    prepare_console,
    start,
    stock_signed_in_server,
    stop,
)
from harness import Server
from load import (
    IAM_LIST_KEYS,
    STARTED,
    STS_IDENTITY,
    WRK,
    SessionCredentials,
    Spec,
    Target,
    median_of,
    preflight,
    sign_in,
    signed_in_get,
    signed_query,
    wait_for_quiet,
    wrk,
)
from report import build_report, plot, quiet_verdict, steady_verdict, versions


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
        start([console, moto, ceiling, stock], servers)
        STARTED.extend(servers)
        workers = len(console.worker_pids())
        log(f"all servers up ({workers} console workers)")

        key = root["keys"][0]
        moto_key = moto_credentials(moto)
        cookie = sign_in(console, root)
        log("signed in through the console's forms")

        def api(service: str, params: dict[str, str]):  # noqa: ANN202
            return lambda: signed_query(
                console.url, "/api", service, params, key["id"], key["secret"]
            )

        # Temporary credentials from the real GetSessionToken, fresh enough for each run.
        session = SessionCredentials(console, key["id"], key["secret"])

        def session_api(service: str, params: dict[str, str]):  # noqa: ANN202
            return lambda: signed_query(
                console.url, "/api", service, params, *session.current(WARMUP + DURATION)
            )

        def peer(service: str, params: dict[str, str]):  # noqa: ANN202
            return lambda: signed_query(moto.url, "/", service, params, *moto_key)

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
                "console-api-sts-session",
                "console /api GetCallerIdentity, session credentials",
                console,
                session_api("sts", STS_IDENTITY),
                expect=f"arn:aws:iam::{root['account_id']}:root",
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
                    f"round {round_no}/{REPEAT} {target.name:<23} {result['rps']:>8,.0f} req/s"
                    f"  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:7.2f} ms"
                    f"  errors {result['errors']}{problems}"
                    f"  (other processes: {result['foreign_cpu']:.0%} CPU)"
                )
        # The servers must have lived through it all.
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.name} died during the run:\n{server.log_tail()}")

        runtime = time.monotonic() - began
        meta = versions() | {
            "command": _command(),
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
        stop(servers)
        shutil.rmtree(tmp, ignore_errors=True)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through main's finally: servers are stopped


def _command() -> str:
    """What ran: make's target, named by the output it writes, and any knob set otherwise."""
    named = {"latest": "make bench", "quick": "make bench-quick"}.get(OUT.name)
    own = ("BENCH_DURATION", "BENCH_REPEAT", "BENCH_OUT") if OUT.name == "quick" else ()
    knobs = [
        f"{name}={value}"
        for name, value in sorted(os.environ.items())
        if name.startswith("BENCH_") and name not in own
    ]
    return " ".join([*knobs, named or "bench/run.py"])


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"\nbench FAILED: {error}", file=sys.stderr)
        sys.exit(1)
