"""A safe XML request parser.

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

from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework_xml.parsers import XMLParser


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
        if len(root) == 0 and not (root.text or "").strip():
            return {}  # `<root/>` is an empty object, as `{}` is in JSON (not an empty string)
        return self._xml_convert(root)

    def _type_convert(self, value: Any) -> Any:
        return XMLEmpty() if value is None else value


class TextXMLParser(SafeXMLParser):
    media_type = "text/xml"
