"""mfa_device_create_*: at most eight devices per account, names unique per account, whatever
the concurrency (the owner's row lock on PostgreSQL, the write lock on SQLite).

On PostgreSQL the threads really race and every outcome is checked. SQLite's in-memory test
database (shared cache) refuses a second concurrent writer outright ("table is locked")
instead of queueing it as a database file does, so there a refused writer is an outcome too,
and what is checked is that the limit and the names still hold.
"""

import threading

import pytest
from django.db import OperationalError, connection

from accounts.mfa.services import (
    MFA_DEVICE_LIMIT,
    MFADeviceLimitExceeded,
    MFADeviceNameTaken,
    mfa_device_create_totp,
)
from accounts.mfa.totp import new_secret
from accounts.models import MFADevice
from tests.factories import make_totp_device


def assign_concurrently(owner, names: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(names))

    def assign(name: str) -> None:
        try:
            barrier.wait()
            mfa_device_create_totp(owner=owner, name=name, secret=new_secret(), last_used_step=0)
            outcomes.append("assigned")
        except MFADeviceLimitExceeded:
            outcomes.append("limit")
        except MFADeviceNameTaken:
            outcomes.append("name taken")
        except OperationalError:
            assert connection.vendor == "sqlite"
            outcomes.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_never_pass_eight(alice):
    for number in range(MFA_DEVICE_LIMIT - 2):
        make_totp_device(alice, name=f"app{number}")
    outcomes = assign_concurrently(alice, [f"new{number}" for number in range(5)])
    assigned = outcomes.count("assigned")
    assert MFADevice.objects.filter(owner=alice).count() == MFA_DEVICE_LIMIT - 2 + assigned
    if connection.vendor == "sqlite":
        assert 1 <= assigned <= 2
    else:
        assert outcomes == ["assigned", "assigned", "limit", "limit", "limit"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_of_one_name_make_one_device(alice, mallory):
    outcomes = assign_concurrently(alice, ["phone"] * 3)
    assert outcomes.count("assigned") == 1
    if connection.vendor != "sqlite":
        assert outcomes == ["assigned", "name taken", "name taken"]
    make_totp_device(mallory, name="phone")  # another account's names are its own
    assert MFADevice.objects.filter(name="phone").count() == 2
