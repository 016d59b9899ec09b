"""console.settings_reads: the settings object reads at attribute speed and answers as before."""

import sys
from collections.abc import Callable

import pytest
from django.conf import LazySettings, Settings, UserSettingsHolder, settings
from django.test import override_settings

from console import settings_reads


def python_calls_during(read: Callable[[], object]) -> list[str]:
    """The Python functions that run while ``read`` runs (itself left out)."""
    calls: list[str] = []

    def profiler(frame, event, arg):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
        if event == "call":
            calls.append(frame.f_code.co_qualname)

    sys.setprofile(profiler)
    try:
        read()
    finally:
        sys.setprofile(None)
    return [name for name in calls if not name.endswith("<lambda>")]


def test_the_console_app_installs_it() -> None:
    assert type(settings) is settings_reads.AttributeSpeedSettings
    assert isinstance(settings, LazySettings)


def test_a_setting_read_before_runs_no_python_code() -> None:
    assert settings.SESSION_IDLE_TIMEOUT_SECONDS == 3600
    assert python_calls_during(lambda: settings.SESSION_IDLE_TIMEOUT_SECONDS) == []


def test_without_it_a_read_runs_djangos_python_getattribute() -> None:
    # What install() removes: the same read through Django's class runs a Python method.
    plain = LazySettings()
    plain._wrapped = settings._wrapped
    assert plain.SESSION_IDLE_TIMEOUT_SECONDS == 3600
    assert "LazyObject.__getattribute__" in python_calls_during(
        lambda: plain.SESSION_IDLE_TIMEOUT_SECONDS
    )


def test_override_settings_is_seen_and_undone() -> None:
    before = settings.SESSION_IDLE_TIMEOUT_SECONDS  # read, so kept in the object's __dict__
    with override_settings(SESSION_IDLE_TIMEOUT_SECONDS=5):
        assert settings.SESSION_IDLE_TIMEOUT_SECONDS == 5
    assert settings.SESSION_IDLE_TIMEOUT_SECONDS == before


def test_a_setting_set_and_deleted_is_seen(request: pytest.FixtureRequest) -> None:
    # pytest-django's ``settings`` fixture sets and deletes attributes on the same object.
    fixture = request.getfixturevalue("settings")
    assert settings.ACCESS_KEYS_PER_USER == 2  # read, so kept in the object's __dict__
    fixture.ACCESS_KEYS_PER_USER = 7
    assert settings.ACCESS_KEYS_PER_USER == 7
    del fixture.ACCESS_KEYS_PER_USER
    assert not hasattr(settings, "ACCESS_KEYS_PER_USER")


def test_the_proxy_methods_answer_as_the_wrapped_settings_do() -> None:
    wrapped = settings._wrapped
    # LazyObject answers with the wrapped class (pytest-django wraps Settings in a holder).
    assert settings.__class__ is type(wrapped)
    assert settings.__class__ in (Settings, UserSettingsHolder)
    assert str(settings) == str(wrapped)
    assert bool(settings) is True
    assert settings == wrapped
    assert "DEBUG" in dir(settings)
    assert repr(settings).startswith("<LazySettings ")
