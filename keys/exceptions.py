"""Domain errors of the access-key lifecycle; each interface words them in its own language."""


class AccessKeyError(Exception):
    """Base class: a rule of the access-key lifecycle refused the change."""


class KeyLimitExceeded(AccessKeyError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Cannot exceed quota for AccessKeysPerUser: {limit}")
        self.limit = limit


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
