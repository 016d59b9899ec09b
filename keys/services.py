"""Every write to access keys goes through here: the console, the API and commands alike."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.events import Action, EventContext, event_record

from .crypto import encrypt_secret
from .exceptions import AccessKeyNotFound, KeyLimitExceeded, KeyListChanged
from .ids import generate_access_key_id, generate_secret_access_key
from .models import ACCESS_KEYS_PER_USER, SLOTS, AccessKey


@dataclass(frozen=True)
class NewAccessKey:
    """A key just made, with its secret: the only moment the plain secret exists."""

    access_key: AccessKey
    secret_access_key: str

    def __repr__(self) -> str:
        return f"<NewAccessKey {self.access_key.access_key_id}>"


def access_key_create(
    *,
    owner: settings.AUTH_USER_MODEL,
    context: EventContext | None = None,
    shown: frozenset[str] | None = None,
) -> NewAccessKey:
    """Make a key in a free slot, or raise KeyLimitExceeded when both slots are taken.

    ``shown``: the key IDs the page showed when it was asked for a key. If the account's keys
    are no longer those, nothing is made (KeyListChanged, or KeyLimitExceeded when the account
    is full of keys the page did not show): a second click on a page without JavaScript sends
    the form twice, and the second must not make a second key.

    The owner's row is locked (PostgreSQL) or the database write-locked (SQLite, IMMEDIATE
    transactions), so concurrent creates queue; the unique (owner, slot) constraint is the
    backstop that holds even if that ordering were ever bypassed.
    """
    secret = generate_secret_access_key()
    ciphertext = encrypt_secret(secret)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
        slots = dict(AccessKey.objects.for_owner(owner).values_list("access_key_id", "slot"))
        taken = set(slots.values())
        if shown is not None and slots.keys() != shown:
            added = frozenset(slots.keys() - shown)
            # One key more than the page showed: a repeat. Any other change is news to the
            # page, but a full account says the more useful thing (the limit) below.
            if len(added) == 1 or len(taken) < len(SLOTS):
                raise KeyListChanged(added=added)
        for slot in SLOTS:
            if slot in taken:
                continue
            try:
                with transaction.atomic():
                    access_key = AccessKey.objects.create(
                        access_key_id=generate_access_key_id(owner.account_id),
                        owner=owner,
                        slot=slot,
                        secret_ciphertext=ciphertext,
                    )
            except IntegrityError:
                continue  # Another writer took this slot first; try the next.
            event_record(
                action=Action.CREATE_ACCESS_KEY,
                context=context,
                account=owner,
                access_key_id=access_key.access_key_id,
            )
            return NewAccessKey(access_key=access_key, secret_access_key=secret)
    event_record(action=Action.ACCESS_KEY_QUOTA_REFUSED, context=context, account=owner)
    raise KeyLimitExceeded(limit=ACCESS_KEYS_PER_USER)


def _set_status(
    *, access_key: AccessKey, status: AccessKey.Status, action: str, context: EventContext | None
) -> AccessKey:
    with transaction.atomic():
        updated = AccessKey.objects.filter(pk=access_key.pk, owner_id=access_key.owner_id).update(
            status=status
        )
        if not updated:
            raise AccessKeyNotFound(access_key.access_key_id)
        event_record(
            action=action,
            context=context,
            account_id=access_key.owner_id,
            access_key_id=access_key.access_key_id,
        )
    access_key.status = status
    return access_key


def access_key_activate(*, access_key: AccessKey, context: EventContext | None = None) -> AccessKey:
    return _set_status(
        access_key=access_key,
        status=AccessKey.Status.ACTIVE,
        action=Action.ACTIVATE_ACCESS_KEY,
        context=context,
    )


def access_key_deactivate(
    *, access_key: AccessKey, context: EventContext | None = None
) -> AccessKey:
    return _set_status(
        access_key=access_key,
        status=AccessKey.Status.INACTIVE,
        action=Action.DEACTIVATE_ACCESS_KEY,
        context=context,
    )


def access_key_delete(*, access_key: AccessKey, context: EventContext | None = None) -> None:
    with transaction.atomic():
        deleted, _ = AccessKey.objects.filter(
            pk=access_key.pk, owner_id=access_key.owner_id
        ).delete()
        if not deleted:
            raise AccessKeyNotFound(access_key.access_key_id)
        event_record(
            action=Action.DELETE_ACCESS_KEY,
            context=context,
            account_id=access_key.owner_id,
            access_key_id=access_key.access_key_id,
        )


def last_use_time(at: datetime) -> datetime:
    """AWS reports last use to the minute; so do we, which also bounds the writes."""
    return at.replace(second=0, microsecond=0)


def access_key_record_use(
    *, access_key: AccessKey, region: str, service: str, at: datetime | None = None
) -> bool:
    """Record a verified use. Writes only when the minute, region or service changed, so
    a busy key costs one UPDATE a minute, not one per request. Returns whether it wrote."""
    used_at = last_use_time(at or timezone.now())
    if (
        access_key.last_used_at == used_at
        and access_key.last_used_region == region
        and access_key.last_used_service == service
    ):
        return False
    # Never move the date backwards when a slower worker writes after a newer one.
    AccessKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=used_at), pk=access_key.pk
    ).update(last_used_at=used_at, last_used_region=region, last_used_service=service)
    access_key.last_used_at = used_at
    access_key.last_used_region = region
    access_key.last_used_service = service
    return True
