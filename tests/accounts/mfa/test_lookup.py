"""accounts.mfa.lookup.devices_of: the compiled read gives what the ORM gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.mfa.lookup import devices_of
from accounts.models import MFADevice
from tests.factories import make_totp_device

pytestmark = pytest.mark.django_db


def test_it_lists_the_owners_devices_as_the_orm_does(alice, mallory):
    for name in ("phone", "tablet", "laptop"):
        make_totp_device(alice, name=name)
    make_totp_device(mallory, name="mallorys")
    with CaptureQueriesContext(connection) as queries:
        found = devices_of(alice)
        assert [device.owner for device in found] == [alice] * 3  # set, not queried
    assert len(queries) <= 1  # the compiled read may bypass Django's query log
    expected = list(MFADevice.objects.for_owner(alice))
    assert [d.pk for d in found] == [d.pk for d in expected]
    for mine, orms in zip(found, expected, strict=True):
        for field in MFADevice._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(orms, field.attname), field.name
        assert mine._state.adding is False and mine._state.db == "default"


def test_it_finds_nothing_for_an_owner_without_devices(alice):
    assert devices_of(alice) == []
