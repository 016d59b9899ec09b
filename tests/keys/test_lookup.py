"""The API's precompiled lookup gives the instances the ORM gives, and they behave as such."""

import pytest
from django.db.models.signals import post_init

from keys import lookup
from keys.models import AccessKey
from keys.services import access_key_deactivate
from tests.factories import make_access_key

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:  # type: ignore[no-untyped-def]
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_lookup_loads_what_the_orm_loads(alice, mallory):
    first, second = make_access_key(alice), make_access_key(alice)
    make_access_key(mallory)
    found = lookup.account_keys_of(second.access_key.pk)
    expected = list(
        AccessKey.objects.select_related("owner").filter(owner=alice).order_by("created_at", "slot")
    )
    assert [k.pk for k in found] == [first.access_key.pk, second.access_key.pk]
    for got, want in zip(found, expected, strict=True):
        assert type(got) is AccessKey
        assert _fields(got) == _fields(want)
        assert _fields(got.owner) == _fields(want.owner)
        assert not got._state.adding and got._state.db == "default"
        assert not got.owner._state.adding and got.owner._state.db == "default"
    assert found[0].owner is found[1].owner  # shared, as select_related shares it


def test_no_key_no_rows(alice):
    make_access_key(alice)
    assert lookup.account_keys_of("AKIAAAAAAAAAAAAAAAAA") == []


def test_loaded_instances_can_be_changed_and_saved(alice):
    new_key = make_access_key(alice)
    (access_key,) = lookup.account_keys_of(new_key.access_key.pk)
    access_key_deactivate(access_key=access_key, context=None)
    assert AccessKey.objects.get(pk=access_key.pk).status == AccessKey.Status.INACTIVE


def test_instances_are_built_through_from_db_with_their_init_signals(alice):
    new_key = make_access_key(alice)
    seen = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance)

    post_init.connect(receiver, sender=AccessKey)
    try:
        (access_key,) = lookup.account_keys_of(new_key.access_key.pk)
    finally:
        post_init.disconnect(receiver, sender=AccessKey)
    assert seen == [access_key]
