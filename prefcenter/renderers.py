"""JSON and XML renderers. XML follows seed 000: root element `<root>`, lowercase booleans."""

from __future__ import annotations

import re
from typing import Any

import orjson
from django.utils.encoding import force_str
from rest_framework import renderers
from rest_framework.utils import encoders
from rest_framework_xml.renderers import XMLRenderer as BaseXMLRenderer

# Characters XML 1.0 cannot carry at all (most C0 controls); they are replaced, not dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class JSONRenderer(renderers.JSONRenderer):
    """Compact UTF-8 JSON, the same bytes as DRF's renderer, encoded with orjson.

    The standard library takes ~40-70 ms for the 2.4 MB answer to an evaluation of 10,000
    recipients; orjson a few. What orjson would write differently goes through DRF's path:
    datetimes, dates and times (DRF's format, not orjson's) and any type orjson does not know
    go to DRF's `JSONEncoder.default`; an `indent` asked for in the Accept header, and anything
    orjson refuses (integers beyond 64 bits, strings with lone surrogates), are rendered by
    DRF's renderer itself. U+2028/U+2029 are escaped, as DRF does. Differences left, for floats
    only (no field of this API holds one): NaN and infinities become null instead of an error,
    and small exponents lose their leading zero (1e-7, not 1e-07).
    """

    charset = "utf-8"
    _default = encoders.JSONEncoder().default
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    # Keys that are not strings (rare) need OPT_NON_STR_KEYS, which halves orjson's speed on every dict: tried
    # only when the plain encoding refuses (7 -> 3.5 ms for the 4.7 MB answer to 10,000 recipients).
    _options_non_str_keys = _options | orjson.OPT_NON_STR_KEYS

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self._default, option=self._options)
        except orjson.JSONEncodeError:
            try:
                out = orjson.dumps(data, default=self._default, option=self._options_non_str_keys)
            except orjson.JSONEncodeError:
                return super().render(data, accepted_media_type, renderer_context)
        # U+2028/U+2029 are not ASCII: an ASCII answer (most are; the check is one pass in C) holds neither.
        if not out.isascii() and (b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out):
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out


class XMLRenderer(BaseXMLRenderer):
    """`<root>…</root>`, `true`/`false`, list items as `<list-item>`, null as an empty element.

    Keys that are not valid XML names (they can come from input, e.g. an unknown field
    named in an error) become `<entry name="…">`, so input can never forge markup.
    """

    root_tag_name = "root"
    item_tag_name = "list-item"
    format = "xml"

    def _to_xml(self, xml: Any, data: Any) -> None:
        if isinstance(data, bool):
            xml.characters("true" if data else "false")
        elif isinstance(data, dict):
            for key, value in data.items():
                name = str(key)
                safe_name = _XML_INVALID.sub("\ufffd", name)
                tag, attrs = (name, {}) if _XML_NAME.match(name) else ("entry", {"name": safe_name})
                xml.startElement(tag, attrs)
                self._to_xml(xml, value)
                xml.endElement(tag)
        elif isinstance(data, (list, tuple)) or data is None:
            super()._to_xml(xml, data)
        else:
            xml.characters(_XML_INVALID.sub("\ufffd", force_str(data)))
