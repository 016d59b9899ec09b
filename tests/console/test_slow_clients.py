"""Slow and idle clients against gunicorn as `make run` serves: they cannot starve the others,
and a client that stalls in its request is cut off after the read deadline."""

import contextlib
import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from console.gunicorn_worker import LINGER, MAX_BUFFERED_BODY, READ_TIMEOUT
from tests.servers import (
    Account,
    Database,
    Gunicorn,
    gunicorns,
    http_request,
    new_account,
    signed_identity_request,
    sqlite_database,
)

pytestmark = pytest.mark.xdist_group("servers")

SLOW_CLIENTS = 20
ANSWER_WITHIN = 1.0  # seconds, as a client's timeout: a starved server fails the request
ROUNDS = 5


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Gunicorn]]:
    tmp = tmp_path_factory.mktemp("slow")
    with sqlite_database(tmp) as database, gunicorns(database, tmp) as (server,):
        yield database, server


@pytest.fixture(scope="module")
def account(served: tuple[Database, Gunicorn]) -> Account:
    return new_account(*served)


@contextlib.contextmanager
def stalled(server: Gunicorn, first_bytes: bytes) -> Iterator[socket.socket]:
    """A loopback connection that sends the start of a request and then nothing."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 10)
    try:
        if first_bytes:
            sock.sendall(first_bytes)
        yield sock
    finally:
        sock.close()


def _slow_starts(port: int) -> list[bytes]:
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    body_stall = b"POST /api HTTP/1.1\r\n" + host + b"Content-Length: 100\r\n\r\nA"
    header_stall = b"GET /healthz HTTP/1.1\r\n" + host  # no blank line: headers never end
    idle = b""
    kinds = [body_stall, header_stall, idle]
    return [kinds[n % len(kinds)] for n in range(SLOW_CLIENTS)]


def test_slow_and_idle_clients_do_not_starve_the_others(served, account) -> None:  # type: ignore[no-untyped-def]
    _, server = served
    access_key_id, secret = account.browser.create_key_with_secret()
    with contextlib.ExitStack() as holding:
        for start in _slow_starts(server.port):
            holding.enter_context(stalled(server, start))
        time.sleep(0.5)  # the server has taken every one of them in
        for _ in range(ROUNDS):
            health = http_request(server.url, "GET", "/healthz", timeout=ANSWER_WITHIN)
            assert health.status == 200
            body, headers = signed_identity_request(f"{server.url}/api", access_key_id, secret)
            signed = http_request(
                server.url, "POST", "/api", body=body, headers=headers, timeout=ANSWER_WITHIN
            )
            assert signed.status == 200, signed.text
            time.sleep(0.5)


def test_a_client_that_stalls_in_its_request_is_cut_off_after_the_read_deadline(served) -> None:  # type: ignore[no-untyped-def]
    _, server = served
    body_stall, header_stall, _ = _slow_starts(server.port)[:3]
    with stalled(server, body_stall) as in_body, stalled(server, header_stall) as in_headers:
        started = time.monotonic()
        answer = in_body.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert in_body.recv(4096) == b""  # and closed
        assert in_headers.recv(4096) == b""  # closed, nothing said: no request was made
        # Cut off by the deadline, not by the client's own timeout (READ_TIMEOUT + 10).
        assert time.monotonic() - started < READ_TIMEOUT + 5
    assert "Traceback" not in server.log_path.read_text(errors="replace")


def test_a_body_sent_in_parts_within_the_deadline_is_read_whole(served) -> None:  # type: ignore[no-untyped-def]
    """The second part waits on the socket with what is left of the deadline; the connection
    then serves its next request as usual."""
    _, server = served
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    head = (
        b"POST /api HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
        % (server.port, len(body))
    )
    with stalled(server, head + body[:10]) as sock:
        time.sleep(1.0)
        sock.sendall(body[10:])
        first = _response(sock)
        # Unsigned, so AWS's refusal: the API read the whole body and answered in XML.
        assert first.startswith(b"HTTP/1.1 403 "), first[:200]
        assert b"<Code>MissingAuthenticationToken</Code>" in first
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % server.port)
        assert _response(sock).startswith(b"HTTP/1.1 200 ")


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP response with a Content-Length, however the bytes arrive."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_deadline(served) -> None:  # type: ignore[no-untyped-def]
    """Each byte comes well within one read's wait, but the body as a whole is late: 408."""
    _, server = served
    head = b"POST /api HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 100\r\n\r\n" % server.port
    with stalled(server, head) as sock:
        started = time.monotonic()
        sock.settimeout(0.5)
        answer = b""
        while not answer and time.monotonic() - started < READ_TIMEOUT + 10:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"A")
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(4096)
            time.sleep(1.5)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:100]
        assert time.monotonic() - started < READ_TIMEOUT + 3


def test_a_client_that_expects_100_continue_gets_it_before_its_body(served) -> None:  # type: ignore[no-untyped-def]
    """The interim 100 comes while the client waits (curl waits a second, others longer),
    once; the body is then read and answered as usual."""
    _, server = served
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    head = (
        b"POST /api HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nExpect: 100-continue\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
        % (server.port, len(body))
    )
    with stalled(server, head) as sock:
        sock.settimeout(3.0)  # far below READ_TIMEOUT: the 100 must not wait for the body
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += sock.recv(1)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        final = _response(sock)
        assert final.startswith(b"HTTP/1.1 403 "), final[:200]  # no second 100 before it
        assert b"<Code>MissingAuthenticationToken</Code>" in final
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % server.port)
        assert _response(sock).startswith(b"HTTP/1.1 200 ")


@pytest.fixture(scope="module")
def four_threads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """One worker with four threads: few enough to run out of."""
    tmp = tmp_path_factory.mktemp("four-threads")
    with (
        sqlite_database(tmp) as database,
        gunicorns(database, tmp, workers=1, env={"GUNICORN_THREADS": "4"}) as (server,),
    ):
        yield server


def _get(connection: http.client.HTTPConnection, path: str = "/healthz") -> int:
    connection.request("GET", path)
    answer = connection.getresponse()
    answer.read()
    return answer.status


def test_connections_kept_alive_on_threads_leave_threads_for_new_clients(four_threads) -> None:  # type: ignore[no-untyped-def]
    """After an answer a thread waits a while for its connection's next request, but never
    all of them: with four threads and four kept-alive connections, a new client is answered
    at once, not after LINGER. The kept connections are still served, after LINGER too
    (from the worker's poller)."""
    server = four_threads
    kept = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=5) for _ in range(4)]
    try:
        for connection in kept:
            assert _get(connection) == 200
        health = http_request(server.url, "GET", "/healthz", timeout=LINGER / 2)
        assert health.status == 200
        time.sleep(LINGER + 0.2)
        for connection in kept:
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
            assert answer.getheader("Connection", "").lower() != "close"
    finally:
        for connection in kept:
            connection.close()


def test_busy_kept_alive_connections_take_turns_with_new_clients(four_threads) -> None:  # type: ignore[no-untyped-def]
    """Six clients that always have their next request waiting (here 100 at a time,
    pipelined, as a load tester or a proxy's pooled connections keep a server busy) against
    four threads: a thread serving one of them goes back to the pool whenever another
    connection waits for it, so the other two and a new client are answered too."""
    server = four_threads
    served = [0] * 6
    stop = threading.Event()
    batch = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % server.port * 100

    def busy(number: int) -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
            while not stop.is_set():
                sock.sendall(batch)
                received = b""
                while received.count(b"\r\n\r\nok\n") < 100:
                    received += sock.recv(65536)
                served[number] += 100

    clients = [threading.Thread(target=busy, args=(number,)) for number in range(6)]
    for client in clients:
        client.start()
    try:
        time.sleep(1.0)
        health = http_request(server.url, "GET", "/healthz", timeout=2 * LINGER)
        assert health.status == 200
        time.sleep(1.0)
    finally:
        stop.set()
        for client in clients:
            client.join(20)
    assert all(served), served


def test_a_large_body_sent_slowly_holds_up_only_its_own_thread(four_threads) -> None:  # type: ignore[no-untyped-def]
    """A body larger than the worker reads up front (a multipart POST with a CSRF cookie,
    which Django reads to check the token) is read by the application as it comes: that
    request must not keep the worker's other requests waiting for their turn."""
    server = four_threads
    head = (
        b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: csrftoken=%s\r\n"
        b"Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %d\r\n\r\n"
        b"--XyZ\r\n" % (server.port, b"a" * 32, MAX_BUFFERED_BODY + 100_000)
    )
    with stalled(server, head):
        for _ in range(3):
            time.sleep(0.5)
            health = http_request(server.url, "GET", "/healthz", timeout=ANSWER_WITHIN)
            assert health.status == 200


def test_clients_cut_off_together_do_not_stop_the_worker(four_threads) -> None:  # type: ignore[no-untyped-def]
    """Three clients that stall in their headers and never close are cut off at the read
    deadline together; saying goodbye to each (up to 2 s of waiting for it to close) happens
    on its own thread, not one after another on the worker's main thread, which accepts new
    connections."""
    server = four_threads
    header_stall = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server.port
    with contextlib.ExitStack() as holding:
        socks = [holding.enter_context(stalled(server, header_stall)) for _ in range(3)]
        for sock in socks:
            sock.settimeout(READ_TIMEOUT + 5)
            assert sock.recv(4096) == b""  # cut off, and not closed by this side
        health = http_request(server.url, "GET", "/healthz", timeout=ANSWER_WITHIN)
        assert health.status == 200
