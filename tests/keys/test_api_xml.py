"""The API's XML writer gives, byte for byte, what ElementTree writes for the same content."""

import xml.etree.ElementTree as ET  # nosec B405 - the reference writer, and a parser of our own output
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from keys.api import xml as api_xml
from keys.api.xml import Fields

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
tags = st.sampled_from(["AccessKeyId", "Status", "member", "Message", "entry", "key", "value"])
fields: st.SearchStrategy[Fields] = st.recursive(
    st.lists(st.tuples(tags, st.text()), max_size=4),
    lambda children: st.lists(st.tuples(tags, st.one_of(st.text(), children)), max_size=4),
    max_leaves=12,
)


def _reference(root_tag: str, content: Fields) -> bytes:
    """What api_xml wrote with ElementTree before it wrote text itself."""

    def append(parent: ET.Element, items: Fields) -> None:
        for tag, value in items:
            child = ET.SubElement(parent, tag)
            if isinstance(value, str):
                child.text = api_xml._xml_text(value)
            else:
                append(child, value)

    root = ET.Element(root_tag, {"xmlns": NAMESPACE})
    append(root, content)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


@given(result=fields, request_id=st.text())
def test_success_documents_match_elementtree(result: Fields, request_id: str) -> None:
    written = api_xml.success(
        action="ListAccessKeys", namespace=NAMESPACE, request_id=request_id, result=result
    )
    expected = _reference(
        "ListAccessKeysResponse",
        [("ListAccessKeysResult", result), ("ResponseMetadata", [("RequestId", request_id)])],
    )
    assert written == expected
    ET.fromstring(written)  # nosec B314 - and it parses  # noqa: S314


@given(message=st.text(), code=st.text(min_size=1))
def test_error_documents_match_elementtree(message: str, code: str) -> None:
    written = api_xml.error(namespace=NAMESPACE, request_id="r-1", code=code, message=message)
    expected = _reference(
        "ErrorResponse",
        [
            ("Error", [("Type", "Sender"), ("Code", code), ("Message", message)]),
            ("RequestId", "r-1"),
        ],
    )
    assert written == expected


def test_an_action_without_result_has_only_metadata() -> None:
    written = api_xml.success(
        action="DeleteAccessKey", namespace=NAMESPACE, request_id="r-2", result=None
    )
    assert written == (
        b'<DeleteAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>"
        b"</DeleteAccessKeyResponse>"
    )


@given(moment=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7))])))
def test_timestamps_are_awss_utc_form(moment: datetime) -> None:
    text = api_xml.iso8601(moment)
    assert datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) == moment.astimezone(
        UTC
    ).replace(microsecond=0)
    assert len(text) == 20
