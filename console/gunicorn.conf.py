"""gunicorn settings for `make run`, the benchmark and production alike."""

import ipaddress
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
# No max_requests: nothing here leaks memory that recycling workers would reclaim.
# Load the app once in the master and fork workers from it, warmed up by when_ready below:
# a worker (a first one, or one replacing a worker that died) starts in milliseconds and its
# first page compiles no template. Nothing opens a database connection in the master, so no
# connection is shared across the fork. (A HUP then restarts workers on the code the master
# loaded; deploy by restarting the master.)
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


def when_ready(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    """In the master, once the app is loaded (preload_app) and before any worker is forked."""
    console = sys.modules.get("console.wsgi")
    if console is not None:  # bench/'s reference apps are served with this file too
        console.warm_up()
