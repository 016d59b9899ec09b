"""The root user: one person, one AWS-style account, signing in with an email address."""

import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

ACCOUNT_ID_DIGITS = 12


def new_account_id() -> str:
    return f"{secrets.randbelow(10**ACCOUNT_ID_DIGITS):0{ACCOUNT_ID_DIGITS}d}"


def normalize_email(email: str) -> str:
    """The one spelling of an email address: stripped and lower-cased, as accounts store it.

    Sign-in, the throttle and the event history all key on this form, so that ``ALICE@…`` and
    `` alice@… `` are one account with one throttle. It is ``str.lower()``, not ``casefold()``,
    because that is what every stored address was made with (and what the ``LOWER(email)``
    index compares): ``casefold`` would map ``ß`` to ``ss`` and no longer find such an account.
    """
    return email.strip().lower()


class RootUserManager(BaseUserManager["RootUser"]):
    use_in_migrations = True

    def with_email(self, email: str) -> models.QuerySet["RootUser"]:
        """The account with this email, whatever its case. Through the LOWER(email) unique
        index: ``email__iexact`` compiles to UPPER(…) or LIKE, which scan every account."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=normalize_email(email))

    def get_by_natural_key(self, username: str | None) -> "RootUser":
        return self.with_email(username or "").get()

    def create_user(
        self, email: str, password: str | None = None, *, account_name: str = ""
    ) -> "RootUser":
        email = normalize_email(email)
        if not email:
            raise ValueError("A root user needs an email address.")
        user = self.model(email=email, account_name=account_name or email.split("@")[0])
        user.set_password(password)
        # Account IDs are random; a clash is astronomically rare but must not be a 500.
        for _ in range(5):
            user.account_id = new_account_id()
            try:
                with transaction.atomic():
                    user.save(using=self._db)
                return user
            except IntegrityError:
                if self.with_email(email).exists():
                    raise
        raise IntegrityError("Could not allocate a unique account ID.")


class RootUser(AbstractBaseUser):
    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased
    account_id = models.CharField(max_length=ACCOUNT_ID_DIGITS, unique=True, editable=False)
    account_name = models.CharField(max_length=50)
    hide_root_credentials_warning = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = RootUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="rootuser_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(account_id__regex=r"^[0-9]{12}$"),
                name="rootuser_account_id_12_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_name} ({self.account_id})"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Events are an append-only audit trail: never updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Events are an append-only audit trail: never deleted.")

    def for_account(self, account: "RootUser") -> "EventQuerySet":
        return self.filter(account=account)


class Event(models.Model):
    """One line of the account's event history. Never holds a secret; never changes."""

    class Action(models.TextChoices):
        SIGN_IN = "SignIn", "Sign in"
        SIGN_IN_FAILURE = "SignInFailure", "Sign-in failure"
        SIGN_IN_THROTTLED = "SignInThrottled", "Sign-in refused (too many failures)"
        SIGN_OUT = "SignOut", "Sign out"
        CREATE_ACCESS_KEY = "CreateAccessKey", "Create access key"
        ACTIVATE_ACCESS_KEY = "ActivateAccessKey", "Make access key active"
        DEACTIVATE_ACCESS_KEY = "DeactivateAccessKey", "Make access key inactive"
        DELETE_ACCESS_KEY = "DeleteAccessKey", "Delete access key"
        ACCESS_KEY_QUOTA_REFUSED = "AccessKeyQuotaRefused", "Access key refused (quota)"
        GET_SESSION_TOKEN = "GetSessionToken", "Get temporary credentials (session token)"
        CHANGE_PASSWORD = "ChangePassword", "Change password"
        ENABLE_MFA_DEVICE = "EnableMFADevice", "Assign MFA device"
        DEACTIVATE_MFA_DEVICE = "DeactivateMFADevice", "Remove MFA device"

    class Channel(models.TextChoices):
        CONSOLE = "console", "Console"
        API = "api", "API"
        COMMAND = "command", "Command"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    account = models.ForeignKey(
        RootUser, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # The email a sign-in was attempted with, in its one spelling (normalize_email).
    email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=32, choices=Action)
    channel = models.CharField(max_length=8, choices=Channel)
    access_key_id = models.CharField(max_length=20, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"], name="event_account_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%dT%H:%M:%SZ} {self.action} {self.channel}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Events are an append-only audit trail: never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Events are an append-only audit trail: never deleted.")


class MFADeviceQuerySet(models.QuerySet["MFADevice"]):
    def for_owner(self, owner: RootUser) -> "MFADeviceQuerySet":
        return self.filter(owner=owner)

    def totp(self) -> "MFADeviceQuerySet":
        return self.filter(kind=MFADevice.Kind.TOTP)

    def passkeys(self) -> "MFADeviceQuerySet":
        return self.filter(kind=MFADevice.Kind.PASSKEY)


class MFADevice(models.Model):
    """One of the root user's MFA devices: an authenticator app (TOTP) or a passkey.

    A TOTP seed is stored only as a Fernet token (keys/crypto.py); ``last_used_step`` is the
    newest accepted 30-second step, so a code is accepted once. A passkey holds its WebAuthn
    credential ID and COSE public key (neither is a secret)."""

    class Kind(models.TextChoices):
        TOTP = "totp", "Authenticator app"
        PASSKEY = "passkey", "Passkey or security key"

    owner = models.ForeignKey(RootUser, on_delete=models.CASCADE, related_name="mfa_devices")
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=8, choices=Kind)
    created_at = models.DateTimeField(default=timezone.now)
    secret_ciphertext = models.TextField(blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)
    # WebAuthn credential ID (base64url), unique across accounts: a credential is one account's.
    credential_id = models.CharField(max_length=1400, null=True, blank=True, unique=True)
    public_key = models.BinaryField(blank=True, default=b"")
    sign_count = models.BigIntegerField(default=0)
    # AWS's FIDO serial numbers end in a random suffix (``u2f/root/<name>-<suffix>``).
    serial_suffix = models.CharField(max_length=32, blank=True)

    objects = MFADeviceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="mfadevice_owner_name_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["totp", "passkey"]), name="mfadevice_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def __repr__(self) -> str:  # never the ciphertext, even encrypted
        return f"<MFADevice {self.pk} {self.kind} {self.name!r}>"


class SignInThrottle(models.Model):
    """Sign-in attempts counted for one key: an email with a client address, or (``email``
    empty) a client address across every email. accounts/throttle.py changes a row only while
    holding its lock, so concurrent attempts are counted exactly."""

    email = models.CharField(max_length=254, blank=True)  # "" = every email from the address
    address = models.CharField(max_length=64, blank=True)  # an IP, an IPv6 /64, "" if unknown
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    # The lock's first refusal went into the event history; later ones are not recorded.
    lock_recorded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "address"], name="signinthrottle_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email or '*'} from {self.address or '?'}: {self.failures}"
