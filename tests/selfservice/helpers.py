"""Small helpers for the self-service tests: tokens from the past, tampered tokens, the page's Save press."""

from __future__ import annotations

import time
from unittest import mock

from django.core import signing

from selfservice.links import SALTS, link_token
from tests.forms import Form


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


def submission(form: Form, **changes) -> dict:
    """The POST body of the page's form with its Save button pressed and some checkboxes/selects changed:
    `w3_email=False`, `c2_digest="off"`."""
    return form.values(**{"action": "save", **changes})
