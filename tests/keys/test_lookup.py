"""The API's precompiled lookup gives the instances the ORM gives, and they behave as such."""

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from keys import lookup
from keys.models import AccessKey
from keys.services import access_key_deactivate
from tests.factories import make_access_key
from tests.servers import in_process_api_call

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:  # type: ignore[no-untyped-def]
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_lookup_loads_what_the_orm_loads(alice, mallory):
    """Every field of the keys; of the owner, what the API reads, the rest deferred (and
    still read, lazily, if touched)."""
    first, second = make_access_key(alice), make_access_key(alice)
    make_access_key(mallory)
    found = lookup.account_keys_of(second.access_key.pk).all
    assert found[0].get_deferred_fields() == set()
    loaded = {"id", *lookup.API_OWNER_FIELDS}
    assert found[0].owner.get_deferred_fields() == {
        f.attname for f in alice._meta.concrete_fields if f.attname not in loaded
    }
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
    assert found[0].owner is found[1].owner  # one owner instance for both keys


@pytest.mark.parametrize(
    ("service", "action"), [("sts", "GetCallerIdentity"), ("iam", "ListAccessKeys")]
)
def test_an_api_call_whose_use_is_recorded_runs_one_query(alice, service, action):
    """The API reads nothing that the lookup deferred: the one read, no lazy loads."""
    new_key = make_access_key(alice)
    call = {"access_key_id": new_key.access_key.pk, "secret": new_key.secret_access_key}
    assert in_process_api_call(**call, action=action, service=service).status_code == 200
    with CaptureQueriesContext(connection) as queries:  # the use of this minute is recorded
        response = in_process_api_call(**call, action=action, service=service)
    assert response.status_code == 200, response.content
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_no_key_no_rows(alice):
    make_access_key(alice)
    found = lookup.account_keys_of("AKIAAAAAAAAAAAAAAAAA")
    assert found.all == [] and found.get("AKIAAAAAAAAAAAAAAAAA") is None


def test_loaded_instances_can_be_changed_and_saved(alice):
    new_key = make_access_key(alice)
    (access_key,) = lookup.account_keys_of(new_key.access_key.pk).all
    access_key_deactivate(access_key=access_key, context=None)
    assert AccessKey.objects.get(pk=access_key.pk).status == AccessKey.Status.INACTIVE


def test_instances_are_built_through_from_db_with_their_init_signals(alice):
    new_key = make_access_key(alice)
    seen = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance)

    post_init.connect(receiver, sender=AccessKey)
    try:
        (access_key,) = lookup.account_keys_of(new_key.access_key.pk).all
    finally:
        post_init.disconnect(receiver, sender=AccessKey)
    assert seen == [access_key]


def test_a_key_asked_for_alone_is_the_only_one_built(alice):
    first, second = make_access_key(alice), make_access_key(alice)
    seen = []

    def receiver(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(instance)

    post_init.connect(receiver, sender=AccessKey)
    try:
        found = lookup.account_keys_of(second.access_key.pk)
        signing = found.get(second.access_key.pk)
        assert [k.pk for k in seen] == [second.access_key.pk]
        everything = found.all
    finally:
        post_init.disconnect(receiver, sender=AccessKey)
    assert [k.pk for k in everything] == [first.access_key.pk, second.access_key.pk]
    assert everything[1] is signing and everything[0].owner is signing.owner
    assert len(seen) == 2  # the signing key was not built twice


def test_the_python_order_is_the_models_and_refuses_a_descending_one():
    from accounts.models import Event
    from console.compiled import model_order_key

    key = model_order_key(AccessKey)
    assert key(AccessKey(created_at="t", slot=2)) == ("t", 2)
    with pytest.raises(ValueError, match="descending"):
        model_order_key(Event)
