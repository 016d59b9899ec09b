"""AWS Query protocol response documents: the success and error shapes IAM and STS send.

Written as text, escaping every text node (messages echo request text back, as AWS's do).
This used ``xml.etree.ElementTree``, which gives the same bytes, but building and
serialising a tree was a tenth of an API request's time; ``tests/keys/test_api_xml.py``
checks with Hypothesis that both write the same document for any content. Only *writing*
XML, so none of the parser hazards (entities, XXE) that make ``defusedxml`` necessary
apply. XML 1.0 forbids some characters (control characters, lone surrogates):
:func:`_xml_text` replaces those so that a client's parser never chokes on an echoed value.
"""

import re
from datetime import UTC, datetime

# A result is a list of (tag, content) pairs, content being text or a nested result; lists
# of AWS "members" are just repeated ("member", [...]) pairs. Plain data keeps the handlers
# in iam.py and sts.py free of XML. Tags are always the code's own names, never request text.
type Fields = list[tuple[str, str | Fields]]

_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML_CHARS.sub("\ufffd", text)


def iso8601(moment: datetime) -> str:
    """AWS's timestamp form in IAM and STS responses: UTC, whole seconds, a Z."""
    m = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # Not strftime: slower, and glibc's %Y does not zero-pad years before 1000.
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


# Text that needs neither replacing nor escaping: allowed characters other than &, < and >.
_PLAIN_TEXT = re.compile(
    "[\t\n\r\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*"
)


def _escaped(text: str) -> str:
    # As ElementTree escapes text nodes: &, < and > (quotes need no escaping outside
    # attributes).
    if _PLAIN_TEXT.fullmatch(text):
        return text
    return _xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write(out: list[str], fields: Fields) -> None:
    for tag, content in fields:
        if not content:  # ElementTree's short form for an element with no text or children
            out.append(f"<{tag} />")
        elif isinstance(content, str):
            out.append(f"<{tag}>{_escaped(content)}</{tag}>")
        else:
            out.append(f"<{tag}>")
            _write(out, content)
            out.append(f"</{tag}>")


def _document(root: str, namespace: str, fields: Fields) -> bytes:
    # A plain "xmlns" attribute on the root: AWS's unprefixed default namespace.
    out = [f'<{root} xmlns="{namespace}">']
    _write(out, fields)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def success(*, action: str, namespace: str, request_id: str, result: Fields | None) -> bytes:
    """``<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…``; actions
    that return nothing (UpdateAccessKey, DeleteAccessKey) have no Result element."""
    fields: Fields = [] if result is None else [(f"{action}Result", result)]
    fields.append(("ResponseMetadata", [("RequestId", request_id)]))
    return _document(f"{action}Response", namespace, fields)


def error(
    *, namespace: str, request_id: str, code: str, message: str, fault: str = "Sender"
) -> bytes:
    return _document(
        "ErrorResponse",
        namespace,
        [
            ("Error", [("Type", fault), ("Code", code), ("Message", message)]),
            ("RequestId", request_id),
        ],
    )
