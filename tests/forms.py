"""Reading HTML forms as a browser submits them: the one form reader of the tests (admin pages, the
self-service page, the one-click undo form, the console).

A browser submits a form's enabled, named controls: every input but buttons and files (checkboxes and
radios only when checked, with their value or "on"), each select's selected options (the first option
when none is marked), and each textarea's text (less the newline that follows the tag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

NOT_SUBMITTED = ("submit", "button", "image", "file", "reset")


@dataclass
class Control:
    name: str
    kind: str  # an input's type, or "select", "textarea"
    value: str = ""
    checked: bool = False
    disabled: bool = False
    id: str = ""
    multiple: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # a select's (value, selected)


@dataclass
class Form:
    method: str
    id: str
    action: str
    controls: list[Control] = field(default_factory=list)

    def _sent(self) -> list[tuple[str, str]]:
        sent: list[tuple[str, str]] = []
        for control in self.controls:
            if control.disabled or not control.name:
                continue
            if control.kind in ("checkbox", "radio"):
                if control.checked:
                    sent.append((control.name, control.value or "on"))
            elif control.kind == "select":
                chosen = [value for value, selected in control.options if selected]
                if not chosen and control.options and not control.multiple:
                    chosen = [control.options[0][0]]
                sent.extend((control.name, value) for value in chosen)
            else:
                sent.append((control.name, control.value))
        return sent

    def values(self, **changes: Any) -> dict[str, Any]:
        """The body a browser posts, repeated names as lists, with `changes` applied: a string or list sets
        a value, True/False checks or unchecks a checkbox, None leaves the name out."""
        data: dict[str, Any] = {}
        for name, value in self._sent():
            if name in data:
                existing = data[name]
                data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                data[name] = value
        boxes = {control.name: control for control in self.controls if control.kind == "checkbox"}
        for name, value in changes.items():
            if value is None or value is False:
                data.pop(name, None)
            elif value is True:
                data[name] = (boxes[name].value if name in boxes else "") or "on"
            else:
                data[name] = value
        return data

    @property
    def fields(self) -> dict[str, str]:
        """What the enabled controls other than checkboxes send."""
        boxes = {control.name for control in self.controls if control.kind == "checkbox"}
        return {name: value for name, value in self._sent() if name not in boxes}

    @property
    def checkboxes(self) -> dict[str, bool]:
        """Each enabled checkbox: checked or not."""
        return {c.name: c.checked for c in self.controls if c.kind == "checkbox" and c.name and not c.disabled}

    @property
    def disabled(self) -> set[str]:
        """The ids of the disabled controls (shown, locked, never sent)."""
        return {control.id for control in self.controls if control.disabled}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(method=attr.get("method", "get").lower(), id=attr.get("id", ""),
                              action=attr.get("action", ""))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        common = {"name": attr.get("name", ""), "disabled": "disabled" in attr, "id": attr.get("id", "")}
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in NOT_SUBMITTED:
                return
            self._form.controls.append(Control(kind=kind, value=attr.get("value", ""), checked="checked" in attr,
                                               **common))
        elif tag == "select":
            self._select = Control(kind="select", multiple="multiple" in attr, **common)
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea":
            self._textarea = Control(kind="textarea", **common)
            self._form.controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


def read_forms(html: str) -> list[Form]:
    """Every form of the page, in order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.forms


def read_form(html: str, index: int = 0) -> Form:
    return read_forms(html)[index]


def posted_form(page: Any) -> Form:
    """The page's POST form (a response or its HTML), leaving out the admin header's logout form."""
    html = page if isinstance(page, str) else page.content.decode()
    return next(form for form in read_forms(html) if form.method == "post" and form.id != "logout-form")


def form_values(page: Any, **changes: Any) -> dict[str, Any]:
    """What a browser posts from the page's POST form, with `changes` applied (see `Form.values`)."""
    return posted_form(page).values(**changes)
