"""Servers and clients shared by `make bench` (bench/run.py) and the tests (tests/servers.py):
a free loopback port, a server process in its own process group (gunicorn as `make run`
starts it, or moto), plain HTTP requests, a console session signed in through the real
forms, and a Query API request signed by botocore.

Standard library and botocore only: bench/.venv and the project's .venv both have them.
Every wait is bounded and every process group is killed on the way out.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = ROOT / "console" / "gunicorn.conf.py"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = "application/x-www-form-urlencoded"


class HarnessError(Exception):
    """A server that did not start or a request that did not go as it should."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -------------------------------------------------------------------------------- servers


@dataclass
class Server:
    """One server process and its children, in a process group of their own."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    ready_path: str = "/"
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own servers, fixed arguments
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, stopped as one
            )
        return self

    def wait_ready(self, timeout: float = 60) -> Server:
        """Until ready_path answers at all (a 4xx is a server that is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise HarnessError(
                    f"{self.name} exited ({code}) before answering; its log "
                    f"({self.log_path}):\n{self.log_tail()}"
                )
            try:
                http_request(self.url, "GET", self.ready_path, timeout=2)
                return self
            except OSError:
                time.sleep(0.05)
        raise HarnessError(
            f"{self.name} did not answer within {timeout:.0f} s; its log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers left behind by a master that died first are in the same group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the children of its master."""
        assert self.process is not None  # noqa: S101 - only asked of a started server
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def gunicorn(
    name: str,
    app: str,
    *,
    env: dict[str, str],
    log_path: Path,
    cwd: Path = ROOT,
    extra_args: tuple[str, ...] = (),
    ready_path: str = "/healthz",
) -> Server:
    """gunicorn serving ``app`` with console/gunicorn.conf.py, as `make run` serves the
    console, on a free loopback port."""
    port = free_port()
    return Server(
        name=name,
        argv=[str(GUNICORN), app, "-c", str(GUNICORN_CONF), *extra_args],
        env=env | {"HOST": "127.0.0.1", "PORT": str(port)},
        cwd=cwd,
        log_path=log_path,
        port=port,
        ready_path=ready_path,
    )


# -------------------------------------------------------------------------------- clients


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    set_cookies: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def http_request(
    base_url: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Response:
    """One request on its own connection; a redirect is an answer, not followed."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        raw = connection.getresponse()
        return Response(
            status=raw.status,
            headers={k.lower(): v for k, v in raw.getheaders()},
            set_cookies=raw.headers.get_all("Set-Cookie") or [],
            body=raw.read(),
        )
    finally:
        connection.close()


class Browser:
    """A console session as a browser holds it: cookies, and the CSRF token of its forms.
    Safe to share between threads, as tabs of one browser share a session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""
        self._lock = threading.Lock()

    def cookie_header(self) -> str:
        with self._lock:
            return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        base_url: str | None = None,
    ) -> Response:
        headers = {}
        body = None
        if cookies := self.cookie_header():
            headers["Cookie"] = cookies
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.csrf_token, **form}).encode()
            headers["Content-Type"] = FORM
        response = http_request(base_url or self.base_url, method, path, body=body, headers=headers)
        with self._lock:
            for header in response.set_cookies:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            token = CSRF_FIELD.search(response.text)
            if token:
                self.csrf_token = token.group(1)
        return response

    def get(self, path: str, **kwargs: object) -> Response:
        return self.request("GET", path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, form: dict[str, str] | None = None, **kwargs: object) -> Response:
        return self.request("POST", path, form or {}, **kwargs)  # type: ignore[arg-type]

    def sign_in(self, email: str, password: str) -> Browser:
        """Through the console's forms: email, password, then the root-credentials warning
        ("Don't show me this message again"); ends on the credentials page."""
        self.get("/signin")
        steps = (
            ("/signin", {"email": email}),
            ("/signin/password", {"password": password}),
            ("/iam/security_credentials/warning", {"dont_show_again": "on"}),
        )
        for path, form in steps:
            if path.endswith("/warning"):
                self.get(path)  # its form's CSRF token
            answer = self.post(path, form)
            if answer.status != 302:
                raise HarnessError(f"signing in: POST {path} answered {answer.status}")
        page = self.get("/iam/security_credentials")  # a fresh CSRF token too
        if page.status != 200 or "sessionid" not in self.cookies:
            raise HarnessError(f"signed in, but the credentials page answered {page.status}")
        return self


def signed_query(
    url: str,
    *,
    access_key_id: str,
    secret: str,
    service: str,
    params: dict[str, str],
    region: str = "us-east-1",
    session_token: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A Query API form POST signed exactly as botocore signs it: (body, headers), the
    headers without Host, which the HTTP client sends (SigV4 signed it from ``url``). With
    temporary credentials, botocore adds ``session_token`` as X-Amz-Security-Token and signs it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = urlencode(params)
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": f"{FORM}; charset=utf-8"}
    )
    SigV4Auth(Credentials(access_key_id, secret, session_token), service, region).add_auth(request)
    return body.encode(), dict(request.headers.items())
