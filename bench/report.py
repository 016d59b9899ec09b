"""`make bench`'s report: the table of requests/s and latencies, the ratios against their
targets, whether the machine was quiet and steady, the Markdown file and the chart."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
from pathlib import Path

from control import CONNECTIONS, DURATION, OUT, PROJECT_PY, REPEAT, ROOT, THREADS
from load import NOISY, WRK, Target, median_of

GOALS = [
    # (label, numerator, denominator, minimum ratio)
    ("console API ÷ moto, GetCallerIdentity", "console-api-sts", "moto-sts", 10.0),
    ("console API ÷ moto, ListAccessKeys", "console-api-iam", "moto-iam", 10.0),
    ("console API ÷ ceiling, GetCallerIdentity", "console-api-sts", "ceiling", 0.60),
    (
        "session-credentials GetCallerIdentity ÷ long-term GetCallerIdentity",
        "console-api-sts-session",
        "console-api-sts",
        0.90,
    ),
    ("console API ÷ ceiling, ListAccessKeys", "console-api-iam", "ceiling", 0.60),
    ("credentials page ÷ stock Django signed-in page", "console-page", "stock-signed-in", 1.0),
]
# Ratios without a target, shown to explain the page's: the emptiest signed-in page (the
# same sign-in, middleware, session and user lookups and base template, but no key table)
# is the floor that no signed-in page can beat, whatever its own content costs.
# Stock Django's own signed-in page (bench/stock_signed_in: startproject's middleware, database
# sessions, contrib.auth, a two-line template) is the same floor for Django itself.
REFERENCES = [
    ("credentials page ÷ ceiling", "console-page", "ceiling"),
    ("empty signed-in page ÷ ceiling", "console-floor", "ceiling"),
    ("credentials page ÷ empty signed-in page", "console-page", "console-floor"),
    ("stock Django signed-in page ÷ ceiling", "stock-signed-in", "ceiling"),
]
TAIL_GOAL = 4.0
LABEL_WIDTH = 68  # the printed table's first column: the longest ratio label fits
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
            f" serves it (local mode, DEBUG off, {meta['workers']} threaded workers), on a fresh"
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
