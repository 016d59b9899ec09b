"""Passkeys and security keys: WebAuthn ceremonies through py_webauthn.

The relying party is the host the console is reached by (already checked against
ALLOWED_HOSTS by Django); WebAuthn refuses an IP address as relying-party ID, so there the
option is unavailable and says why. Each challenge is made here, kept in the browser's
server-side session, and taken out on first use.
"""

import ipaddress
import json
import time

import webauthn
from django.http import HttpRequest
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..models import MFADevice, RootUser

RP_NAME = "AWS Security Credentials console"
TIMEOUT_MS = 120_000
REGISTRATION = "passkey_registration"
UNAVAILABLE_BY_IP = (
    "Passkeys and security keys need the console to be reached by a host name (such as "
    "localhost), not an IP address: WebAuthn does not accept an IP address as the site."
)
JAVASCRIPT_OFF = "Passkeys and security keys need JavaScript, which is off in this browser."
NEEDS_JAVASCRIPT = f"{JAVASCRIPT_OFF} Use an authenticator app instead, or turn JavaScript on."
# Signing in with only passkeys assigned: there is no authenticator app to turn to.
SIGN_IN_NEEDS_JAVASCRIPT = f"{JAVASCRIPT_OFF} Turn it on to sign in with yours."
FAILED = "The passkey or security key could not be registered. Try again."


class PasskeyError(Exception):
    pass


def _for_html(options_json: str) -> str:
    """JSON safe inside <script type="application/json">: no "</script>" can end it early
    (the account name and email are the user's own text)."""
    return options_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def rp_id(request: HttpRequest) -> str | None:
    """The relying-party ID for this request's host, or None when it is an IP address."""
    host = request.get_host().rsplit(":", 1)[0] if "]" not in request.get_host() else ""
    if not host:
        return None  # "[::1]:8000": an IPv6 literal
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    return None


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def registration_options(request: HttpRequest, *, owner: RootUser, device_name: str) -> str:
    """The options for navigator.credentials.create(), as JSON for the page."""
    relying_party = rp_id(request)
    if relying_party is None:
        raise PasskeyError(UNAVAILABLE_BY_IP)
    existing = MFADevice.objects.for_owner(owner).passkeys().values_list("credential_id", flat=True)
    options = webauthn.generate_registration_options(
        rp_id=relying_party,
        rp_name=RP_NAME,
        user_id=owner.account_id.encode("ascii"),
        user_name=owner.email,
        user_display_name=f"{owner.account_name} (root user)",
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in existing
        ],
    )
    request.session[REGISTRATION] = {
        "challenge": bytes_to_base64url(options.challenge),
        "name": device_name,
        "owner": owner.pk,
        "expires_at": time.time() + TIMEOUT_MS / 1000,
    }
    return _for_html(webauthn.options_to_json(options))


def verify_registration(
    request: HttpRequest, *, owner: RootUser, device_name: str, credential: str
) -> tuple[str, bytes, int]:
    """The new credential's ID, public key and sign count; the challenge is used up."""
    state = request.session.pop(REGISTRATION, None)
    relying_party = rp_id(request)
    if (
        not isinstance(state, dict)
        or state.get("owner") != owner.pk
        or state.get("name") != device_name
        or time.time() > state.get("expires_at", 0)
        or relying_party is None
    ):
        raise PasskeyError(FAILED)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=relying_party,
            expected_origin=_origin(request),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:  # any malformed part
        raise PasskeyError(FAILED) from error
    return (
        bytes_to_base64url(verified.credential_id),
        verified.credential_public_key,
        verified.sign_count,
    )


def authentication_options(request: HttpRequest, *, owner: RootUser) -> tuple[str, str] | None:
    """Options for navigator.credentials.get() (JSON) and their challenge, or None when
    passkeys cannot be used here (an IP address) or the owner has none."""
    relying_party = rp_id(request)
    credential_ids = list(
        MFADevice.objects.for_owner(owner).passkeys().values_list("credential_id", flat=True)
    )
    if relying_party is None or not credential_ids:
        return None
    options = webauthn.generate_authentication_options(
        rp_id=relying_party,
        timeout=TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in credential_ids
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return _for_html(webauthn.options_to_json(options)), bytes_to_base64url(options.challenge)


def verify_authentication(
    request: HttpRequest, *, owner: RootUser, credential: str, challenge: str | None
) -> bool:
    """True when ``credential`` is an assertion by one of the owner's own passkeys over
    ``challenge``; another account's passkey is as unknown as a made-up one."""
    relying_party = rp_id(request)
    if challenge is None or relying_party is None:
        return False
    try:
        credential_id = json.loads(credential)["id"]
    except (ValueError, KeyError, TypeError):
        return False
    if not isinstance(credential_id, str):
        return False
    device = (
        MFADevice.objects.for_owner(owner).passkeys().filter(credential_id=credential_id).first()
    )
    if device is None:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=relying_party,
            expected_origin=_origin(request),
            credential_public_key=bytes(device.public_key),
            credential_current_sign_count=device.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):  # any malformed part
        return False
    MFADevice.objects.filter(pk=device.pk).update(sign_count=verified.new_sign_count)
    return True
