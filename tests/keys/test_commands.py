"""The keys app's management commands: rotate_encryption_keys and seed_accounts."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from keys.crypto import decrypt_secret
from keys.ids import ACCESS_KEY_ID_PATTERN, account_id_from_access_key_id
from keys.models import AccessKey
from tests.factories import make_access_key
from tests.servers import in_process_api_call

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
FORGOTTEN_KEY = Fernet.generate_key().decode()


def _ciphertexts() -> dict[str, str]:
    return dict(AccessKey.objects.values_list("access_key_id", "secret_ciphertext"))


def test_rotation_re_encrypts_every_secret_so_the_old_key_can_be_dropped(settings, alice, mallory):  # type: ignore[no-untyped-def]
    settings.KEYS_ENCRYPTION_KEYS = [OLD_KEY]
    new_keys = [make_access_key(alice), make_access_key(alice), make_access_key(mallory)]
    before = _ciphertexts()

    settings.KEYS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)  # two transactions
    assert "Re-encrypted 3 secret access key(s)" in out.getvalue()

    settings.KEYS_ENCRYPTION_KEYS = [NEW_KEY]
    after = _ciphertexts()
    for new_key in new_keys:
        access_key_id = new_key.access_key.access_key_id
        assert after[access_key_id] != before[access_key_id]
        with pytest.raises(InvalidToken):
            Fernet(OLD_KEY).decrypt(after[access_key_id])
        assert decrypt_secret(after[access_key_id]) == new_key.secret_access_key
        # And it still signs: the API verifies a request signed with the same secret.
        response = in_process_api_call(
            access_key_id=access_key_id,
            secret=new_key.secret_access_key,
            action="GetCallerIdentity",
            service="sts",
        )
        assert response.status_code == 200, response.content
        owner = new_key.access_key.owner
        assert f"<Account>{owner.account_id}</Account>" in response.content.decode()


def test_rotation_twice_is_harmless(settings, alice):  # type: ignore[no-untyped-def]
    settings.KEYS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    new_key = make_access_key(alice)
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.KEYS_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_secret(_ciphertexts()[new_key.access_key.pk]) == new_key.secret_access_key


def test_rotation_refuses_and_changes_nothing_when_a_secret_cannot_be_opened(settings, alice):  # type: ignore[no-untyped-def]
    settings.KEYS_ENCRYPTION_KEYS = [OLD_KEY]
    make_access_key(alice)
    settings.KEYS_ENCRYPTION_KEYS = [FORGOTTEN_KEY]
    unreadable = make_access_key(alice).access_key
    before = _ciphertexts()

    settings.KEYS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    with pytest.raises(CommandError, match=f"opens the secret of {unreadable.pk}"):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert _ciphertexts() == before


def test_seed_accounts_makes_filler_accounts_with_real_key_ids(alice):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("seed_accounts", "--accounts", "250", "--batch-size", "100", stdout=out)
    assert "Created 250 filler account(s) and 500 access key(s)" in out.getvalue()

    fillers = get_user_model().objects.exclude(pk=alice.pk)
    account_ids = list(fillers.values_list("account_id", flat=True))
    assert len(account_ids) == len(set(account_ids)) == 250
    assert all(len(a) == 12 and a.isdigit() for a in account_ids)
    assert not any(user.has_usable_password() for user in fillers)
    keys = AccessKey.objects.exclude(owner=alice).select_related("owner")
    assert keys.count() == 500
    for key in keys:
        assert ACCESS_KEY_ID_PATTERN.fullmatch(key.access_key_id)
        assert account_id_from_access_key_id(key.access_key_id) == key.owner.account_id
        assert key.status == ("Active" if key.slot == 1 else "Inactive")
        assert len(key.secret_access_key()) == 40
    assert set(keys.values_list("slot", flat=True)) == {1, 2}
    assert not AccessKey.objects.filter(owner=alice).exists()  # the real account is untouched


@pytest.mark.parametrize("keys_per_account", [0, 1])
def test_seed_accounts_makes_fewer_keys_when_asked(db, keys_per_account):  # type: ignore[no-untyped-def]
    call_command(
        "seed_accounts",
        "--accounts",
        "20",
        "--keys-per-account",
        str(keys_per_account),
        stdout=io.StringIO(),
    )
    assert get_user_model().objects.count() == 20
    assert AccessKey.objects.count() == 20 * keys_per_account
    assert set(AccessKey.objects.values_list("slot", flat=True)) <= {1}


def test_seed_accounts_adds_to_what_is_there(db):  # type: ignore[no-untyped-def]
    for _ in range(2):
        call_command("seed_accounts", "--accounts", "30", stdout=io.StringIO())
    assert get_user_model().objects.count() == 60
    assert AccessKey.objects.count() == 120


def test_a_filler_account_cannot_sign_in(db, anonymous_client):  # type: ignore[no-untyped-def]
    call_command("seed_accounts", "--accounts", "1", stdout=io.StringIO())
    filler = get_user_model().objects.get()
    assert filler.password.startswith("!")  # Django's unusable-password marker
    anonymous_client.post("/signin", {"email": filler.email})
    for guess in ("!", filler.password):
        response = anonymous_client.post("/signin/password", {"password": guess})
        assert response.status_code == 401


def test_seed_accounts_refuses_nonsense(db):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError):
        call_command("seed_accounts", "--accounts", "0", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("seed_accounts", "--accounts", "5", "--keys-per-account", "3")
