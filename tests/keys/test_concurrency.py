"""Races against real servers: the two-key rule and last-use recording under concurrency.

SQLite: one gunicorn with four workers on one database file. PostgreSQL: two gunicorn
instances on different ports sharing one database, as app servers behind a load balancer.
Creates come at once from the console (a signed-in session posting the Create form with its
CSRF token) and from the API (CreateAccessKey signed by botocore), and the database alone
decides who gets the slot.
"""

import base64
import random
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from pytest_django.fixtures import Settings

from accounts.mfa import totp
from keys.crypto import decrypt_secret
from keys.exceptions import MfaCodeInvalid
from keys.mfa_attempts import MAX_FAILURES
from tests.servers import (
    Account,
    Database,
    Gunicorn,
    api_call,
    created_key_id,
    gunicorns,
    is_console_limit,
    manage,
    new_account,
    xml_code,
)

pytestmark = pytest.mark.xdist_group("servers")

CREATES = 50  # per round, half from the console and half from the API
ROUNDS = 3
USES = 200


@dataclass
class Cluster:
    database: Database
    servers: list[Gunicorn]

    def server(self, n: int) -> Gunicorn:
        return self.servers[n % len(self.servers)]


@pytest.fixture(scope="module")
def cluster(
    server_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    tmp_path: Path = tmp_path_factory.mktemp("gunicorn")
    if server_database.vendor == "sqlite":
        shape = {"count": 1, "workers": 4}
    else:
        # Each thread that has served a request keeps its own connection (CONN_MAX_AGE), and a
        # kept-alive connection keeps its thread: 2 x 2 x 8 of them leave PostgreSQL's
        # max_connections (100) room for the suite's other servers and its own; with 16 each
        # (67 seen at once) a run failed two tests with "too many clients".
        shape = {"count": 2, "workers": 2, "env": {"GUNICORN_THREADS": "8"}}
    with gunicorns(server_database, tmp_path, **shape) as servers:
        yield Cluster(database=server_database, servers=servers)


@pytest.fixture
def encryption_keys(settings: Settings, cluster: Cluster) -> None:
    """Open what the servers stored, with the key-encryption keys they were given."""
    settings.KEYS_ENCRYPTION_KEYS = cluster.database.env["KEYS_ENCRYPTION_KEYS"].split(",")


@dataclass
class Outcome:
    channel: str
    created: str | None = None  # the new key's ID
    limited: bool = False
    failure: str = ""


def _all_at_once(calls: list[Callable[[], Outcome]]) -> list[Outcome]:
    """Run every call on its own thread, released together."""
    start = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], Outcome]) -> Outcome:
        start.wait()
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - a dropped connection is a finding too
            return Outcome(channel="?", failure=f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls, timeout=120))


def _console_create(account: Account, server: Gunicorn, **form: str) -> Outcome:
    response = account.browser.create_key(form=form, base_url=server.url)
    created = created_key_id(response)
    if created:
        return Outcome("console", created=created)
    if is_console_limit(account.browser, response, server.url):
        return Outcome("console", limited=True)
    return Outcome("console", failure=f"{response.status} {response.text[:300]}")


def _api_create(signing: tuple[str, str], server: Gunicorn) -> Outcome:
    access_key_id, secret = signing
    response = api_call(
        server.url, access_key_id=access_key_id, secret=secret, action="CreateAccessKey"
    )
    if response.status == 200:
        return Outcome("api", created=re.search(r"<AccessKeyId>(\w+)<", response.text).group(1))
    if response.status == 409 and xml_code(response) == "LimitExceeded":
        assert "Cannot exceed quota for AccessKeysPerUser: 2" in response.text
        return Outcome("api", limited=True)
    return Outcome("api", failure=f"{response.status} {response.text[:300]}")


def _fresh_signing_key(cluster: Cluster, account: Account, *, free_slot: int) -> tuple[str, str]:
    """Delete every key, then make one to sign the API's creates with, leaving `free_slot`
    as the one slot left to race for."""
    for key in cluster.database.access_keys(account.account_id):
        assert account.browser.delete_key(key["access_key_id"]).status == 302
    if free_slot == 2:
        return account.browser.create_key_with_secret()  # takes slot 1
    placeholder, _ = account.browser.create_key_with_secret()
    signing = account.browser.create_key_with_secret()  # slot 2
    assert account.browser.delete_key(placeholder).status == 302
    return signing


def test_concurrent_creates_from_console_and_api_never_make_a_third_key(
    cluster: Cluster, encryption_keys: None
) -> None:
    account = new_account(cluster.database, cluster.server(0))
    for round_number in range(ROUNDS):
        free_slot = 2 if round_number % 2 == 0 else 1
        signing = _fresh_signing_key(cluster, account, free_slot=free_slot)
        calls = [
            (lambda n=n: _console_create(account, cluster.server(n)))
            if n % 2 == 0
            else (lambda n=n, signing=signing: _api_create(signing, cluster.server(n)))
            for n in range(CREATES)
        ]
        random.shuffle(calls)  # so that neither channel is always first in the queue

        outcomes = _all_at_once(calls)

        failures = [o.failure for o in outcomes if o.failure]
        assert not failures, failures
        winners = [o.created for o in outcomes if o.created]
        assert len(winners) == 1, outcomes  # one slot was free
        assert sum(o.limited for o in outcomes) == CREATES - 1
        stored = cluster.database.access_keys(account.account_id)
        assert {k["access_key_id"] for k in stored} == {signing[0], winners[0]}
        assert [k["slot"] for k in stored] == [1, 2]
        for key in stored:
            decrypt_secret(key["secret_ciphertext"])  # whole, and under the servers' key
        # Every key that exists was recorded as created, in the same transaction.
        assert {signing[0], winners[0]} <= cluster.database.create_events(account.account_id)


def test_one_pages_create_form_sent_many_times_at_once_makes_one_key(
    cluster: Cluster, encryption_keys: None
) -> None:
    """Clicks on Create New Access Key that each sent the form of one page (no JavaScript to
    stop the second): every answer leads to the one key's dialog, which shows its secret."""
    account = new_account(cluster.database, cluster.server(0))
    for key in cluster.database.access_keys(account.account_id):
        account.browser.delete_key(key["access_key_id"])
    clicks = 6
    outcomes = _all_at_once(
        [
            (lambda n=n: _console_create(account, cluster.server(n), shown_keys=""))
            for n in range(clicks)
        ]
    )
    assert not [o.failure for o in outcomes if o.failure], outcomes
    (stored,) = cluster.database.access_keys(account.account_id)
    assert {o.created for o in outcomes} == {stored["access_key_id"]}
    rootkey = account.browser.get(
        f"/iam/security_credentials/access-keys/{stored['access_key_id']}/rootkey.csv"
    )
    assert rootkey.status == 200
    assert decrypt_secret(stored["secret_ciphertext"]) in rootkey.text


def test_last_use_is_recorded_under_concurrent_api_load(
    cluster: Cluster, encryption_keys: None
) -> None:
    account = new_account(cluster.database, cluster.server(0))
    access_key_id, secret = account.browser.create_key_with_secret()

    def use(n: int) -> tuple[int, str]:
        # Two regions in turn, so that nearly every request changes the row: the harshest
        # case for the once-a-minute write.
        response = api_call(
            cluster.server(n).url,
            access_key_id=access_key_id,
            secret=secret,
            action="GetCallerIdentity",
            service="sts",
            region="us-east-1" if n % 2 else "eu-west-1",
        )
        return response.status, response.text

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(use, range(USES), timeout=120))

    failed = [(status, body[:300]) for status, body in answers if status != 200]
    assert not failed, failed
    assert all(f"<Account>{account.account_id}</Account>" in body for _, body in answers)
    (stored,) = cluster.database.access_keys(account.account_id)
    assert stored["access_key_id"] == access_key_id and stored["status"] == "Active"
    assert decrypt_secret(stored["secret_ciphertext"]) == secret
    assert stored["last_used_at"] is not None
    assert stored["last_used_region"] in {"us-east-1", "eu-west-1"}
    assert stored["last_used_service"] == "sts"
    # Still a working key afterwards.
    assert use(0)[0] == 200


REPORT_REQUESTS = 24  # half GenerateCredentialReport, half console downloads


def test_concurrent_report_requests_across_servers_make_one_report(
    cluster: Cluster, encryption_keys: None
) -> None:
    """Every app server answers with the one report kept in the database: concurrent
    Generates and console downloads on all servers make it once, and all give its bytes."""
    account = new_account(cluster.database, cluster.server(0))
    access_key_id, secret = account.browser.create_key_with_secret()

    def request(n: int) -> tuple[str, str]:
        server = cluster.server(n)
        if n % 2:
            response = account.browser.post("/iam/credential_report/download", base_url=server.url)
            if response.status == 200:
                return "download", response.text
            return "download", f"{response.status} {response.headers.get('location')}"
        response = api_call(
            server.url,
            access_key_id=access_key_id,
            secret=secret,
            action="GenerateCredentialReport",
        )
        state = re.search(r"<State>(\w+)</State>", response.text)
        return "generate", state.group(1) if response.status == 200 and state else response.text

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(request, range(REPORT_REQUESTS), timeout=120))

    states = [answer for channel, answer in answers if channel == "generate"]
    downloads = [answer for channel, answer in answers if channel == "download"]
    assert set(states) <= {"STARTED", "INPROGRESS", "COMPLETE"}, states
    # Made once: one STARTED at most (a download may have been the one that made it).
    assert states.count("STARTED") <= 1, states
    # A download that met the report mid-generation is sent back to try again.
    made = [body for body in downloads if body.startswith("user,arn,")]
    retry = [body for body in downloads if not body.startswith("user,arn,")]
    assert all(body == "302 /iam/credential_report" for body in retry), retry
    ((content,),) = cluster.database.query(
        "SELECT r.content FROM keys_credentialreport r JOIN accounts_rootuser u "
        "ON u.id = r.owner_id WHERE u.account_id = %s",
        [account.account_id],
    )
    assert set(made) <= {content}
    assert f"arn:aws:iam::{account.account_id}:root" in content

    # Afterwards every server answers the same report, to the API and the console alike.
    for n in range(len(cluster.servers)):
        response = api_call(
            cluster.server(n).url,
            access_key_id=access_key_id,
            secret=secret,
            action="GetCredentialReport",
        )
        assert response.status == 200, response.text
        encoded = re.search(r"<Content>([^<]+)</Content>", response.text).group(1)
        assert base64.b64decode(encoded).decode() == content
        download = account.browser.post(
            "/iam/credential_report/download", base_url=cluster.server(n).url
        )
        assert download.status == 200 and download.text == content


MFA_GUESSES = 16


def test_concurrent_wrong_mfa_codes_across_servers_get_the_limit_and_no_more(
    cluster: Cluster, encryption_keys: None
) -> None:
    """GetSessionToken counts each MFA attempt before checking its code, in the database:
    wrong codes sent together to every server are checked MAX_FAILURES times in all."""
    account = new_account(cluster.database, cluster.server(0))
    access_key_id, secret = account.browser.create_key_with_secret()
    seed = totp.new_secret()
    # An authenticator app assigned by the service the wizard calls, on the servers' database.
    manage(
        cluster.database,
        "shell",
        "-c",
        "import sys\n"
        "from accounts.mfa.services import mfa_device_create_totp\n"
        "from accounts.models import RootUser\n"
        "account_id, seed = sys.stdin.read().split()\n"
        "owner = RootUser.objects.get(account_id=account_id)\n"
        "mfa_device_create_totp(owner=owner, name='phone', secret=seed, last_used_step=0)\n",
        stdin=f"{account.account_id} {seed}\n",
    )
    wrong = f"{(int(pyotp.TOTP(seed).now()) + 1) % 1_000_000:06d}"
    params = {"SerialNumber": f"arn:aws:iam::{account.account_id}:mfa/phone", "TokenCode": wrong}
    start = threading.Barrier(MFA_GUESSES, timeout=30)

    def guess(n: int) -> str:
        start.wait()
        response = api_call(
            cluster.server(n).url,
            access_key_id=access_key_id,
            secret=secret,
            action="GetSessionToken",
            service="sts",
            params=params,
        )
        message = re.search(r"<Message>([^<]*)</Message>", response.text)
        return f"{response.status} {message.group(1) if message else response.text[:300]}"

    with ThreadPoolExecutor(max_workers=MFA_GUESSES) as pool:
        answers = list(pool.map(guess, range(MFA_GUESSES), timeout=120))

    checked = [a for a in answers if a == f"403 {MfaCodeInvalid()}"]
    refused = [a for a in answers if a.startswith("403 MultiFactorAuthentication failed: too many")]
    assert len(checked) == MAX_FAILURES, answers
    assert len(refused) == MFA_GUESSES - MAX_FAILURES, answers
