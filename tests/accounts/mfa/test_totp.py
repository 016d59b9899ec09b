"""verify_totp_code: the owner's own authenticator apps only, ±1 step, each code once, and
two concurrent uses of one code cannot both pass."""

import threading
import time

import pyotp
import pytest
from django.db import OperationalError, connection

from accounts.mfa import serial_number, verify_totp_code
from accounts.mfa.totp import STEP_SECONDS, consecutive_codes_step, current_step
from accounts.models import MFADevice
from tests.factories import make_totp_device

NOW = 1_800_000_000.0  # a fixed moment, on a step boundary's far side from any drift


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


@pytest.mark.django_db
def test_it_accepts_the_current_and_adjacent_steps_once_each(alice):
    device, secret = make_totp_device(alice)
    step = current_step(NOW)
    assert verify_totp_code(owner=alice, code=code_at(secret, step - 1), now=NOW)
    assert not verify_totp_code(owner=alice, code=code_at(secret, step - 1), now=NOW)  # replay
    assert verify_totp_code(owner=alice, code=code_at(secret, step + 1), now=NOW)
    # An older step than the newest accepted one is refused too.
    assert not verify_totp_code(owner=alice, code=code_at(secret, step), now=NOW)
    device.refresh_from_db()
    assert device.last_used_step == step + 1


@pytest.mark.django_db
def test_it_refuses_codes_two_steps_away_and_malformed_ones(alice):
    _, secret = make_totp_device(alice)
    step = current_step(NOW)
    for code in (code_at(secret, step - 2), code_at(secret, step + 2), "", "12345", "abcdef"):
        assert not verify_totp_code(owner=alice, code=code, now=NOW), code
    spaced = code_at(secret, step)
    assert verify_totp_code(owner=alice, code=f" {spaced[:3]} {spaced[3:]} ", now=NOW)


@pytest.mark.django_db
def test_it_checks_only_the_owners_devices_and_the_named_serial(alice, mallory):
    alice_app, alice_secret = make_totp_device(alice, name="phone")
    other_app, _ = make_totp_device(alice, name="tablet")
    step = current_step(NOW)
    assert not verify_totp_code(owner=mallory, code=code_at(alice_secret, step), now=NOW)
    assert not verify_totp_code(
        owner=alice,
        code=code_at(alice_secret, step),
        serial_number=serial_number(other_app),
        now=NOW,
    )
    assert verify_totp_code(
        owner=alice,
        code=code_at(alice_secret, step),
        serial_number=serial_number(alice_app),
        now=NOW,
    )


@pytest.mark.django_db
def test_the_serial_number_is_awss_arn(alice):
    device, _ = make_totp_device(alice, name="my-phone")
    assert serial_number(device) == f"arn:aws:iam::{alice.account_id}:mfa/my-phone"


def test_two_consecutive_codes_prove_a_seed():
    secret = pyotp.random_base32()
    step = current_step(NOW)
    first, second = code_at(secret, step - 1), code_at(secret, step)
    assert consecutive_codes_step(secret, first, second, now=NOW) == step
    assert consecutive_codes_step(secret, second, first, now=NOW) is None
    assert consecutive_codes_step(secret, first, first, now=NOW) is None
    assert consecutive_codes_step(secret, code_at(secret, step - 3), second, now=NOW) is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uses_of_one_code_cannot_both_pass(alice):
    _, secret = make_totp_device(alice)
    code = code_at(secret, current_step(NOW))
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def use() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    results.append(verify_totp_code(owner=alice, code=code, now=NOW))
                    return
                except OperationalError as error:
                    # The test's in-memory SQLite refuses a second writer at once ("database
                    # table is locked") where a file database waits for its busy timeout:
                    # wait here instead, then try the same code again.
                    if connection.vendor != "sqlite" or "locked" not in str(error):
                        raise
                    time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


@pytest.mark.django_db
def test_the_seed_is_stored_only_encrypted(alice):
    device, secret = make_totp_device(alice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_mfadevice WHERE id = %s", [device.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row
    assert secret not in repr(MFADevice.objects.get(pk=device.pk))


@pytest.mark.django_db
def test_rotate_encryption_keys_re_encrypts_mfa_seeds(settings, alice):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KEYS_ENCRYPTION_KEYS = [old]
    device, secret = make_totp_device(alice)
    settings.KEYS_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "Re-encrypted 1 MFA seed(s)" in out.getvalue()
    settings.KEYS_ENCRYPTION_KEYS = [new]  # the old key dropped: the code still checks
    step = current_step(NOW)
    assert verify_totp_code(owner=alice, code=code_at(secret, step), now=NOW)
