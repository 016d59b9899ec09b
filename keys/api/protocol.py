"""The AWS Query protocol's shared words: the two services, the errors as AWS words them,
parameter validation in AWS's wording and List* paging."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from .xml import Fields


@dataclass(frozen=True)
class Service:
    name: str  # as in the SigV4 credential scope
    version: str
    namespace: str
    internal_error: str  # IAM calls its 500 ServiceFailure, STS InternalFailure


IAM = Service("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/", "ServiceFailure")
STS = Service("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/", "InternalFailure")
SERVICES = {service.name: service for service in (IAM, STS)}

UNAVAILABLE = "Service is unable to handle request."
MALFORMED_QUERY = "The request parameters could not be parsed."
ALLOWED_METHODS = ("GET", "POST")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"  # what every AWS SDK sends
INTERNAL_ERROR = (
    "The request processing has failed because of an unknown error, exception or failure."
)
# What a real SDK puts in the scope ("us-east-1", "eu-central-1", a custom "local"): also
# what fits the last-used column, so a crafted scope can never fail the write.
REGION_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


class ApiError(Exception):
    """An answer in AWS's words: raised anywhere in the API, rendered once (endpoint.answer)."""

    def __init__(self, code: str, message: str, *, status: int = 400, fault: str = "Sender"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fault = fault


_LENGTH = "Member must have length"


class Validation:
    """Collects constraint failures and reports them all at once, in AWS's wording:
    ``2 validation errors detected: Value null at 'status' failed to satisfy constraint: …``"""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.problems: list[str] = []

    def _fail(self, value: str | None, name: str, constraint: str) -> None:
        member = name[0].lower() + name[1:]  # AWS names the member in camel case
        shown = "null" if value is None else f"'{value}'"
        self.problems.append(
            f"Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
        )

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        min_length: int = 0,
        max_length: int | None = None,
        pattern: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        value = self.params.get(name)
        if value is None:
            if required:
                self._fail(None, name, "Member must not be null")
            return None
        if choices is not None and value not in choices:
            self._fail(value, name, f"Member must satisfy enum value set: [{', '.join(choices)}]")
        if pattern is not None and not re.fullmatch(pattern, value, re.ASCII):
            self._fail(value, name, f"Member must satisfy regular expression pattern: {pattern}")
        if len(value) < min_length:
            self._fail(value, name, f"{_LENGTH} greater than or equal to {min_length}")
        if max_length is not None and len(value) > max_length:
            self._fail(value, name, f"{_LENGTH} less than or equal to {max_length}")
        return value

    def integer(self, name: str, *, minimum: int, maximum: int) -> int | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?[0-9]{1,10}", value):
            self._fail(value, name, "Member must be an integer")
            return None
        number = int(value)
        if number < minimum:
            self._fail(value, name, f"Member must have value greater than or equal to {minimum}")
        if number > maximum:
            self._fail(value, name, f"Member must have value less than or equal to {maximum}")
        return number

    def check(self) -> None:
        if self.problems:
            count = len(self.problems)
            raise ApiError(
                "ValidationError",
                f"{count} validation error{'s' if count > 1 else ''} detected: "
                + "; ".join(self.problems),
            )


def access_key_id_of(check: Validation, *, pattern: str = r"[\w]+") -> str | None:
    return check.string(
        "AccessKeyId", required=True, min_length=16, max_length=128, pattern=pattern
    )


def user_name_of(check: Validation) -> str | None:
    return check.string("UserName", min_length=1, max_length=128, pattern=r"[\w+=,.@-]+")


def as_root(check: Validation, user_name: str | None) -> None:
    """Validate, then refuse any UserName: the root user is no IAM user, and this account
    has none, so a named user is an unknown one, as AWS answers a root caller."""
    check.check()
    if user_name is not None:
        raise ApiError(
            "NoSuchEntity", f"The user with name {user_name} cannot be found.", status=404
        )


@dataclass(frozen=True)
class Paging:
    """AWS's MaxItems and Marker of a List* call; the marker is the key of the next item to
    list, as the previous page handed it out."""

    max_items: int
    marker: str | None

    @classmethod
    def read(cls, check: Validation) -> "Paging":
        max_items = check.integer("MaxItems", minimum=1, maximum=1000) or 100
        marker = check.string("Marker", min_length=1, max_length=320, pattern=r"[\u0020-\u00FF]+")
        return cls(max_items, marker)

    def answer[T](
        self, name: str, items: list[T], key: Callable[[T], str], member: Callable[[T], Fields]
    ) -> Fields:
        keys = [key(item) for item in items]
        start = 0
        if self.marker is not None:
            if self.marker not in keys:
                raise ApiError("ValidationError", "Invalid Marker.")
            start = keys.index(self.marker)
        end = start + self.max_items
        result: Fields = [
            (name, [("member", member(item)) for item in items[start:end]]),
            ("IsTruncated", "true" if keys[end:] else "false"),
        ]
        if keys[end:]:
            result.append(("Marker", keys[end]))
        return result
