"""Inbound SMS keywords: what a message asks for, whether it is signed, and the TwiML reply.

Pure functions (no ORM): the service (compliance/services.py) and the view use them.
Keywords follow CTIA's list and the FCC's 2024 "any reasonable means" rule (FCC 24-24):
a keyword counts anywhere in the message, in any case ("please stop" stops).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _

STOP = "stop"
START = "start"
HELP = "help"
AMBIGUOUS = "ambiguous"
NONE = "none"

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

_OPT_OUT = re.compile(r"\bOPT[\s_-]*OUT\b")
_STOP_ALL = re.compile(r"\bSTOP[\s_-]+ALL\b")
_WORD = re.compile(r"[^\W\d_]+")


def keyword_intent(body: str) -> str:
    """STOP, START, HELP, AMBIGUOUS (both a stop and a start word) or NONE.

    A stop word and a start word in one message ("stop, no wait, start") cannot be read
    either way, so nothing changes and the sender is told how to choose. A stop or start
    word wins over HELP/INFO ("stop, info?" stops).
    """
    text = _STOP_ALL.sub("STOPALL", _OPT_OUT.sub("OPTOUT", body.upper()))
    words = set(_WORD.findall(text))
    stop, start = bool(words & STOP_WORDS), bool(words & START_WORDS)
    if stop and start:
        return AMBIGUOUS
    if stop:
        return STOP
    if start:
        return START
    if words & HELP_WORDS:
        return HELP
    return NONE


def twilio_signature(*, url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, full URL + each POST key+value, keys sorted))."""
    payload = url + "".join(f"{key}{value}" for key, value in sorted(params))
    mac = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def signature_valid(*, url: str, params: Iterable[tuple[str, str]], auth_token: str, signature: str) -> bool:
    expected = twilio_signature(url=url, params=list(params), auth_token=auth_token)
    return hmac.compare_digest(expected.encode(), (signature or "").encode())


def twiml(message: str | None) -> str:
    """`<Response><Message>…</Message></Response>`, or an empty `<Response/>` (send no reply)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if not message:
        return f"{head}<Response/>"
    return f"{head}<Response><Message>{escape(message)}</Message></Response>"


def default_message(kind: str, *, brand: str, support: str) -> str:
    """The shipped text for a reply kind, in the active language (locale/*/django.po)."""
    texts = {
        STOP: _("%(brand)s: you are unsubscribed and will receive no more text messages. Reply START to resubscribe."),
        START: _("%(brand)s: you are subscribed to text messages again. Reply STOP to unsubscribe, HELP for help."),
        HELP: _("%(brand)s: reply STOP to unsubscribe or START to resubscribe. Help: %(support)s"),
        AMBIGUOUS: _(
            "%(brand)s: we could not tell whether you want to stop or start text messages, so nothing changed. "
            "Reply STOP to unsubscribe or START to resubscribe."
        ),
        "unknown_sender": _("%(brand)s: this phone number is not on file, so nothing changed."),
    }
    return texts[kind] % {"brand": brand, "support": support}


def reply_text(
    kind: str, *, language: str, overrides: Mapping[str, Mapping[str, str]], brand: str, support: str
) -> str:
    """The tenant's own text for this language and kind if it set one, else the shipped default."""
    custom = (overrides.get(language) or {}).get(kind)
    if custom:
        return custom
    with translation.override(language):
        return default_message(kind, brand=brand, support=support)
