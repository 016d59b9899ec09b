"""Where the console's time goes under load: py-spy on every gunicorn worker while wrk runs.

    bench/.venv/bin/python bench/profile.py            # after `make bench` made bench/.venv

Starts the console as `make run` serves it (a fresh VAR_DIR, seeded like `make bench`), signs
in, and for each target (the two signed API calls, the credentials page and the empty signed-in
page) records BENCH_PROFILE_SECONDS (default 15) of py-spy samples from all workers
(`--subprocesses`) under the same wrk load as the benchmark. Prints, per target, the share of
samples spent under each cost centre (middleware, session and user lookups, template rendering,
SigV4, database, ...), and the top functions by own and by inclusive time. Raw collapsed stacks
are kept in BENCH_PROFILE_OUT (default /tmp/bench-profiles) for flame graphs (e.g. speedscope).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import control  # bench/control.py: the same servers and seeding
import load  # bench/load.py: the same sign-in and signed requests

SECONDS = control.env_int("BENCH_PROFILE_SECONDS", 15)
RATE = control.env_int("BENCH_PROFILE_RATE", 200)
OUT_DIR = Path(os.environ.get("BENCH_PROFILE_OUT") or "/tmp/bench-profiles")
PY_SPY = Path(sys.executable).parent / "py-spy"

# Cost centres counted inclusively: a sample counts for each centre that one of its frames
# (as "path:function") contains. Only leaf-ward work, never the wrappers around everything.
CENTRES = [
    ("user lookup (auth get_user)", "django/contrib/auth/__init__.py:get_user"),
    (
        "session load (SessionStore.load)",
        "django/contrib/sessions/backends/db.py:SessionStore.load",
    ),
    ("session save", "django/contrib/sessions/backends/db.py:SessionStore.save"),
    ("template rendering (Jinja2)", "django/template/backends/jinja2.py:Template.render"),
    ("URL reverse", "django/urls/base.py:reverse"),
    ("URL resolve", "django/urls/resolvers.py:URLResolver.resolve"),
    ("ORM: building and compiling queries", "django/db/models/sql/compiler.py:SQLCompiler.as_sql"),
    ("compiled selects (console/compiled.py)", "console/compiled.py:CompiledSelect.rows"),
    ("ORM: query execution (cursor.execute)", "django/db/backends/utils.py:CursorWrapper.execute"),
    ("DB connection setup", "get_new_connection"),
    ("close_old_connections", "django/db/__init__.py:close_old_connections"),
    ("SigV4 (keys/sigv4.py)", "keys/sigv4.py:"),
    ("API XML (keys/api/xml.py)", "keys/api/xml.py:"),
    ("record last use (access_key_record_use)", "keys/services.py:access_key_record_use"),
    ("Fernet decrypt (keys/crypto.py)", "keys/crypto.py:"),
    ("CSP header (build_policy)", "django/utils/csp.py:"),
    ("CSRF token (Django's get_token)", "django/middleware/csrf.py:get_token"),
    ("logging", "logging/__init__.py:"),
    ("gunicorn: parsing the request", "gunicorn/http/"),
    ("gunicorn: writing the response", "gunicorn/http/wsgi.py:Response.write"),
]
_IDLE_LEAVES = ("selectors.py:", "gunicorn/workers/sync.py:SyncWorker.wait", "gunicorn/arbiter.py:")


def parse(raw: Path) -> list[tuple[list[str], int]]:
    """Worker stacks only (the master's are dropped), as short "path:function" frames."""
    stacks = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        processes = sum(1 for f in frames if f.startswith("process "))
        if processes < 2:
            continue  # the gunicorn master
        stacks.append(([short(f) for f in frames if not f.startswith("process ")], int(count)))
    return stacks


def short(frame: str) -> str:
    """'f (django/core/handlers/base.py:140)' -> 'django/core/handlers/base.py:f'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.13/", "python3.12/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{name}"


def stage(frames: list[str]) -> str:
    """Where in the request a sample is: the deepest middleware, the view, or outside."""
    deepest_mw, mw_at, view_at, django_at = "", -1, -1, -1
    for i, frame in enumerate(frames):
        path, _, func = frame.partition(":")
        if "Middleware" in func and not func.startswith("MiddlewareMixin"):
            deepest_mw, mw_at = func.split(".")[0], i
        elif path.endswith("middleware.py") and "Middleware" not in func:
            pass
        if frame == "django/core/handlers/base.py:BaseHandler._get_response":
            view_at = i
        if frame == "django/core/handlers/wsgi.py:WSGIHandler.__call__":
            django_at = i
    if view_at > mw_at:
        return "view (incl. decorators, process_view hooks outside middleware)"
    if mw_at >= 0:
        return f"{deepest_mw} (own work)"
    if django_at >= 0:
        return "Django handler (request/response objects, signals)"
    return "gunicorn outside Django (accept, parse, write)"


def summarize(name: str, stacks: list[tuple[list[str], int]]) -> str:
    idle = sum(n for frames, n in stacks if frames and frames[-1].startswith(_IDLE_LEAVES))
    busy = [(f, n) for f, n in stacks if not (f and f[-1].startswith(_IDLE_LEAVES))]
    total = sum(n for _, n in busy) or 1
    lines = [
        f"### {name}",
        "",
        f"{total} busy samples from all workers ({idle} more were workers waiting in"
        " select/accept and are left out).",
        "",
        "Where in the request (each sample once, by its deepest middleware or the view):",
        "",
        "| stage | share |",
        "| --- | ---: |",
    ]
    stages: Counter[str] = Counter()
    for frames, n in busy:
        stages[stage(frames)] += n
    lines += [f"| {s} | {n / total * 100:.1f}% |" for s, n in stages.most_common()]
    lines += [
        "",
        "Cost centres (inclusive; they overlap):",
        "",
        "| cost centre | share |",
        "| --- | ---: |",
    ]
    for label, needle in CENTRES:
        hits = sum(n for frames, n in busy if any(needle in f for f in frames))
        if hits:
            lines.append(f"| {label} | {hits / total * 100:.1f}% |")
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in busy:
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines += ["", "Top own time:", ""]
    lines += [f"- {n / total * 100:5.1f}%  {f}" for f, n in own.most_common(20)]
    lines += ["", "Top inclusive time (project and Django code):", ""]
    shown = 0
    for f, n in inclusive.most_common():
        if f.startswith(
            ("django/", "keys/", "accounts/", "console/", "whitenoise/", "django_htmx/")
        ):
            lines.append(f"- {n / total * 100:5.1f}%  {f}")
            shown += 1
            if shown == 40:
                break
    return "\n".join(lines) + "\n"


def resummarize() -> None:
    """`profile.py --summarize`: summarize the raw stacks already in BENCH_PROFILE_OUT."""
    for raw in sorted(OUT_DIR.glob("*.txt")):
        print(summarize(raw.stem, parse(raw)))


def main() -> int:
    if not PY_SPY.exists():
        raise control.BenchError(f"{PY_SPY} is missing: run `make bench` first")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    console = None
    try:
        console, root = control.prepare_console(tmp)
        control.start([console], [])
        cookie = load.sign_in(console, root)
        key = root["keys"][0]
        targets = {
            "console-api-sts": lambda: load.signed_query(
                console.url, "/api", "sts", load.STS_IDENTITY, key["id"], key["secret"]
            ),
            "console-api-iam": lambda: load.signed_query(
                console.url, "/api", "iam", load.IAM_LIST_KEYS, key["id"], key["secret"]
            ),
            "console-page": lambda: load.signed_in_get(console, cookie, control.PAGE_PATH),
            "console-floor": lambda: load.signed_in_get(console, cookie, control.FLOOR_PATH),
        }
        if control.ONLY:
            targets = {k: v for k, v in targets.items() if k in control.ONLY}
        report = []
        for name, make_spec in targets.items():
            target = load.Target(name, name, console, make_spec)
            load.wrk(target, 2, tmp / "spec")  # warm-up
            raw = OUT_DIR / f"{name}.txt"
            spy = subprocess.Popen(
                [
                    str(PY_SPY),
                    "record",
                    "--pid",
                    str(console.process.pid),
                    "--subprocesses",
                    "--rate",
                    str(RATE),
                    "--duration",
                    str(SECONDS + 2),
                    "--format",
                    "raw",
                    "--output",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            try:
                time.sleep(1)
                result = load.wrk(target, SECONDS, tmp / "spec")
                _, err = spy.communicate(timeout=SECONDS + 60)
            finally:
                if spy.poll() is None:
                    os.killpg(spy.pid, 9)
                    spy.wait(timeout=10)
            if spy.returncode != 0 or not raw.exists():
                raise control.BenchError(f"py-spy failed for {name}:\n{err}")
            control.log(
                f"{name}: {result['rps']:,.0f} req/s under py-spy, p50"
                f" {result['p50_ms']:.2f} ms, errors {result['errors']}"
            )
            report.append(
                summarize(f"{name} ({result['rps']:,.0f} req/s while sampled)", parse(raw))
            )
        text = "\n".join(report)
        (OUT_DIR / "summary.md").write_text(text)
        print(text)
        control.log(f"raw stacks and summary.md in {OUT_DIR}")
        return 0
    finally:
        if console is not None:
            console.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--summarize"]:
        resummarize()
        sys.exit(0)
    try:
        sys.exit(main())
    except control.BenchError as error:
        print(f"\nprofile FAILED: {error}", file=sys.stderr)
        sys.exit(1)
