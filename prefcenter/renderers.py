"""JSON and XML renderers. XML follows seed 000: root element `<root>`, lowercase booleans."""

from __future__ import annotations

import re
from typing import Any

from django.utils.encoding import force_str
from rest_framework import renderers
from rest_framework_xml.renderers import XMLRenderer as BaseXMLRenderer

# Characters XML 1.0 cannot carry at all (most C0 controls); they are replaced, not dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class JSONRenderer(renderers.JSONRenderer):
    """Compact UTF-8 JSON."""

    charset = "utf-8"


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
