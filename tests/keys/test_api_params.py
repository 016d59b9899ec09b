"""The API's parameters are read as parse_qsl reads them, whichever way is taken."""

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys.api import endpoint as api
from keys.api.protocol import ApiError

# What a form body is made of, with the characters that change how it parses.
FORM_TEXT = st.text(alphabet="ab=&%+2 0é;", max_size=30)


@given(FORM_TEXT)
def test_a_body_parses_as_parse_qsl_parses_it(text):
    expected = dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8"))
    assert api._form(text.encode()) == expected


@pytest.mark.parametrize("text", ["a=1&b=2&c=3", "a=%31&b=2&c=3"])
def test_more_fields_than_allowed_is_a_malformed_query(text, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    with pytest.raises(ApiError) as refused:
        api._form(text.encode())
    assert refused.value.code == "MalformedQueryString"
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    assert api._form(text.encode()) == {"a": "1", "b": "2", "c": "3"}
