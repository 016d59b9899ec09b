"""The root user: one person, one AWS-style account, signing in with an email address."""

import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

ACCOUNT_ID_DIGITS = 12


def new_account_id() -> str:
    return f"{secrets.randbelow(10**ACCOUNT_ID_DIGITS):0{ACCOUNT_ID_DIGITS}d}"


class RootUserManager(BaseUserManager["RootUser"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "RootUser":
        return self.get(email__iexact=username or "")

    def create_user(
        self, email: str, password: str | None = None, *, account_name: str = ""
    ) -> "RootUser":
        email = self.normalize_email(email).lower()
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
                if self.filter(email__iexact=email).exists():
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
