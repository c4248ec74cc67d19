"""Signed self-service links: the only credential the preference page and one-click unsubscribe accept.

A link carries a token made with `django.core.signing` (HMAC with SECRET_KEY, a salt per
purpose, a timestamp checked against PREFCENTER_LINK_MAX_AGE for preference links; unsubscribe
links do not expire by age). The payload names the
tenant and the customer by their integer ids, the customer's `link_version` at issue time
and, for unsubscribe links, an optional scope. It holds no personal data: no email, no
external id, no name. Raising `Customer.link_version` (customers.services.customer_revoke_links)
revokes every link issued before.

The two purposes use different salts, so a preferences token is not an unsubscribe token:
a forwarded "manage preferences" link cannot be replayed as a one-click opt-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from customers.models import Customer
from prefcenter.channels import EMAIL

PURPOSE_PREFERENCES = "preferences"
PURPOSE_UNSUBSCRIBE = "unsubscribe"
SALTS = {
    PURPOSE_PREFERENCES: "prefcenter.selfservice.preferences",
    PURPOSE_UNSUBSCRIBE: "prefcenter.selfservice.unsubscribe",
}

SCOPE_CATEGORY = "category"
SCOPE_WORKFLOW = "workflow"
SCOPE_CHANNEL = "channel"
_SCOPE_CODES = {SCOPE_CATEGORY: "k", SCOPE_WORKFLOW: "w", SCOPE_CHANNEL: "c"}
_SCOPE_KINDS = {code: kind for kind, code in _SCOPE_CODES.items()}


@dataclass(frozen=True)
class LinkScope:
    """What an unsubscribe link turns off: a channel everywhere, or one channel of a category or workflow.

    `target_id` is the Category or Workflow primary key (None for a channel-wide scope).
    No scope at all means the default: opt out of non-critical email.
    """

    kind: str
    channel: str = EMAIL
    target_id: int | None = None

    def encode(self) -> list:
        return [_SCOPE_CODES[self.kind], self.target_id, self.channel]

    @classmethod
    def decode(cls, raw: object) -> LinkScope:
        if not (isinstance(raw, list) and len(raw) == 3 and raw[0] in _SCOPE_KINDS and isinstance(raw[2], str)):
            raise InvalidLink("malformed scope")
        kind = _SCOPE_KINDS[raw[0]]
        target = raw[1]
        if (kind == SCOPE_CHANNEL) != (target is None) or (target is not None and not isinstance(target, int)):
            raise InvalidLink("malformed scope")
        return cls(kind=kind, channel=raw[2], target_id=target)


@dataclass(frozen=True)
class IssuedLinks:
    preferences_url: str
    unsubscribe_url: str
    expires_at: datetime

    @property
    def headers(self) -> dict[str, str]:
        """The RFC 2369 / RFC 8058 headers a sender puts on the message."""
        return {
            "List-Unsubscribe": f"<{self.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


@dataclass(frozen=True)
class LinkGrant:
    """What a verified token grants: acting for this customer (tenant loaded), within this scope."""

    customer: Customer
    purpose: str
    scope: LinkScope | None = None


class InvalidLink(Exception):
    """The token was tampered with, malformed, or names something that does not exist."""


class ExpiredLink(InvalidLink):
    """The preferences token is genuine but older than PREFCENTER_LINK_MAX_AGE (unsubscribe tokens never expire)."""


class RevokedLink(InvalidLink):
    """The token is genuine but the customer's links were revoked (or the customer is gone)."""


def max_age() -> int:
    return int(settings.PREFCENTER_LINK_MAX_AGE)


def link_token(*, customer: Customer, purpose: str, scope: LinkScope | None = None) -> str:
    payload: dict = {"t": customer.tenant_id, "c": customer.pk, "v": customer.link_version}
    if scope is not None:
        payload["s"] = scope.encode()
    return signing.dumps(payload, salt=SALTS[purpose], compress=False)


def link_url(purpose: str, token: str) -> str:
    path = "p" if purpose == PURPOSE_PREFERENCES else "u"
    return f"{settings.PREFCENTER_BASE_URL}/{path}/{token}/"


def links_issue(*, customer: Customer, scope: LinkScope | None = None) -> IssuedLinks:
    """A preferences link (always the whole page) and an unsubscribe link (default or scoped)."""
    issued_at = timezone.now()
    return IssuedLinks(
        preferences_url=link_url(PURPOSE_PREFERENCES, link_token(customer=customer, purpose=PURPOSE_PREFERENCES)),
        unsubscribe_url=link_url(
            PURPOSE_UNSUBSCRIBE, link_token(customer=customer, purpose=PURPOSE_UNSUBSCRIBE, scope=scope)
        ),
        expires_at=(issued_at + timedelta(seconds=max_age())).replace(microsecond=0),
    )


def link_verify(token: str, *, purpose: str) -> LinkGrant:
    """Check signature, age (preference links only) and link version; answer the customer it acts for, or raise.

    One query (the customer with its tenant).
    """
    # Unsubscribe links never expire by age: a mail client's RFC 8058 POST, or a click on an old message,
    # must keep working (CAN-SPAM: at least 30 days after sending; mailbox providers expect it longer).
    # They stop only when the customer's links are revoked (the link version). Preference links keep their age.
    age = max_age() if purpose == PURPOSE_PREFERENCES else None
    try:
        payload = signing.loads(token, salt=SALTS[purpose], max_age=age)
    except signing.SignatureExpired as exc:
        raise ExpiredLink(str(exc)) from exc
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink(str(exc)) from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(key), int) for key in ("t", "c", "v")):
        raise InvalidLink("malformed payload")
    scope = LinkScope.decode(payload["s"]) if "s" in payload else None
    if scope is not None and purpose != PURPOSE_UNSUBSCRIBE:
        raise InvalidLink("a preferences link has no scope")
    customer = Customer.objects.select_related("tenant").filter(pk=payload["c"], tenant_id=payload["t"]).first()
    if customer is None or customer.link_version != payload["v"]:
        raise RevokedLink("revoked")
    return LinkGrant(customer=customer, purpose=purpose, scope=scope)


# -- Undo after a one-click unsubscribe ---------------------------------------------------------------
UNDO_SALT = "prefcenter.selfservice.unsubscribe-undo"
_UNDO_VALUES = (True, False, None)


def undo_token(*, grant: LinkGrant, previous: bool | None) -> str:
    """The value an unsubscribe replaced, signed for the confirmation page's Undo button.

    Bound to the customer and the link's scope, so it cannot be replayed on another link.
    """
    return signing.dumps([previous], salt=f"{UNDO_SALT}:{_undo_binding(grant)}", compress=False)


def undo_verify(raw: str, *, grant: LinkGrant) -> bool | None:
    """The value to put back, or InvalidLink when the Undo form was tampered with."""
    try:
        value = signing.loads(raw or "", salt=f"{UNDO_SALT}:{_undo_binding(grant)}")
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink(str(exc)) from exc
    if not (isinstance(value, list) and len(value) == 1 and any(value[0] is v for v in _UNDO_VALUES)):
        raise InvalidLink("malformed undo")
    return value[0]


def _undo_binding(grant: LinkGrant) -> str:
    scope = grant.scope.encode() if grant.scope is not None else None
    return f"{grant.customer.pk}:{grant.customer.link_version}:{scope}"
