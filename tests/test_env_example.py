""".env.example names every variable the console reads, and works as an env file."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READS = re.compile(
    r"""(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[["']([A-Z][A-Z0-9_]*)["']\]"""
)
TESTS_ONLY = {"SQLITE_TEST_NAME"}  # the suite's own SQLite file per worker


def test_env_example_lists_every_variable_read_and_nothing_else():
    read = {
        name
        for folder in ("console", "accounts", "keys")
        for path in (ROOT / folder).rglob("*.py")
        for match in READS.finditer(path.read_text())
        for name in match.groups()
        if name
    } - TESTS_ONLY
    assert {"DJANGO_ENV", "KEYS_ENCRYPTION_KEYS", "PORT", "LOG_FORMAT"} <= read  # the scan works
    lines = (ROOT / ".env.example").read_text().splitlines()
    settings = [line for line in lines if line and not line.startswith("#")]
    for line in settings:  # NAME=value, nothing after: an env file takes it all as the value
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^#\s]*", line), line
    assert {line.split("=")[0] for line in settings} == read
