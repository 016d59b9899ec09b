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
