import re

from hypothesis import given
from hypothesis import strategies as st

from keys.ids import (
    SECRET_ALPHABET,
    TEMPORARY_ACCESS_KEY_ID_PREFIX,
    account_id_from_access_key_id,
    generate_access_key_id,
    generate_secret_access_key,
)

ACCOUNT_IDS = st.integers(min_value=0, max_value=10**12 - 1).map(lambda n: f"{n:012d}")


def test_it_decodes_a_published_aws_key_id():
    # The worked example of the public write-ups of the scheme (Aidan Steele, Tal Be'ery).
    assert account_id_from_access_key_id("ASIAY34FZKBOKMUTVV7A") == "609629065308"


@given(ACCOUNT_IDS)
def test_key_ids_have_aws_format_and_encode_their_account(account_id):
    key_id = generate_access_key_id(account_id)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key_id)
    assert account_id_from_access_key_id(key_id) == account_id


@given(ACCOUNT_IDS)
def test_temporary_key_ids_are_asia_and_encode_their_account(account_id):
    key_id = generate_access_key_id(account_id, prefix=TEMPORARY_ACCESS_KEY_ID_PREFIX)
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", key_id)
    assert account_id_from_access_key_id(key_id) == account_id


def test_key_ids_are_random():
    assert len({generate_access_key_id("123456789012") for _ in range(200)}) == 200


@given(st.text(max_size=30))
def test_decoding_garbage_raises_value_error_only(text):
    try:
        account_id_from_access_key_id(text)
    except ValueError:
        pass


def test_secrets_are_40_characters_of_the_aws_alphabet():
    secrets = {generate_secret_access_key() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert len(secret) == 40
        assert set(secret) <= set(SECRET_ALPHABET)
