"""Faults against real servers: a worker killed in the middle of writes, and a database
that goes away and comes back."""

import http.client
import os
import random
import re
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_django.fixtures import Settings

from keys.crypto import decrypt_secret
from tests.servers import (
    Account,
    Database,
    Gunicorn,
    Response,
    TcpProxy,
    api_call,
    created_key_id,
    gunicorns,
    http_request,
    is_console_limit,
    is_console_limit_redirect,
    new_account,
    postgres_database,
    wait_for,
    xml_code,
)

pytestmark = pytest.mark.xdist_group("servers")

WORKERS = 4
KILLS = 4
MAX_KILLS = 4 * KILLS
BURST_THREADS = 8  # twice the workers: every worker always has a request in hand
CUT = (OSError, http.client.HTTPException)  # the connection of a request whose worker died


class Burst:
    """Console and API clients creating and deleting keys of one account, flat out."""

    def __init__(self, server: Gunicorn, account: Account, signing: tuple[str, str]) -> None:
        self.server = server
        self.account = account
        self.signing = signing
        self.tally: Counter[str] = Counter()
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self.tally[outcome] += 1

    @property
    def cut(self) -> int:
        with self._lock:
            return self.tally["cut"]

    @property
    def answered(self) -> int:
        with self._lock:
            return sum(n for outcome, n in self.tally.items() if outcome != "cut")

    def _loop(self, step: Callable[[], None]) -> None:
        while not self.stop.is_set():
            try:
                step()
            except CUT:
                self.count("cut")
            except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
                self.count(f"error {type(error).__name__}: {error}")

    def console_step(self) -> None:
        response = self.account.browser.create_key()
        created = created_key_id(response)
        kind = (
            "created" if created else "at limit" if is_console_limit_redirect(response) else "other"
        )
        self.count(f"console create {kind} {response.status}")
        if created:
            self.count(f"console delete {self.account.browser.delete_key(created).status}")

    def api_step(self) -> None:
        key_id, secret = self.signing

        def call(action: str, **params: str) -> Response:
            response = api_call(
                self.server.url, access_key_id=key_id, secret=secret, action=action, params=params
            )
            self.count(f"api {action} {response.status}")
            return response

        created = call("CreateAccessKey")
        if created.status == 409:
            # At the limit, perhaps with a key whose creator was cut off: clear it away.
            listed = call("ListAccessKeys")
            for other in set(_key_ids(listed.text)) - {key_id}:
                call("DeleteAccessKey", AccessKeyId=other)
        elif created.status == 200:
            (new_id,) = set(_key_ids(created.text))
            call("DeleteAccessKey", AccessKeyId=new_id)

    def run_while(self, chaos: Callable[[], None]) -> None:
        steps = [self.console_step, self.api_step] * (BURST_THREADS // 2)
        threads = [threading.Thread(target=self._loop, args=(s,), daemon=True) for s in steps]
        for thread in threads:
            thread.start()
        try:
            chaos()
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a client never came back"


def _key_ids(xml: str) -> list[str]:
    return re.findall(r"<AccessKeyId>(AKIA[A-Z2-7]{16})</AccessKeyId>", xml)


def _kill_workers(server: Gunicorn, burst: Burst) -> None:
    def replaced(victim: int) -> bool:
        pids = server.worker_pids()
        return victim not in pids and len(pids) == WORKERS

    # At least KILLS kills, and more (up to MAX_KILLS) until one has cut a request short: on a
    # busy machine a kill can land while every connection waits between requests.
    for kills in range(1, MAX_KILLS + 1):
        enough = burst.answered + 10
        wait_for(lambda enough=enough: burst.answered >= enough, timeout=60, what="the burst")
        victim = random.choice(server.worker_pids())
        os.kill(victim, signal.SIGKILL)
        # The master notices and forks a replacement: wait for a full set again.
        wait_for(lambda victim=victim: replaced(victim), timeout=60, what="a new worker")
        if kills >= KILLS and burst.cut:
            return


def test_a_worker_killed_in_a_burst_of_creates_leaves_no_half_made_key(
    server_database: Database,
    tmp_path: Path,
    settings: Settings,
) -> None:
    settings.KEYS_ENCRYPTION_KEYS = server_database.env["KEYS_ENCRYPTION_KEYS"].split(",")
    with gunicorns(server_database, tmp_path, workers=WORKERS) as (server,):
        account = new_account(server_database, server)
        signing = account.browser.create_key_with_secret()
        burst = Burst(server, account, signing)

        burst.run_while(lambda: _kill_workers(server, burst))

        assert burst.tally["cut"] >= 1, burst.tally  # some kills did land mid-request
        assert not [outcome for outcome in burst.tally if outcome.startswith("error")], burst.tally
        answered = {outcome.rsplit(" ", 1)[-1] for outcome in burst.tally if outcome != "cut"}
        assert answered <= {"200", "302", "404", "409"}, burst.tally  # never a 5xx
        assert not any(outcome.startswith("console create other") for outcome in burst.tally)
        stored = server_database.access_keys(account.account_id)
        assert 1 <= len(stored) <= 2
        assert signing[0] in {key["access_key_id"] for key in stored}
        for key in stored:
            assert len(decrypt_secret(key["secret_ciphertext"])) == 40
        # A key row and its CreateAccessKey event are one transaction: never one alone.
        assert {key["access_key_id"] for key in stored} <= server_database.create_events(
            account.account_id
        )
        if server_database.vendor == "sqlite":
            assert server_database.query("PRAGMA integrity_check") == [("ok",)]

        # No slot was lost: with every key deleted, two creates succeed and a third is refused.
        browser = account.browser
        for key in stored:
            assert browser.delete_key(key["access_key_id"]).status == 302
        assert all(created_key_id(browser.create_key()) for _ in range(2))
        assert is_console_limit(browser, browser.create_key(), server.url)
        assert len(server_database.access_keys(account.account_id)) == 2


@pytest.fixture
def proxied_postgres(postgres_server: str, tmp_path: Path) -> Iterator[tuple[Database, TcpProxy]]:
    """A throwaway database, and a TCP proxy in front of it that the test can stop."""
    var_dir = tmp_path / "var"
    (var_dir / "static").mkdir(parents=True)
    with postgres_database(var_dir, postgres_server) as database:
        target = urlsplit(database.url)
        proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
        try:
            yield database, proxy
        finally:
            proxy.stop()


def _through(database: Database, proxy: TcpProxy) -> dict[str, str]:
    parts = urlsplit(database.url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return {"DATABASE_URL": parts._replace(netloc=netloc).geturl()}


def test_a_lost_database_is_a_503_until_it_is_back_and_then_serves_again(
    proxied_postgres: tuple[Database, TcpProxy],
    tmp_path: Path,
) -> None:
    database, proxy = proxied_postgres
    env = _through(database, proxy)
    with gunicorns(database, tmp_path, workers=2, env=env) as (server,):
        account = new_account(database, server)
        key_id, secret = account.browser.create_key_with_secret()

        def page() -> Response:
            return account.browser.get("/iam/security_credentials")

        def api() -> Response:
            return api_call(
                server.url,
                access_key_id=key_id,
                secret=secret,
                action="GetCallerIdentity",
                service="sts",
            )

        assert page().status == 200 and api().status == 200
        workers = server.worker_pids()

        proxy.stop()
        # Several times: the workers' persistent connections break, then new ones are refused.
        for _ in range(4):
            console = page()
            assert console.status == 503, console.text[:500]
            assert console.headers["content-type"].startswith("text/html")
            assert "Service temporarily unavailable" in console.text
            assert "Traceback" not in console.text and "OperationalError" not in console.text
            assert console.headers["retry-after"] == "5"
            answer = api()
            assert (answer.status, xml_code(answer)) == (503, "ServiceUnavailable"), answer.text
            assert "Traceback" not in answer.text
        assert http_request(server.url, "GET", "/readyz").status == 503
        assert http_request(server.url, "GET", "/healthz").status == 200

        proxy.start()
        wait_for(
            lambda: page().status == 200 and api().status == 200,
            timeout=30,
            every=0.2,
            what="the console and the API to recover",
        )
        assert http_request(server.url, "GET", "/readyz").status == 200
        assert server.worker_pids() == workers  # recovered in place: nothing was restarted
