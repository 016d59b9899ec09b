"""Domain errors of the access-key lifecycle; each interface words them in its own language."""

# AWS's message for a key ID or security token it does not accept (InvalidClientTokenId).
INVALID_CLIENT_TOKEN = "The security token included in the request is invalid."  # noqa: S105  # nosec B105


class AccessKeyError(Exception):
    """Base class: a rule of the access-key lifecycle refused the change."""


class KeyLimitExceeded(AccessKeyError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Cannot exceed quota for AccessKeysPerUser: {limit}")
        self.limit = limit


class KeyListChanged(AccessKeyError):
    """A create was made from a page whose list of keys is no longer the account's: a
    repeated submission (the first made a key) or a page that is out of date."""

    def __init__(self, added: frozenset[str]) -> None:
        super().__init__("The account's access keys changed since the page was loaded.")
        self.added = added  # the keys the page did not show


class AccessKeyNotFound(AccessKeyError):
    def __init__(self, access_key_id: str) -> None:
        super().__init__(f"The Access Key with id {access_key_id} cannot be found.")
        self.access_key_id = access_key_id


class CredentialReportError(Exception):
    """Base class: there is no credential report to give; the message is AWS's."""


class CredentialReportNotPresent(CredentialReportError):
    def __init__(self) -> None:
        super().__init__(
            "The request was rejected because the credential report does not exist. "
            "To generate a credential report, use GenerateCredentialReport."
        )


class CredentialReportExpired(CredentialReportError):
    def __init__(self) -> None:
        super().__init__(
            "The request was rejected because the most recent credential report has expired. "
            "To generate a new credential report, use GenerateCredentialReport. For more "
            "information about credential report expiration, see Getting credential reports "
            "in the IAM User Guide."
        )


class CredentialReportInProgress(CredentialReportError):
    def __init__(self) -> None:
        super().__init__(
            "The request was rejected because the credential report is still being generated."
        )


class SessionError(Exception):
    """Base class: temporary credentials (keys/session_tokens.py) refused a request."""


class InvalidSessionToken(SessionError):
    """Missing, altered, foreign or mismatched: not a token this server sealed for this key
    ID, or a session AWS's rules keep from this service (IAM without MFA)."""

    def __init__(self) -> None:
        super().__init__(INVALID_CLIENT_TOKEN)


class ExpiredSessionToken(SessionError):
    def __init__(self) -> None:
        super().__init__("The security token included in the request is expired")


class SessionActionRefused(SessionError):
    """Of STS, temporary credentials may call GetCallerIdentity only (AWS's rule)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"Cannot call {action} with session credentials")
        self.action = action


class MfaFailed(SessionError):
    """GetSessionToken's SerialNumber and TokenCode did not pass: AccessDenied, in AWS's words."""


class MfaNotValidated(MfaFailed):
    """No authenticator app of this user has that serial number (or only one of the two
    parameters came): there is no device to check the code against."""

    def __init__(self) -> None:
        # AWS's wording, two spaces and all.
        super().__init__(
            "MultiFactorAuthentication failed, unable to validate MFA code.  "
            "Please verify your MFA serial number is valid and associated with this user."
        )


class MfaCodeInvalid(MfaFailed):
    """The device is the user's, the code is not one of its fresh codes (wrong or replayed)."""

    def __init__(self) -> None:
        # AWS's wording, trailing space and all.
        super().__init__("MultiFactorAuthentication failed with invalid MFA one time pass code. ")


class MfaAttemptsExceeded(MfaFailed):
    """Too many wrong codes for this account lately (keys/mfa_attempts.py); AWS documents no
    such limit, so the words are ours."""

    def __init__(self, until: str) -> None:
        super().__init__(
            "MultiFactorAuthentication failed: too many invalid MFA one time pass codes. "
            f"Try again after {until}."
        )
        self.until = until
