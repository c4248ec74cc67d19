"""The recipient list's check: the common case decided in passes at C speed, the bad items still named."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from subscribers.evaluation.deliveries import EXTERNAL_ID_MAX_LENGTH, RecipientListField


@pytest.mark.parametrize("ids", [["a"], ["x" * EXTERNAL_ID_MAX_LENGTH, "b"], [f"r{n}" for n in range(10_000)]])
def test_recipient_list_is_returned_as_sent_when_every_id_is_a_string_of_1_to_255(ids):
    assert RecipientListField().to_internal_value(ids) is ids


class Named(str):
    """A str subclass, as parsers may hand over (the XML parser's empty element)."""


@pytest.mark.parametrize(
    ("ids", "errors"),
    [
        (["a", Named("b")], None),
        (["a", Named("")], {1: ["Must be 1 to 255 characters."]}),
        ([*("a" * 3), 7, "x" * 256, ""], {3: ["Must be a string."], 4: ["Must be 1 to 255 characters."],
                                          5: ["Must be 1 to 255 characters."]}),
        ([True], {0: ["Must be a string."]}),
    ],
)
def test_recipient_list_names_each_bad_item_when_some_are_not_strings_of_1_to_255(ids, errors):
    field = RecipientListField()
    if errors is None:
        assert field.to_internal_value(ids) == ids
        return
    with pytest.raises(serializers.ValidationError) as raised:
        field.to_internal_value(ids)
    assert raised.value.detail == errors
