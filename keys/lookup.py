"""The hot reads of access keys, compiled once (console/compiled.py): the API's one read per
request (every key of the account that owns the signing key, each with its owner) and the
credentials page's list of keys."""

from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from console.compiled import CompiledSelect, Fetched, Quote, in_model_order, model_order_key

from .models import AccessKey


def _owner_column(quote: Quote) -> str:
    return quote(AccessKey._meta.get_field("owner").column)


def _account_keys_sql(quote: Quote, tables: list[str]) -> str:
    # At most two rows, each with its owner, through the primary key and the (owner, slot)
    # unique index. Quoted names from the models' metadata only; the key ID is a parameter.
    keys, users = tables
    owner, key_id = _owner_column(quote), quote(AccessKey._meta.pk.column)
    user_pk = quote(get_user_model()._meta.pk.column)
    return (
        f"INNER JOIN {users} ON {users}.{user_pk} = {keys}.{owner} "  # noqa: S608  # nosec B608
        f"WHERE {keys}.{owner} = (SELECT {owner} FROM {keys} WHERE {key_id} = %s)"
    )  # no ORDER BY: two rows sort cheaper here than in SQLite's temporary B-tree


_IN_MODEL_ORDER = model_order_key(AccessKey)


# What the API reads of the owner; the rest (the password hash among them) is deferred.
API_OWNER_FIELDS = ("email", "account_id", "account_name", "is_active")
_ACCOUNT_KEYS = CompiledSelect(
    [AccessKey, get_user_model()],
    _account_keys_sql,
    only={get_user_model(): API_OWNER_FIELDS},
)


class AccountKeys:
    """Every key of the account that owns one key ID (none if no key has that ID), read in
    one query with their owner (one instance for all); each key is made into an instance
    when first asked for, so a call that needs only the signing key builds only that."""

    def __init__(self, fetched: Fetched) -> None:
        self.fetched = fetched

    def get(self, access_key_id: str) -> AccessKey | None:
        for index in range(len(self.fetched)):
            if self.fetched.pk(index) == access_key_id:
                return self._key(index)
        return None

    @cached_property
    def all(self) -> list[AccessKey]:
        """Every key, in the models' order."""
        return sorted(map(self._key, range(len(self.fetched))), key=_IN_MODEL_ORDER)

    def _key(self, index: int) -> AccessKey:
        access_key, owner = self.fetched.row(index)
        access_key.owner = owner
        return access_key


def account_keys_of(access_key_id: str) -> AccountKeys:
    return AccountKeys(_ACCOUNT_KEYS.fetched([access_key_id]))


def _owner_keys_sql(quote: Quote, tables: list[str]) -> str:
    (keys,) = tables
    return f"WHERE {keys}.{_owner_column(quote)} = %s " + in_model_order(quote, AccessKey, keys)


_OWNER_KEYS = CompiledSelect([AccessKey], _owner_keys_sql)


def keys_of(owner: AbstractBaseUser) -> list[AccessKey]:
    """``AccessKey.objects.for_owner(owner)`` (in the models' order), for the credentials
    page, which lists them on every load."""
    keys = [access_key for (access_key,) in _OWNER_KEYS.rows([owner.pk])]
    for access_key in keys:
        access_key.owner = owner
    return keys
