"""JSON and XML renderers. XML follows seed 000: root element `<root>`, lowercase booleans."""

from __future__ import annotations

from typing import Any

from django.utils.encoding import force_str
from rest_framework import renderers
from rest_framework_xml.renderers import XMLRenderer as BaseXMLRenderer


class JSONRenderer(renderers.JSONRenderer):
    """Compact UTF-8 JSON."""

    charset = "utf-8"


class XMLRenderer(BaseXMLRenderer):
    """`<root>…</root>`, `true`/`false`, list items as `<list-item>`, null as an empty element."""

    root_tag_name = "root"
    item_tag_name = "list-item"
    format = "xml"

    def _to_xml(self, xml: Any, data: Any) -> None:
        if isinstance(data, bool):
            xml.characters("true" if data else "false")
        elif isinstance(data, (list, tuple, dict)) or data is None:
            super()._to_xml(xml, data)
        else:
            xml.characters(force_str(data))
