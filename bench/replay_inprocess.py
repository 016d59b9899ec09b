"""Calls a WSGI application in this process with one recorded request, again and again.

    python bench/replay_inprocess.py console|ceiling|stock_signed_in SPEC.json COUNT

Run by bench/instructions.py under valgrind, with the project's .venv Python and the app's
VAR_DIR in the environment (the console's, or the stock signed-in app's). SPEC.json is a
bench/run.py Spec (method, path, headers, body).
Every answer must be a 200, or this exits 1 and says what came back.
"""

import importlib
import io
import json
import os
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def load(app: str):  # noqa: ANN201 - a WSGI callable
    if app in ("ceiling", "stock_signed_in"):  # a package of bench/ with its own settings
        sys.path.insert(0, str(BENCH))
        os.environ["DJANGO_SETTINGS_MODULE"] = f"{app}.settings"
        application = importlib.import_module(f"{app}.wsgi").application
    else:
        sys.path.insert(0, str(ROOT))
        os.chdir(ROOT)
        from console.wsgi import application
    return application


def environ_for(spec: dict, body: bytes) -> dict:
    """The request as gunicorn would hand it over; ``wsgi.input`` is set per call."""
    path, _, query = spec["path"].partition("?")
    environ = {
        "REQUEST_METHOD": spec["method"],
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "RAW_URI": spec["path"],  # gunicorn's untouched request target
        "SCRIPT_NAME": "",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.errors": sys.stderr,
    }
    for name, value in spec["headers"].items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)  # the server's own keys: SERVER_NAME, wsgi.*, ...
    return environ


def stop_the_clock() -> None:
    """Every request of the run sees the same time. What the app writes once a minute (a
    key's last use, a session's last-seen stamp) would otherwise land in one count and not
    in the other, as a run happened to cross a minute or not: tens of thousands of
    instructions a request of noise in the API's counts."""
    started = time.time()
    time.time = lambda: started
    from django.utils import timezone  # noqa: PLC0415 - after the app has set Django up

    frozen = timezone.now()
    timezone.now = lambda: frozen


def main() -> int:
    app_name, spec_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    spec = json.loads(Path(spec_path).read_text())
    application = load(app_name)
    stop_the_clock()
    body = spec["body"].encode()
    environ = environ_for(spec, body)
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        statuses.append(status)

    for _ in range(count):
        statuses.clear()
        answer = application(environ | {"wsgi.input": io.BytesIO(body)}, start_response)
        content = b"".join(answer)
        if hasattr(answer, "close"):
            answer.close()
        if not statuses[0].startswith("200 "):
            print(f"{spec['path']}: {statuses[0]}\n{content[:500]!r}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
