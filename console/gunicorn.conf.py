"""gunicorn settings for `make run`, the benchmark and production alike."""

import ipaddress
import logging
import multiprocessing
import os
import sys
from pathlib import Path

# The repository, for the worker class below, whatever the working directory (bench/ serves
# its own apps with this file).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One worker process per core: every request here is CPU work, so more processes only add
# switching (on 2 cores, 2 workers served the API ~10% more requests a second than 4).
# WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
# Threads, so that a slow or idle client holds one thread, not a whole process: with sync
# workers, two clients that sent half a request stopped the server. 32 per worker outnumber
# the slow clients `make run` on a LAN may meet (the test holds 20 against one worker's
# share), and the worker class bounds how long each can hold its thread
# (console/gunicorn_worker.py: READ_TIMEOUT). Each thread that touches the database keeps
# its own connection (CONN_MAX_AGE): on PostgreSQL, servers x workers x threads must fit
# max_connections; behind a buffering proxy (docs/DEPLOY.md) fewer threads do.
# GUNICORN_THREADS overrides it.
worker_class = "console.gunicorn_worker.DeadlineThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS") or 32)
# gthread: a worker whose main loop stops is killed after this; requests are not timed.
timeout = 30
graceful_timeout = 30
# Idle kept-alive connections wait in the worker's poller, not on a thread, and close after
# this; so does a new connection that has sent nothing (after gthread's own 5 s on a thread).
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
# Load the app once in the master and fork workers from it. A worker then starts in
# milliseconds instead of the 0.8 s of CPU that importing Django and the app takes, which
# mattered: at 1,700 API requests a second, max_requests recycles each of 2 workers every
# few seconds, and each cold start cost throughput and a p99 spike. Importing console.wsgi
# also compiles every template there (console.wsgi.warm_up), so a new worker's first page
# takes 20-30 ms, not 130-140. Nothing opens a database connection at import, so no
# connection is shared across the fork. (A HUP then restarts workers on the code the
# master loaded; deploy by restarting the master.)
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = "info"
# The access log never shows query strings: a presigned request's signature lives there.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# Forwarded headers only from DJANGO_TRUSTED_PROXIES (none by default), the variable behind
# Django's TRUSTED_PROXIES, read the same way (this file loads before Django, so it cannot
# import the settings; tests/console/test_gunicorn_conf.py checks the two agree). From those
# peers X-Forwarded-Proto sets the scheme; gunicorn's default trusted 127.0.0.1.
forwarded_allow_ips = ",".join(
    str(ipaddress.ip_network(item.strip(), strict=False))
    for item in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",")
    if item.strip()
)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# gunicorn 25+ opens a control socket at one path per user (.gunicorn/gunicorn.ctl in the
# home directory), so a second instance on the machine (a second app server, `make bench`,
# the tests' servers) silently takes it over from the first, and whichever stops first
# removes the other's.
# Off unless asked for, then at the path given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def worker_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's Arbiter and Worker
    """A worker that ends cleanly leaves without tearing its Python interpreter down.

    Python's shutdown (tearing down every module, freeing their objects one by one, the last
    collections) takes a console process 250-300 ms of CPU, all of it in the interpreter: strace
    shows no system call in that time, and it takes as long in a process that was never
    forked. The master reaps a worker and starts its replacement only once it has gone, so
    every max_requests recycling (every few seconds per worker at the API's rate) left one
    worker serving alone while the dying one took CPU from it: the API's p99 went from about
    15 ms to 60-320 ms in the bench runs that had one. After gunicorn's own clean-up (this hook
    runs last), the database connections are closed and the logs flushed, which is all the
    shutdown did that anything outside this process can see, and the worker exits at once
    (exit to reaped: 4-8 ms). A worker ending with an error code is left to exit the ordinary
    way, so the master still sees that code.
    """
    ending = sys.exception()  # the SystemExit on its way out of gunicorn's spawn_worker
    if not isinstance(ending, SystemExit) or ending.code not in (0, None):
        return
    from django.db import connections

    connections.close_all()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
