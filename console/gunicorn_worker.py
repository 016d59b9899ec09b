"""gunicorn's threaded worker, with deadlines on reading a request (console/gunicorn.conf.py).

A thread (``threads`` of them per worker) serves one connection at a time, and gunicorn 27's
gthread already keeps a connection that sends nothing off the threads (after 5 s it waits in
the worker's poller instead, and is closed after ``keepalive``). A client that starts a request
and then stalls would still hold its thread for as long as it liked, so this worker adds:

- headers: every read from the client waits at most ``READ_TIMEOUT`` (SO_RCVTIMEO, set once
  on the connection's socket, which gthread's blocking mode leaves in place); headers are
  bounded in size by gunicorn's ``limit_request_*``;
- body: a body of known length is read whole before the application sees the request, so
  Django never waits on the client. Once ``READ_TIMEOUT`` has passed, no further read starts,
  and each read waits at most what was left of it; a client too slow for that gets a 408 and
  the connection is closed. (A client that trickles a byte at a time can stretch one
  ``READ_STEP`` read past the deadline, since gunicorn's reader loops over the socket inside it;
  a buffering proxy in front bounds that.)

In production a buffering proxy in front does this and more (docs/DEPLOY.md).
"""

import io
import logging
import socket
import struct
import time

from gunicorn import util
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

READ_TIMEOUT = 10  # seconds: each read of the headers; the body, as _read_whole says
MAX_BUFFERED_BODY = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE: larger ones it refuses
READ_STEP = 65536


class ClientTooSlow(NoMoreData):
    """The client did not send its request in time (gthread closes the connection quietly)."""


class DeadlineThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        self.log.error_log.addFilter(_quiet_header_timeouts)
        super().init_process()

    def handle(self, conn):  # type: ignore[no-untyped-def]  # gunicorn's TConn
        if not conn.initialized:  # once a connection: the option stays on the socket
            _set_read_timeout(conn.sock, READ_TIMEOUT)
        return super().handle(conn)

    def handle_request(self, req, conn):  # type: ignore[no-untyped-def]  # gunicorn's Request
        if isinstance(req.body.reader, LengthReader):
            length = req.body.reader.length
            if 0 < length <= MAX_BUFFERED_BODY:
                req.body = Body(io.BytesIO(_read_whole(req.body, length, conn.sock)))
        return super().handle_request(req, conn)


def _read_whole(body: Body, length: int, sock: socket.socket) -> bytes:
    """The body, with no read started after READ_TIMEOUT and each waiting at most what is
    left of it (SO_RCVTIMEO); a body that came with the headers (an SDK's form POST) is
    read without touching the socket's options."""
    deadline = time.monotonic() + READ_TIMEOUT
    chunks: list[bytes] = []
    received, shortened = 0, False
    try:
        while received < length:
            chunk = body.read(min(READ_STEP, length - received))
            if not chunk:
                break  # the client closed early: the application sees what came
            chunks.append(chunk)
            received += len(chunk)
            if received < length:  # another read may wait on the client
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                _set_read_timeout(sock, remaining)
                shortened = True
        return b"".join(chunks)
    except (TimeoutError, BlockingIOError):  # BlockingIOError: SO_RCVTIMEO ran out
        util.write_error(
            sock, 408, "Request Timeout", f"The request body took over {READ_TIMEOUT} s."
        )
        raise ClientTooSlow(b"".join(chunks)[:64]) from None
    finally:
        if shortened:
            _set_read_timeout(sock, READ_TIMEOUT)


def _set_read_timeout(sock: socket.socket, seconds: float) -> None:
    """SO_RCVTIMEO: how long one read from the socket may wait (never zero: that is forever)."""
    whole = int(seconds)
    micro = max(int((seconds - whole) * 1_000_000), 0 if whole else 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, micro))


def _quiet_header_timeouts(record: logging.LogRecord) -> bool:
    """A client that stalls in its headers ends in gthread's 'Socket error processing
    request.' with a traceback: it is the timeout doing its job, not an error."""
    return not (record.exc_info and isinstance(record.exc_info[1], BlockingIOError))
