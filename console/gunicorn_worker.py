"""gunicorn's threaded worker, with deadlines on reading a request (console/gunicorn.conf.py).

A thread (``threads`` of them per worker) serves one connection at a time, and gunicorn 27's
gthread already keeps a connection that sends nothing off the threads (after 5 s it waits in
the worker's poller instead, and is closed after ``keepalive``). A client that starts a request
and then stalls would still hold its thread for as long as it liked, so this worker adds:

- headers: every read from the client waits at most ``READ_TIMEOUT`` (SO_RCVTIMEO, set once
  on the connection's socket, which gthread's blocking mode leaves in place); headers are
  bounded in size by gunicorn's ``limit_request_*``;
- body: a body of known length up to ``MAX_BUFFERED_BODY`` (Django's own limit for a form)
  is read whole, within ``READ_TIMEOUT`` in all, before the application sees the request, so
  Django never waits on the client: each read from the client waits at most what is left of
  that (``_DeadlineSocket``), a byte-at-a-time sender included; a client too slow for that
  gets a 408 and the connection is closed. A client that asked for ``Expect: 100-continue``
  is sent the 100 before the body is read. A larger or chunked body is Django's to read (or
  refuse), each read within ``READ_TIMEOUT``;
- closing: the goodbye to a client (gunicorn waits up to 2 s for it to close too) happens on
  the connection's thread, not on the worker's main thread, where clients cut off together
  queued up past the master's worker timeout.

In production a buffering proxy in front does this and more (docs/DEPLOY.md).

And two for speed (bench/README.md has what they save):

- keep-alive on the thread: after an answer, gthread hands the connection to the worker's
  poller, and its next request back to a thread through the main thread (two thread
  switches, two epoll changes and a wake-up pipe a request). Here the thread first waits up
  to ``LINGER`` for the next request and serves it itself, unless another connection is
  waiting for a thread (then this one goes back to the poller, behind it). At most half the
  threads wait so; a connection idle for longer waits in the poller, as gthread has it;
- requests in turn: the threads read and write for their clients at once, but call the
  application one at a time (``APP_CONCURRENCY``), first come first served, once the
  request is read whole (one with a body still to come goes straight in). The GIL lets
  one thread run Python at a time anyway, but in no order: with many requests in one
  process, some waited many turns, and the slowest 1% took 5-12 times the median. What
  runs without the GIL inside the application (a database round trip, a password hash)
  holds up the process's other requests now: more processes (WEB_CONCURRENCY) serve more
  of those at once.
"""

import errno
import io
import logging
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn import util
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

READ_TIMEOUT = 10  # seconds: each read of the headers; the whole body
LINGER = 1.0  # seconds: a thread waits this long for a kept-alive connection's next request
APP_CONCURRENCY = 1  # requests a worker process runs the application for at once
MAX_BUFFERED_BODY = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE: larger ones it refuses


class ClientTooSlow(NoMoreData):
    """The client did not send its request in time (gthread closes the connection quietly)."""


class DeadlineThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        self.log.error_log.addFilter(_quiet_header_timeouts)
        self._lingering = 0
        self._queued = 0  # connections handed to the thread pool and not yet taken up
        self._counts_lock = threading.Lock()  # for both counts
        super().init_process()

    def enqueue_req(self, conn):  # type: ignore[no-untyped-def]  # gunicorn's TConn
        with self._counts_lock:
            self._queued += 1
        super().enqueue_req(conn)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _in_turn(self.wsgi, FifoGate(APP_CONCURRENCY))

    def handle(self, conn):  # type: ignore[no-untyped-def]  # gunicorn's TConn
        with self._counts_lock:
            self._queued -= 1
        if not conn.initialized:  # once a connection: the option stays on the socket
            _set_read_timeout(conn.sock, READ_TIMEOUT)
            if not self.cfg.is_ssl and not isinstance(conn.sock, _DeadlineSocket):
                conn.sock = _DeadlineSocket(conn.sock)  # before gunicorn's parser takes it
        keep = super().handle(conn)
        while keep is True and self.alive and self._next_request_soon(conn):
            keep = super().handle(conn)
        if keep is False and isinstance(conn.sock, _DeadlineSocket):
            conn.sock.close_here()
        return keep

    def _next_request_soon(self, conn) -> bool:  # type: ignore[no-untyped-def]  # TConn
        """Whether the connection's next request arrives within LINGER, waited for on this
        thread: never while other connections wait for a thread (this one then waits its
        turn behind them), and at most half the threads at once."""
        if self._queued:
            return False
        if conn.parser.unreader.buf.getvalue():  # already read with the last request
            return True
        if self.cfg.is_ssl:  # TLS may hold a record the socket no longer shows
            return False
        with self._counts_lock:
            if self._lingering >= self.cfg.threads // 2:
                return False
            self._lingering += 1
        try:
            waiting = select.poll()
            waiting.register(conn.sock.fileno(), select.POLLIN)
            return bool(waiting.poll(LINGER * 1000)) and not self._queued
        finally:
            with self._counts_lock:
                self._lingering -= 1

    def handle_request(self, req, conn):  # type: ignore[no-untyped-def]  # gunicorn's Request
        _read.whole = False
        if isinstance(req.body.reader, LengthReader):
            length = req.body.reader.length
            if 0 < length <= MAX_BUFFERED_BODY:
                _continue(req, conn.sock)
                req.body = Body(io.BytesIO(_read_whole(req.body, length, conn.sock)))
            _read.whole = length <= MAX_BUFFERED_BODY
        try:
            return super().handle_request(req, conn)
        finally:
            _read.whole = False


# Whether this thread's request was read whole before the application: only then does it
# take its turn (a body read as the application asks for it would hold up the others).
_read = threading.local()


class FifoGate:
    """A semaphore that admits in the order of arrival: a slot that is given back goes to
    the longest waiter (``threading.Semaphore`` lets any thread that comes along take it)."""

    def __init__(self, width: int) -> None:
        self._lock = threading.Lock()
        self._free = width
        self._waiting: deque[threading.Lock] = deque()

    def enter(self) -> None:
        with self._lock:
            if self._free:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by leave(), which hands this thread its slot

    def leave(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


type _Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _in_turn(application: _Wsgi, gate: FifoGate) -> _Wsgi:
    """The application, called by one request at a time, in the order the requests are
    ready (read whole); the response is sent outside. A request with a body still to read
    (chunked, or larger than MAX_BUFFERED_BODY) is not kept waiting, nor keeps others waiting."""

    def in_turn(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not getattr(_read, "whole", False):
            return application(environ, start_response)
        gate.enter()
        try:
            return application(environ, start_response)
        finally:
            gate.leave()

    return in_turn


class _DeadlineSocket:
    """The connection's socket, as gunicorn's parser and responses use it. While a body is
    read (``deadline`` set), each read from the client waits at most what is left until the
    deadline, and none starts after it: a client that sends a byte at a time is cut off on
    time too. Everything else is the socket's own."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: float | None = None
        self.shortened = False  # SO_RCVTIMEO changed from READ_TIMEOUT
        self.closed_here = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def close_here(self) -> None:
        """gunicorn's graceful close (FIN, then the client's last bytes until it closes, 2 s
        at most) on this thread: gthread does it on the worker's main thread, which 20
        clients that never close blocked for 40 s, past the master's worker timeout. What
        gthread then does to the socket does nothing."""
        util.close_graceful(self._sock)
        self.closed_here = True

    def setblocking(self, flag: bool) -> None:
        if not self.closed_here:
            self._sock.setblocking(flag)

    def shutdown(self, how: int) -> None:
        if self.closed_here:
            raise OSError(errno.EBADF, "closed on the worker thread")
        self._sock.shutdown(how)

    def close(self) -> None:
        if not self.closed_here:
            self._sock.close()

    def recv(self, size: int, *flags: int) -> bytes:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            _set_read_timeout(self._sock, remaining)
            self.shortened = True
        return self._sock.recv(size, *flags)


def _continue(req, sock: "_DeadlineSocket | socket.socket") -> None:  # type: ignore[no-untyped-def]
    """A client that sent ``Expect: 100-continue`` waits for the interim 100 before its body.
    gunicorn sends it as the application starts, after the body this worker reads first, so
    it is sent here instead (once: gunicorn's flag is cleared, or it would send a second)."""
    if req._expected_100_continue:  # gunicorn's Request: set only for HTTP/1.1 and later
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        req._expected_100_continue = False


def _read_whole(body: Body, length: int, sock: "_DeadlineSocket | socket.socket") -> bytes:
    """The body, read within READ_TIMEOUT in all (on TLS, which gunicorn wraps itself, each
    read within READ_TIMEOUT); a body that came with the headers (an SDK's form POST) is
    taken from gunicorn's buffer without reading the socket at all."""
    timed = isinstance(sock, _DeadlineSocket)
    if timed:
        sock.deadline = time.monotonic() + READ_TIMEOUT
    try:
        return body.read(length)  # short if the client closed early: the application sees it
    except (TimeoutError, BlockingIOError):  # BlockingIOError: SO_RCVTIMEO ran out
        util.write_error(
            sock, 408, "Request Timeout", f"The request body took over {READ_TIMEOUT} s."
        )
        raise ClientTooSlow(b"") from None
    finally:
        if timed:
            sock.deadline = None
            if sock.shortened:
                _set_read_timeout(sock, READ_TIMEOUT)
                sock.shortened = False


def _set_read_timeout(sock: socket.socket, seconds: float) -> None:
    """SO_RCVTIMEO: how long one read from the socket may wait (never zero: that is forever)."""
    whole = int(seconds)
    micro = max(int((seconds - whole) * 1_000_000), 0 if whole else 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, micro))


def _quiet_header_timeouts(record: logging.LogRecord) -> bool:
    """A client that stalls in its headers ends in gthread's 'Socket error processing
    request.' with a traceback: it is the timeout doing its job, not an error."""
    return not (record.exc_info and isinstance(record.exc_info[1], BlockingIOError))
