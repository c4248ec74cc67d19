"""Fixtures for the foundation tests (re-used by tests/customers): admin users bound to a tenant and a
browser-like reader of admin forms."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from prefcenter.models import TenantMembership


@pytest.fixture
def staff_user(tenant):
    """A staff user of tenant `acme` with every model permission of the project's apps."""
    user = get_user_model().objects.create_user("acme-staff", "staff@acme.test", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "prefcenter", "messaging", "subscribers"])
    )
    TenantMembership.objects.create(user=user, tenant=tenant)
    return user


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the first <form method=post>: inputs, selects, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_multiple = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form" and attr.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self.data.append((name, attr.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in attr
        elif tag == "option" and self._select is not None and "selected" in attr:
            self.data.append((self._select, attr.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


@pytest.fixture
def form_data() -> Callable[..., dict]:
    """`form_data(response, **changes)`: the page's form as a browser would post it, with changes applied."""

    def read(response, **changes: str | list[str] | None) -> dict:
        reader = _FormReader()
        reader.feed(response.content.decode())
        data: dict[str, str | list[str]] = {}
        for name, value in reader.data:
            if name in data:
                existing = data[name]
                data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                data[name] = value
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    return read
