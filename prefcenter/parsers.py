"""Request parsers: strict JSON and safe XML.

Both refuse, with a 400 parse error, a body nested deeper than PREFCENTER_MAX_BODY_DEPTH
(default 32, far below Python's recursion limit: a 2 KB body of 1,000 brackets used to be a
500 RecursionError) and a key given twice in one object (JSON) or an element given twice
where one value is expected (XML). Last-one-wins would let two readers of one body (a
gateway's check and our serializer) see different values; a body that means two things
is refused instead. Form and multipart bodies are flat: they have no depth to limit, and
a repeated field is how a form sends a list.

The XML parser:

defusedxml refuses DTDs, entity declarations (billion laughs, quadratic blow-up) and
external entities; every such refusal, and every syntax error, is a 400, never a 500.
Leaves stay strings: the serializers decide what a value means (the stock parser
turned "+15551234567" into an integer).

An empty element (`<email/>`, `<email></email>`) is `XMLEmpty`, an empty string that
remembers where it came from: a text field that may be blank takes it as "" (XML's way
to clear a value), a field that may be null and not blank (a category key) as null
(StrictCharField), any other field refuses it as it refuses "". The stock parser made
every empty element null, so XML could not clear a field that JSON clears with "".
"""

from __future__ import annotations

import codecs
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json
from rest_framework_xml.parsers import XMLParser


def max_depth() -> int:
    return int(settings.PREFCENTER_MAX_BODY_DEPTH)


def too_deep(kind: str) -> ParseError:
    return ParseError(f"{kind} parse error: the body is nested deeper than the limit of {max_depth()} levels.")


def check_depth(value: Any, *, kind: str) -> None:
    """Refuse a parsed value nested deeper than the limit (iteratively: no recursion on hostile input).

    Only containers are walked: a flat list of 10,000 strings (an evaluation's recipients) costs one
    pass in C, not 10,000 stack entries.
    """
    limit = max_depth()
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise too_deep(kind)
        children = item.values() if isinstance(item, dict) else item
        stack.extend([(child, depth + 1) for child in children if isinstance(child, (dict, list))])


def may_be_too_deep(text: str) -> bool:
    """False when the JSON text cannot nest past the limit: it holds no more brackets than the limit allows
    (brackets inside strings only make the count larger). Most bodies are answered here, without a walk."""
    return text.count("[") + text.count("{") > max_depth()


class DuplicateKey(ValueError):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DuplicateKey(key)
        data[key] = value
    return data


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing duplicate keys and bodies nested past the depth limit."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if self.strict else None
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=parse_constant, object_pairs_hook=_unique_object)
        except DuplicateKey as exc:
            raise ParseError(
                f"JSON parse error: duplicate key '{exc.args[0]}' in one object; give each key once."
            ) from exc
        except RecursionError as exc:
            raise too_deep("JSON") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if may_be_too_deep(text):
            check_depth(data, kind="JSON")
        return data


class XMLEmpty(str):
    """An empty XML element: "" where a blank string is allowed, null where only null is."""

    __slots__ = ()


class SafeXMLParser(XMLParser):
    media_type = "application/xml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            parser = SafeElementTree.DefusedXMLParser(encoding=encoding, forbid_dtd=True)
            tree = SafeElementTree.parse(stream, parser=parser, forbid_dtd=True, forbid_entities=True)
        except DefusedXmlException as exc:
            raise ParseError(f"XML refused: {type(exc).__name__} (DTDs and entities are not allowed).") from exc
        except (SafeElementTree.ParseError, ValueError) as exc:
            raise ParseError(f"XML parse error: {exc}") from exc
        root = tree.getroot()
        self._check_element_depth(root)
        if len(root) == 0 and not (root.text or "").strip():
            return {}  # `<root/>` is an empty object, as `{}` is in JSON (not an empty string)
        return self._xml_convert(root)

    @staticmethod
    def _check_element_depth(root: Any) -> None:
        """The root element is the body's top-level object (level 1), as `{` is in JSON."""
        limit = max_depth()
        stack = [(child, 2) for child in root]
        while stack:
            element, depth = stack.pop()
            children = list(element)
            if children and depth > limit:
                raise too_deep("XML")
            stack.extend((child, depth + 1) for child in children)

    def _xml_convert(self, element: Any) -> Any:
        """The stock conversion, refusing an element given twice where one value is expected
        (the stock parser kept the last one)."""
        children = list(element)
        if children and children[0].tag != "list-item":
            seen: set[str] = set()
            for child in children:
                if child.tag in seen:
                    raise ParseError(
                        f"XML parse error: element <{child.tag}> appears twice in <{element.tag}>; give it once."
                    )
                seen.add(child.tag)
        return super()._xml_convert(element)

    def _type_convert(self, value: Any) -> Any:
        return XMLEmpty() if value is None else value


class TextXMLParser(SafeXMLParser):
    media_type = "text/xml"
