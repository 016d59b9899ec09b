"""Production settings: refuse to start without secrets, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KEYS_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "VAR_DIR": str(tmp_path), **env},
        timeout=120,
        check=False,
    )


def production_env() -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": Fernet.generate_key().decode() * 2,
        "KEYS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "console.example.com",
    }


def test_production_passes_the_deploy_checks(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.iterdir()), "production must not generate development secrets"


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    for missing in ("DJANGO_SECRET_KEY", "KEYS_ENCRYPTION_KEYS"):
        env = production_env()
        del env[missing]
        result = manage("check", env=env, tmp_path=tmp_path)
        assert result.returncode != 0
        assert f"refuses to start without {missing}" in result.stderr


def test_local_mode_generates_development_secrets_once(tmp_path):
    manage("check", env={}, tmp_path=tmp_path)
    secret_key = (tmp_path / "django-secret-key").read_text()
    encryption_key = (tmp_path / "keys-encryption-key").read_text()
    assert oct((tmp_path / "django-secret-key").stat().st_mode)[-3:] == "600"
    manage("check", env={}, tmp_path=tmp_path)
    assert (tmp_path / "django-secret-key").read_text() == secret_key
    assert (tmp_path / "keys-encryption-key").read_text() == encryption_key


def test_a_misspelt_environment_refuses_to_start(tmp_path):
    for spelling in ("prod", "Production", "staging"):
        result = manage(
            "check", env={**production_env(), "DJANGO_ENV": spelling}, tmp_path=tmp_path
        )
        assert result.returncode != 0
        assert f"DJANGO_ENV must be local or production, not '{spelling}'." in result.stderr


def test_a_malformed_encryption_key_refuses_to_start(tmp_path):
    for keys in ("notakey", f"junk,{Fernet.generate_key().decode()}"):
        for env in (
            {"KEYS_ENCRYPTION_KEYS": keys},
            {**production_env(), "KEYS_ENCRYPTION_KEYS": keys},
        ):
            result = manage("check", env=env, tmp_path=tmp_path)
            assert result.returncode != 0, keys
            assert "KEYS_ENCRYPTION_KEYS must be comma-separated Fernet keys" in result.stderr


def test_make_runs_host_is_an_allowed_host_locally(tmp_path):
    def allowed(env: dict[str, str]) -> list[str]:
        shown = "from django.conf import settings; print(*settings.ALLOWED_HOSTS)"
        result = manage("shell", "--no-imports", "-c", shown, env=env, tmp_path=tmp_path)
        return result.stdout.split()

    assert "127.0.0.2" in allowed({"HOST": "127.0.0.2"})
    assert allowed({"HOST": "::"}) == ["127.0.0.1", "localhost", "[::1]"]  # every address
    assert allowed({"HOST": "127.0.0.2", "DJANGO_ALLOWED_HOSTS": "a.example"}) == ["a.example"]
