"""The JSON parser's depth limit, decided from the text when it can be (prefcenter/parsers.py).

A body cannot nest deeper than it has brackets, so one with no more brackets than the limit is
not walked; the others are walked, containers only. Both must refuse exactly what the walk of
every value refused before.
"""

from __future__ import annotations

import io
import json
import random

import pytest
from rest_framework.exceptions import ParseError

from prefcenter.parsers import StrictJSONParser, max_depth


def parse(body: str):
    return StrictJSONParser().parse(io.BytesIO(body.encode()), "application/json", {})


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_flat_list_of_10000_strings_parses_when_its_strings_hold_brackets():
    recipients = [f"[{n}]{{x}}" for n in range(10_000)]
    assert parse(json.dumps({"recipients": recipients})) == {"recipients": recipients}


@pytest.mark.parametrize("padding", [0, 100])
def test_body_at_the_limit_parses_and_one_level_deeper_is_refused_when_strings_hold_brackets_or_not(padding):
    limit = max_depth()
    filler = json.dumps("[" * padding)  # brackets in a string: the text count says "maybe", the walk decides
    assert depth(parse(f"[{filler}, {nested(limit - 1)}]")) == limit
    with pytest.raises(ParseError, match="nested deeper than the limit"):
        parse(f"[{filler}, {nested(limit)}]")


def test_depth_is_refused_exactly_as_the_values_nest_when_bodies_are_random():
    rng = random.Random(16)
    limit = max_depth()

    def value(spine: int):
        """A value nested `spine` levels deep along one path, with random shallower siblings."""
        if spine == 0:
            return rng.choice(["[{x}]", 1, None, "s"])
        siblings = [value(rng.randrange(0, min(spine, 3))) for _ in range(rng.randrange(0, 3))]
        items = [*siblings, value(spine - 1)]
        rng.shuffle(items)
        if rng.random() < 0.5:
            return items
        return {f"k{n}": item for n, item in enumerate(items)}

    seen = set()
    for _ in range(200):
        body = value(rng.randrange(limit - 3, limit + 4))
        text = json.dumps(body)
        if depth(body) > limit:
            with pytest.raises(ParseError):
                parse(text)
            seen.add("refused")
        else:
            assert parse(text) == body
            seen.add("parsed")
    assert seen == {"refused", "parsed"}
