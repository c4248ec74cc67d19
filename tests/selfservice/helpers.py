"""Small helpers for the self-service tests: tokens from the past, reading the page's form as a browser would."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from unittest import mock

from django.core import signing

from selfservice.links import SALTS, link_token


def token_issued_ago(seconds: int, **kwargs) -> str:
    """A genuine token whose signature is `seconds` old."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - seconds):
        return link_token(**kwargs)


def payload_of(token: str, purpose: str) -> dict:
    return signing.loads(token, salt=SALTS[purpose])


def tampered(token: str) -> str:
    """The same token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


class FormReader(HTMLParser):
    """Collects what a browser would submit from the page's preferences form, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {"fields": {}, "checkboxes": {}, "disabled": set()}
            self.forms.append(self._current)
        elif self._current is None:
            return
        elif tag == "input":
            name = a.get("name")
            if "disabled" in a:
                self._current["disabled"].add(a.get("id"))
                return
            if not name:
                return
            if a.get("type") == "checkbox":
                self._current["checkboxes"][name] = "checked" in a
            else:
                self._current["fields"][name] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._current["fields"][self._select] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._current = None


def read_form(html: str, index: int = 0) -> dict:
    reader = FormReader()
    reader.feed(html)
    return reader.forms[index]


def submission(form: dict, **changes) -> dict:
    """The POST body of the form with some checkboxes/selects changed: `w3_email=False`, `c2_digest="off"`."""
    data = dict(form["fields"])
    boxes = dict(form["checkboxes"])
    for name, value in changes.items():
        if isinstance(value, bool):
            boxes[name] = value
        else:
            data[name] = value
    data.update({name: "on" for name, checked in boxes.items() if checked})
    data.setdefault("action", "save")
    return data
