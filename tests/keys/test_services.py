from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from keys.crypto import decrypt_secret, encrypt_secret
from keys.exceptions import AccessKeyNotFound, KeyLimitExceeded
from keys.ids import account_id_from_access_key_id
from keys.models import AccessKey
from keys.services import (
    access_key_activate,
    access_key_create,
    access_key_deactivate,
    access_key_delete,
    access_key_record_use,
)

pytestmark = pytest.mark.django_db


def test_create_makes_an_active_key_of_the_owners_account(alice):
    new_key = access_key_create(owner=alice)
    stored = AccessKey.objects.get(pk=new_key.access_key.access_key_id)
    assert stored.owner == alice
    assert stored.status == "Active"
    assert stored.last_used_at is None
    assert account_id_from_access_key_id(stored.access_key_id) == alice.account_id
    assert stored.secret_access_key() == new_key.secret_access_key


def test_the_secret_is_stored_only_encrypted(alice):
    new_key = access_key_create(owner=alice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM keys_accesskey")
        raw_rows = cursor.fetchall()
    raw = repr(raw_rows)
    assert new_key.secret_access_key not in raw
    assert new_key.secret_access_key not in repr(new_key)
    assert new_key.secret_access_key not in repr(new_key.access_key)
    assert decrypt_secret(new_key.access_key.secret_ciphertext) == new_key.secret_access_key


def test_create_refuses_a_third_key(alice):
    access_key_create(owner=alice)
    second = access_key_create(owner=alice)
    access_key_deactivate(access_key=second.access_key)  # inactive keys count too
    with pytest.raises(KeyLimitExceeded) as refused:
        access_key_create(owner=alice)
    assert str(refused.value) == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_a_deleted_key_frees_its_slot(alice):
    first = access_key_create(owner=alice)
    access_key_create(owner=alice)
    access_key_delete(access_key=first.access_key)
    third = access_key_create(owner=alice)
    assert third.access_key.slot == first.access_key.slot
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_the_database_refuses_a_third_key_when_the_service_is_bypassed(alice):
    access_key_create(owner=alice)
    access_key_create(owner=alice)
    for slot in (1, 2, 3, 0):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccessKey.objects.create(
                access_key_id=f"AKIATEST{slot:012d}",
                owner=alice,
                slot=slot,
                secret_ciphertext=encrypt_secret("x" * 40),
            )
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_the_database_refuses_an_unknown_status(alice):
    new_key = access_key_create(owner=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessKey.objects.filter(pk=new_key.access_key.pk).update(status="Revoked")


def test_keys_are_per_owner(alice, mallory):
    access_key_create(owner=alice)
    access_key_create(owner=alice)
    access_key_create(owner=mallory)
    assert AccessKey.objects.for_owner(mallory).count() == 1


def test_deactivate_and_activate(alice):
    key = access_key_create(owner=alice).access_key
    access_key_deactivate(access_key=key)
    assert AccessKey.objects.get(pk=key.pk).status == "Inactive"
    assert not AccessKey.objects.for_owner(alice).active().exists()
    access_key_activate(access_key=key)
    assert AccessKey.objects.get(pk=key.pk).status == "Active"


def test_actions_on_a_deleted_key_raise_not_found(alice):
    key = access_key_create(owner=alice).access_key
    access_key_delete(access_key=key)
    assert not AccessKey.objects.filter(pk=key.pk).exists()
    for action in (access_key_activate, access_key_deactivate, access_key_delete):
        with pytest.raises(AccessKeyNotFound):
            action(access_key=key)


def test_record_use_keeps_the_minute_region_and_service(alice):
    key = access_key_create(owner=alice).access_key
    at = datetime(2026, 11, 27, 18, 16, 42, tzinfo=UTC)
    assert access_key_record_use(access_key=key, region="eu-west-1", service="sts", at=at)
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.last_used_at == datetime(2026, 11, 27, 18, 16, tzinfo=UTC)
    assert (stored.last_used_region, stored.last_used_service) == ("eu-west-1", "sts")


def test_record_use_writes_once_a_minute_unless_something_changed(alice, django_assert_num_queries):
    key = access_key_create(owner=alice).access_key
    at = datetime(2026, 11, 27, 18, 16, 1, tzinfo=UTC)
    access_key_record_use(access_key=key, region="us-east-1", service="iam", at=at)
    with django_assert_num_queries(0):
        assert not access_key_record_use(
            access_key=key, region="us-east-1", service="iam", at=at.replace(second=59)
        )
    with django_assert_num_queries(1):
        assert access_key_record_use(access_key=key, region="us-east-1", service="sts", at=at)


def test_record_use_never_moves_last_use_backwards(alice):
    key = access_key_create(owner=alice).access_key
    stale_copy = AccessKey.objects.get(pk=key.pk)
    later = datetime(2026, 11, 27, 18, 20, tzinfo=UTC)
    access_key_record_use(access_key=key, region="us-east-1", service="iam", at=later)
    access_key_record_use(
        access_key=stale_copy, region="us-east-1", service="iam", at=later.replace(minute=19)
    )
    assert AccessKey.objects.get(pk=key.pk).last_used_at == later


def test_a_create_for_a_list_of_keys_that_is_not_the_accounts_makes_nothing(alice):
    from accounts.models import Event
    from keys.exceptions import KeyListChanged

    first = access_key_create(owner=alice, shown=frozenset()).access_key
    events = Event.objects.count()
    with pytest.raises(KeyListChanged) as changed:
        access_key_create(owner=alice, shown=frozenset())  # the same page's second click
    assert changed.value.added == {first.access_key_id}
    with pytest.raises(KeyListChanged):
        access_key_create(owner=alice, shown=frozenset({first.access_key_id, "AKIAGONE"}))
    assert list(AccessKey.objects.for_owner(alice)) == [first]
    assert Event.objects.count() == events
    access_key_create(owner=alice, shown=frozenset({first.access_key_id}))  # up to date
    assert AccessKey.objects.for_owner(alice).count() == 2


def test_a_full_account_says_the_limit_to_a_page_that_showed_neither_key(alice):
    from keys.exceptions import KeyListChanged

    access_key_create(owner=alice)
    access_key_create(owner=alice)
    with pytest.raises(KeyLimitExceeded):
        access_key_create(owner=alice, shown=frozenset())
    first = AccessKey.objects.for_owner(alice).first()
    with pytest.raises(KeyListChanged):  # one more than it showed: a repeat
        access_key_create(owner=alice, shown=frozenset({first.access_key_id}))
