"""Access key IDs and secret access keys, made the way AWS makes them.

An AWS access key ID is ``AKIA`` followed by the base32 encoding of ten bytes. The first six
bytes hold the 12-digit account ID shifted left by seven bits; their top bit marks a "new
generation" key ID (the kind that encodes its account) and their low seven bits are random;
the last four bytes are random. That is why STS ``GetAccessKeyInfo``
can name the account of any key ID without a lookup, and why we can too.
"""

import base64
import re
import secrets
import string

ACCESS_KEY_ID_PREFIX = "AKIA"
ACCESS_KEY_ID_PATTERN = re.compile(r"^AKIA[A-Z2-7]{16}$")
# Temporary credentials (STS GetSessionToken) carry ASIA key IDs, made the same way.
TEMPORARY_ACCESS_KEY_ID_PREFIX = "ASIA"
TEMPORARY_ACCESS_KEY_ID_PATTERN = re.compile(r"^ASIA[A-Z2-7]{16}$")
# GetAccessKeyInfo also decodes temporary (ASIA) key IDs, as AWS's does.
DECODABLE_KEY_ID_PATTERN = re.compile(r"^(AKIA|ASIA)[A-Z2-7]{16}$")
_NEW_GENERATION_BIT = 1 << 47
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
SECRET_LENGTH = 40
_ACCOUNT_MASK = 0x7FFFFFFFFF80


def generate_access_key_id(account_id: str, *, prefix: str = ACCESS_KEY_ID_PREFIX) -> str:
    account = int(account_id)
    if not 0 <= account < 10**12:
        raise ValueError("An account ID has twelve digits.")
    head = _NEW_GENERATION_BIT | (account << 7) | secrets.randbelow(1 << 7)
    payload = head.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(payload).decode("ascii")


def account_id_from_access_key_id(access_key_id: str) -> str:
    """Decode the account ID from a key ID; ValueError when it is not a well-formed ID."""
    if not isinstance(access_key_id, str) or not DECODABLE_KEY_ID_PATTERN.fullmatch(access_key_id):
        raise ValueError("Not an access key ID.")
    payload = base64.b32decode(access_key_id[4:])
    head = int.from_bytes(payload[:6], "big")
    return f"{(head & _ACCOUNT_MASK) >> 7:012d}"


def generate_secret_access_key() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
