"""Real AWS clients (boto3, the AWS CLI v2, the AWS SDK for JavaScript) against the live server.

pytest-django's live server runs in a thread of this process on the transactional test
database, so a test sets up people and keys through the factories and reads the outcome
through the ORM. Every client gets a clean AWS environment: no profile, no credentials or
config file of the machine, no instance metadata, so only what a test hands it counts.
"""

import gc
import http.cookiejar
import os
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.config import Config

from tests.factories import PASSWORD, make_access_key, make_root_user

REGION = "us-east-1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.clients)


@pytest.fixture(autouse=True)
def clean_aws_environment(monkeypatch, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # The clients reach the server by address (Node would try ::1 for "localhost").
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]


@pytest.fixture(scope="session")
def drained_live_server(live_server):  # type: ignore[no-untyped-def]
    """The live server, whose request threads are all finished before it stops.

    Its request threads share the test thread's in-memory database connection only while
    the server runs; one still serving a kept-alive client connection when the server stops
    fails in the background as that connection closes. So close and wait for them first.
    """
    yield live_server
    # A kept-alive connection whose client response only a reference cycle still holds
    # (an error's traceback) stays open until the garbage collector closes it.
    gc.collect()
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=10)


@pytest.fixture
def server_url(drained_live_server) -> str:  # type: ignore[no-untyped-def]
    return drained_live_server.url.replace("://localhost:", "://127.0.0.1:")


@pytest.fixture
def api_url(server_url: str) -> str:
    return f"{server_url}/api"


@pytest.fixture
def root(transactional_db):  # type: ignore[no-untyped-def]
    return make_root_user(account_name="Client Test Account")


@pytest.fixture
def root_key(root):  # type: ignore[no-untyped-def]
    return make_access_key(root)


@pytest.fixture
def outsider_key(transactional_db):  # type: ignore[no-untyped-def]
    return make_access_key(make_root_user(account_name="outsider"))


@pytest.fixture
def aws_client(api_url: str) -> Iterator[Callable[..., object]]:
    """boto3 clients for /api, one attempt each (a retry would hide what the server said)."""
    clients = []

    def make(  # type: ignore[no-untyped-def]
        service: str, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ):
        client = boto3.session.Session().client(
            service,
            endpoint_url=api_url,
            region_name=REGION,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token,
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20),
        )
        clients.append(client)
        return client

    yield make
    # Close the kept-alive connections now: a server thread that outlives the test would
    # touch the shared in-memory database after the live server has let go of it.
    for client in clients:
        client.close()


class ConsoleSession:
    """A person at the console, over real HTTP: cookies, CSRF token and all."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _csrf_token(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str, bytes]:
        with self.opener.open(self.server_url + path, timeout=20) as response:
            return response.status, response.url, response.read()

    def post(self, path: str, fields: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        data = urllib.parse.urlencode(
            {**(fields or {}), "csrfmiddlewaretoken": self._csrf_token()}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http to the live server only
            self.server_url + path, data=data, method="POST"
        )
        with self.opener.open(request, timeout=20) as response:
            return response.status, response.url, response.read()

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.get("/signin")
        self.post("/signin", {"email": email})
        _, landed, _ = self.post("/signin/password", {"password": password})
        assert not landed.endswith("/signin/password"), "sign-in failed"

    def create_access_key(self) -> str:
        """Create New Access Key, as the plain form does; returns the new key's ID."""
        _, landed, _ = self.post("/iam/security_credentials/access-keys/create")
        match = re.search(r"/access-keys/(AKIA[A-Z2-7]{16})/created", landed)
        assert match, f"no Create Access Key dialog after creating a key: {landed}"
        return match.group(1)


@pytest.fixture
def console(server_url: str) -> ConsoleSession:
    return ConsoleSession(server_url)
