"""console/gunicorn.conf.py: gunicorn's master warms the console up (when_ready), once the app
is loaded and before it forks; importing console.wsgi does not."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import engines

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "console" / "gunicorn.conf.py"


def test_when_ready_compiles_every_template_without_touching_the_database() -> None:
    # No django_db mark: pytest-django fails this test if the hook reaches the database.
    import console.wsgi  # noqa: F401 - loaded in the master before when_ready, as preload_app does

    env = engines["jinja2"].env
    env.cache.clear()
    runpy.run_path(str(CONF))["when_ready"](None)
    compiled = {name for _loader, name in env.cache.keys()}
    assert compiled == set(env.list_templates(extensions=("html",)))


def test_importing_the_wsgi_module_compiles_no_template(tmp_path: Path) -> None:
    probe = (
        "import console.wsgi\n"
        "from django.template import engines\n"
        "print(len(engines['jinja2'].env.cache))\n"
    )
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "console.settings"}
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_workers_are_not_recycled() -> None:
    settings = runpy.run_path(str(CONF))
    assert "max_requests" not in settings and "worker_exit" not in settings
    assert settings["preload_app"] is True


@pytest.mark.parametrize("proxies", ["", "10.0.0.0/8", " 10.1.2.3 , 192.168.1.1/24,2001:db8::/32"])
def test_gunicorn_trusts_forwarded_headers_from_exactly_the_django_trusted_proxies(
    proxies: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    from gunicorn.config import Config

    monkeypatch.setenv("DJANGO_TRUSTED_PROXIES", proxies)
    conf = runpy.run_path(str(CONF))
    gunicorn = Config()
    gunicorn.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    settings = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert repr(gunicorn.forwarded_allow_ips) == settings.stdout.strip()
    assert "127.0.0.1" not in gunicorn.forwarded_allow_ips  # gunicorn's own default
