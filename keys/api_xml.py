"""AWS Query protocol response documents: the success and error shapes IAM and STS send.

Built with the standard library's ``xml.etree.ElementTree``: it escapes every text node and
attribute for us (messages echo request text back, as AWS's do), needs no dependency, and
only *writes* XML, so none of the parser hazards (entities, XXE) that make ``defusedxml``
necessary apply. The one thing it does not do is refuse characters that XML 1.0 forbids
(control characters, lone surrogates); :func:`_xml_text` replaces those so that a client's
parser never chokes on an echoed value.
"""

import re
import xml.etree.ElementTree as ET  # nosec B405 (builds XML only)
from datetime import UTC, datetime

# A result is a list of (tag, content) pairs, content being text or a nested result; lists
# of AWS "members" are just repeated ("member", [...]) pairs. Plain data keeps the handlers
# in api.py free of XML.
type Fields = list[tuple[str, str | Fields]]

_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML_CHARS.sub("\ufffd", text)


def iso8601(moment: datetime) -> str:
    """AWS's timestamp form in IAM and STS responses: UTC, whole seconds, a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _append(parent: ET.Element, fields: Fields) -> None:
    for tag, content in fields:
        child = ET.SubElement(parent, tag)
        if isinstance(content, str):
            child.text = _xml_text(content)
        else:
            _append(child, content)


def _document(root: ET.Element) -> bytes:
    # A plain "xmlns" attribute on the root gives AWS's unprefixed default namespace;
    # ElementTree's namespace support would write "ns0:" prefixes instead.
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def success(*, action: str, namespace: str, request_id: str, result: Fields | None) -> bytes:
    """``<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…``; actions
    that return nothing (UpdateAccessKey, DeleteAccessKey) have no Result element."""
    root = ET.Element(f"{action}Response", {"xmlns": namespace})
    if result is not None:
        _append(root, [(f"{action}Result", result)])
    _append(root, [("ResponseMetadata", [("RequestId", request_id)])])
    return _document(root)


def error(
    *, namespace: str, request_id: str, code: str, message: str, fault: str = "Sender"
) -> bytes:
    root = ET.Element("ErrorResponse", {"xmlns": namespace})
    _append(
        root,
        [
            ("Error", [("Type", fault), ("Code", code), ("Message", message)]),
            ("RequestId", request_id),
        ],
    )
    return _document(root)
