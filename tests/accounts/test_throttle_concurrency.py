"""The sign-in throttle under concurrency, through real servers: twenty wrong passwords for one
email sent at once get exactly the limit of password checks, on SQLite (one gunicorn, four
workers, threads in each) and on PostgreSQL (two gunicorn instances sharing the database)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from accounts.throttle import MAX_FAILURES
from tests.servers import PASSWORD, Browser, Database, gunicorns, manage

pytestmark = pytest.mark.xdist_group("servers")

ATTEMPTS = 20


def test_concurrent_failures_leave_exactly_the_limit_counted(
    server_database: Database, tmp_path: Path
) -> None:
    email = "race@example.com"
    manage(
        server_database, "createrootuser", "--email", email, "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    shape = {"count": 1, "workers": 4} if server_database.vendor == "sqlite" else {"count": 2}
    with gunicorns(server_database, tmp_path, **shape) as servers:
        browsers = [Browser(servers[n % len(servers)].url) for n in range(ATTEMPTS)]
        for browser in browsers:
            browser.get("/signin")
            # Any spelling: the race is on one account's throttle.
            assert browser.post("/signin", {"email": email.upper()}).status == 302
        start = threading.Barrier(ATTEMPTS, timeout=30)

        def wrong_password(browser: Browser) -> int:
            start.wait()
            return browser.post("/signin/password", {"password": "wrong password"}).status

        with ThreadPoolExecutor(ATTEMPTS) as pool:
            statuses = list(pool.map(wrong_password, browsers))
        assert sorted(statuses) == [401] * MAX_FAILURES + [429] * (ATTEMPTS - MAX_FAILURES)
        # And the right password is refused too while the lock lasts.
        late = Browser(servers[0].url)
        late.get("/signin")
        late.post("/signin", {"email": email})
        assert late.post("/signin/password", {"password": PASSWORD}).status == 429

    counted = server_database.query(
        "SELECT failures FROM accounts_signinthrottle WHERE email = %s", [email]
    )
    assert counted == [(MAX_FAILURES,)]
    actions = server_database.query(
        "SELECT action, COUNT(*) FROM accounts_event WHERE email = %s GROUP BY action "
        "ORDER BY action",
        [email],
    )
    assert actions == [("SignInFailure", MAX_FAILURES), ("SignInThrottled", 1)]
