"""Access keys: at most two per root user, held by the database through one slot per key."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from .credential_report import CredentialReport  # noqa: F401  (registers it with this app)
from .crypto import decrypt_secret
from .exceptions import AccessKeyNotFound
from .mfa_attempts import MfaCodeAttempts  # noqa: F401  (registers it with this app)

ROTATION_DAYS = 90
# The two-key rule, defined here only: the slots and their CHECK constraint, the services'
# refusal, the console's message and GetAccountSummary's quota all derive from it.
ACCESS_KEYS_PER_USER = 2
SLOTS = tuple(range(1, ACCESS_KEYS_PER_USER + 1))
ACCESS_KEYS_PER_USER_IN_WORDS = ("one", "two", "three")[ACCESS_KEYS_PER_USER - 1]
LIMIT_MESSAGE = (
    f"You can have a maximum of {ACCESS_KEYS_PER_USER_IN_WORDS} access keys (active or inactive) "
    "at a time."
)


class AccessKeyQuerySet(models.QuerySet["AccessKey"]):
    def for_owner(self, owner: settings.AUTH_USER_MODEL) -> "AccessKeyQuerySet":
        return self.filter(owner=owner)

    def active(self) -> "AccessKeyQuerySet":
        return self.filter(status=AccessKey.Status.ACTIVE)


class AccessKey(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "Active"
        INACTIVE = "Inactive"

    access_key_id = models.CharField(max_length=20, primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_keys"
    )
    # The two-key rule lives here: each key takes one of SLOTS, unique per owner.
    slot = models.PositiveSmallIntegerField()
    secret_ciphertext = models.TextField(editable=False)
    status = models.CharField(max_length=8, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_region = models.CharField(max_length=32, blank=True)
    last_used_service = models.CharField(max_length=32, blank=True)

    objects = AccessKeyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "slot"], name="accesskey_one_per_slot"),
            models.CheckConstraint(
                condition=models.Q(slot__in=list(SLOTS)), name="accesskey_slot_1_or_2"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["Active", "Inactive"]),
                name="accesskey_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.access_key_id

    def __repr__(self) -> str:
        # Never the ciphertext, let alone the secret.
        return f"<AccessKey {self.access_key_id} {self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def was_used(self) -> bool:
        return self.last_used_at is not None

    def secret_access_key(self) -> str:
        return decrypt_secret(self.secret_ciphertext)

    def age_days(self, now: datetime | None = None) -> int:
        return ((now or timezone.now()) - self.created_at).days

    def days_since_last_use(self, now: datetime | None = None) -> int | None:
        """Whole days the key has gone unused since its last use; None if never used."""
        if self.last_used_at is None:
            return None
        return ((now or timezone.now()) - self.last_used_at).days

    @property
    def needs_rotation(self) -> bool:
        """AWS advises rotating access keys at least every 90 days."""
        return self.age_days() >= ROTATION_DAYS


def owned_key(owners_keys: Iterable[AccessKey], access_key_id: str) -> AccessKey:
    """The key with this ID among one owner's keys. Another account's key is as unknown as a
    made-up one: AccessKeyNotFound (a 404 in the console and in the API), never a 403."""
    for access_key in owners_keys:
        if access_key.access_key_id == access_key_id:
            return access_key
    raise AccessKeyNotFound(access_key_id)
