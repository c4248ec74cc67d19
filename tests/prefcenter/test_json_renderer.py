"""The orjson-backed JSON renderer writes the same bytes as DRF's own, or hands the data to it."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections import OrderedDict

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from prefcenter.renderers import JSONRenderer

UTC = datetime.UTC
CASES = {
    "scalars": {"a": 1, "b": True, "c": None, "d": "é ü 漢字 🙂", "e": 1.5, "f": -0},
    "aware datetime with microseconds": {"at": datetime.datetime(2024, 5, 1, 12, 30, 1, 123456, tzinfo=UTC)},
    "naive datetime": {"at": datetime.datetime(2024, 5, 1, 12, 30, 1)},
    "date and time": {"d": datetime.date(2024, 5, 1), "t": datetime.time(9, 5, 7, 250000)},
    "timedelta": {"took": datetime.timedelta(seconds=90)},
    "decimal and uuid": {"n": decimal.Decimal("1.10"), "u": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "lazy translation": {"message": gettext_lazy("This field is required.")},
    "error details": {"email": [ErrorDetail("Enter a valid email address.", code="invalid")]},
    "integer keys (list item errors)": {"recipients": {0: ["Must be a string."], 7: ["Too long."]}},
    "line and paragraph separators": {"s": "a\u2028b\u2029c"},
    "DRF containers": ReturnDict({"items": ReturnList([OrderedDict(a=1)], serializer=None)}, serializer=None),
    "tuples and sets": {"t": (1, 2), "s": {3}},
    "bytes": {"b": b"raw"},
    "big integer": {"n": 2**70},
    "empty": {},
    "top-level list": [1, "two", None],
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
def test_json_renderer_writes_drf_bytes_when_rendering(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_json_renderer_indents_like_drf_when_the_accept_header_asks():
    data = {"a": [1, {"b": 2}]}
    media_type = "application/json; indent=4"
    ours = JSONRenderer().render(data, media_type, {})
    assert ours == renderers.JSONRenderer().render(data, media_type, {})
    assert b"\n    " in ours


def test_json_renderer_renders_nothing_when_data_is_none():
    assert JSONRenderer().render(None) == b""


def test_json_renderer_raises_like_drf_when_a_string_holds_a_lone_surrogate():
    data = {"s": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        renderers.JSONRenderer().render(data)
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render(data)


def test_json_renderer_raises_like_drf_when_a_value_cannot_be_encoded():
    with pytest.raises(TypeError):
        renderers.JSONRenderer().render({"o": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"o": object()})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_renderer_matches_drf_when_data_is_any_json_tree(data):
    try:
        expected = renderers.JSONRenderer().render(data)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            JSONRenderer().render(data)
        return
    assert JSONRenderer().render(data) == expected
