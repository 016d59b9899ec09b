"""gunicorn settings for `make run`, the benchmark and production alike."""

import multiprocessing
import os
import sys

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# One sync worker per core. Measured with `make bench-quick` on 2 cores: 2 workers served
# the API ~10% more requests a second than 4 and ~15% more than 6 (so did the ceiling app);
# every request here is CPU work, so more workers only add switching. WEB_CONCURRENCY
# overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "sync"
timeout = 30
graceful_timeout = 30
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
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
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
