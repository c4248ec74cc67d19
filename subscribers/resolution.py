"""The resolution rules: may workflow W (category K) reach customer C on channel X, and how?

This module is the only place the rules live (DESIGN.md "Resolution"). It is a pure
function over plain frozen dataclasses: no ORM, no I/O, no clock. The loader in
`subscribers/selectors/` turns rows into these dataclasses for many customers at
once; the Novu face, the TeamUp face, the self-service page and the delivery
evaluation API all call `resolve()` and never re-implement a rule.

First rule that applies decides, per channel:

1. W does not use X                                   → blocked, `not_applicable`
2. `sms_opt_out` blocks every SMS (critical too)      → blocked, `sms_opt_out`
3. W critical                                          → allowed, `critical`
   K mandatory                                         → allowed, `mandatory_category`
   (transactional/relationship mail: an email opt-out never stops it, CAN-SPAM)
3b. `email_opt_out` blocks every other email           → blocked, `email_opt_out`
4. An explicit `false` in, in this order: the global subscriber switch (`enabled` or
   the channel), the workflow preference (`enabled` or the channel), the category
   preference for K, the messaging global default     → blocked, that layer
   (email only) the resolved digest is `off`           → blocked, `digest_off`
5. An explicit `true` in the most specific layer: workflow preference, category
   preference, global subscriber switch, messaging global default → allowed, that layer;
   else the workflow default, else the category default, else the tenant default
   (`workflow_default` / `category_default` / `tenant_default`). A channel missing
   from the tenant defaults is on.

`enabled: true` on a subscriber layer is neutral: a master switch can only turn
things off; channels are turned on by channel values. Values that are not booleans
count as unset, so `resolve()` is total: it never raises, whatever it is given.

Digest (email only, `None` on other channels): the category preference's, else the
messaging global default's, else the category default's, else `instant`; invalid
values are skipped. Critical workflows are always `instant` (a password reset does
not wait for a daily batch); a mandatory category never resolves to `off` (it falls
back to `instant`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prefcenter.channels import CHANNELS, DIGEST_INSTANT, DIGEST_OFF, DIGESTS, EMAIL, SMS

# -- reasons (the deciding layer) -----------------------------------------------------
NOT_APPLICABLE = "not_applicable"
SMS_OPT_OUT = "sms_opt_out"
EMAIL_OPT_OUT = "email_opt_out"
CRITICAL = "critical"
MANDATORY_CATEGORY = "mandatory_category"
GLOBAL_PREFERENCE = "global_preference"
WORKFLOW_PREFERENCE = "workflow_preference"
CATEGORY_PREFERENCE = "category_preference"
MESSAGING_DEFAULT = "messaging_default"
DIGEST_OFF_REASON = "digest_off"
WORKFLOW_DEFAULT = "workflow_default"
CATEGORY_DEFAULT = "category_default"
TENANT_DEFAULT = "tenant_default"

REASONS: tuple[str, ...] = (
    NOT_APPLICABLE, SMS_OPT_OUT, EMAIL_OPT_OUT, CRITICAL, MANDATORY_CATEGORY, GLOBAL_PREFERENCE,
    WORKFLOW_PREFERENCE, CATEGORY_PREFERENCE, MESSAGING_DEFAULT, DIGEST_OFF_REASON, WORKFLOW_DEFAULT,
    CATEGORY_DEFAULT, TENANT_DEFAULT,
)
# Reasons that are the customer's own choice (Novu `source: subscriber`), the workflow's
# own setting (`template`), or the tenant's catalog around it (`workflowOverride`).
SUBSCRIBER_REASONS = frozenset({
    SMS_OPT_OUT, EMAIL_OPT_OUT, GLOBAL_PREFERENCE, WORKFLOW_PREFERENCE, CATEGORY_PREFERENCE, MESSAGING_DEFAULT,
    DIGEST_OFF_REASON,
})
TEMPLATE_REASONS = frozenset({NOT_APPLICABLE, CRITICAL, WORKFLOW_DEFAULT})
CATALOG_REASONS = frozenset({MANDATORY_CATEGORY, CATEGORY_DEFAULT, TENANT_DEFAULT})

# -- layer names in Decision.layers (a reason, or a reason + ".enabled" for master switches)
LAYER_ORDER: tuple[str, ...] = (
    "workflow_uses_channel", SMS_OPT_OUT, CRITICAL, MANDATORY_CATEGORY, EMAIL_OPT_OUT,
    f"{GLOBAL_PREFERENCE}.enabled", GLOBAL_PREFERENCE, f"{WORKFLOW_PREFERENCE}.enabled", WORKFLOW_PREFERENCE,
    CATEGORY_PREFERENCE, MESSAGING_DEFAULT, "digest", WORKFLOW_DEFAULT, CATEGORY_DEFAULT, TENANT_DEFAULT,
)


@dataclass(frozen=True)
class WorkflowFacts:
    """What the catalog says about one workflow (and its category), as plain data.

    `defaults` and `category_defaults` map a channel to its default; a channel absent
    has no default at that level. `id` is None for the synthetic global workflow.
    """

    identifier: str
    channels: frozenset[str] = frozenset(CHANNELS)
    critical: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)
    category_key: str | None = None
    category_mandatory: bool = False
    category_defaults: Mapping[str, Any] = field(default_factory=dict)
    category_default_digest: str | None = None
    id: int | None = None


# The "workflow" the Novu `global` block is resolved as: every channel, no defaults.
GLOBAL_WORKFLOW = WorkflowFacts(identifier="*")


@dataclass(frozen=True)
class Switches:
    """A subscriber layer (a WorkflowPreference row): a master switch and per-channel values; None = inherit."""

    enabled: bool | None = None
    channels: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryChoice:
    """A messaging CategoryPreference row (for K, or the global one): channel values and the email digest."""

    channels: Mapping[str, Any] = field(default_factory=dict)
    digest: str | None = None


@dataclass(frozen=True)
class CustomerLayers:
    """Everything about one customer that the rules read for one workflow.

    `global_preference` is the customer's `workflow:*` row, `workflow_preference` the
    row for this workflow, `category_preference` the messaging preference for the
    workflow's category, `messaging_default` the customer's global messaging preference.
    `has_email`/`has_phone` feed `capabilities()`, not `resolve()`.
    """

    customer_id: int | None = None
    external_id: str = ""
    email_opt_out: bool = False
    sms_opt_out: bool = False
    has_email: bool = False
    has_phone: bool = False
    global_preference: Switches | None = None
    workflow_preference: Switches | None = None
    category_preference: CategoryChoice | None = None
    messaging_default: CategoryChoice | None = None
    tenant_defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one channel: allowed or not, the deciding layer, the email digest,
    and every layer's value in rule order (`layers`: (name, value or None)) for explanations.

    `layers` is computed when read (explanations, the self-service page), not when deciding:
    a Novu GET decides 1,000 channels and reads none of them. `inputs` is what it is computed
    from, the (workflow, customer layers) pair the decision was made for.
    """

    channel: str
    allowed: bool
    reason: str
    digest: str | None = None
    inputs: tuple[WorkflowFacts, CustomerLayers] | None = field(default=None, repr=False, compare=False)
    # `layers` once computed; slots keep a decision small (the memo of subscribers/selectors/ holds thousands).
    _layers: tuple[tuple[str, Any], ...] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def layers(self) -> tuple[tuple[str, Any], ...]:
        if self.inputs is None:
            return ()
        cached = self._layers
        if cached is None:
            workflow, layers = self.inputs
            values = _layer_values(workflow, layers, self.channel, self.digest)
            cached = tuple((name, values[name]) for name in LAYER_ORDER)
            object.__setattr__(self, "_layers", cached)
        return cached

    @property
    def source(self) -> str:
        """Novu's override source for this decision: subscriber, template or workflowOverride."""
        if self.reason in SUBSCRIBER_REASONS:
            return "subscriber"
        if self.reason in CATALOG_REASONS:
            return "workflowOverride"
        return "template"


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _get(mapping: Any, key: str) -> bool | None:
    if type(mapping) is dict:  # the common case, without the ABC check below
        value = mapping.get(key)
        return value if value is True or value is False else None
    if not isinstance(mapping, Mapping):
        return None
    try:
        return _flag(mapping.get(key))
    except Exception:  # a hostile Mapping must not make the rules raise
        return None


def _switch_enabled(layer: Any) -> bool | None:
    return _flag(getattr(layer, "enabled", None))


def _layer_channel(layer: Any, channel: str) -> bool | None:
    return _get(getattr(layer, "channels", None), channel)


def _digest(value: Any) -> str | None:
    return value if isinstance(value, str) and value in DIGESTS else None


def _uses(workflow: WorkflowFacts, channel: str) -> bool:
    channels = getattr(workflow, "channels", ())
    try:
        return channel in channels
    except TypeError:
        return False


def resolve_digest(workflow: WorkflowFacts, layers: CustomerLayers) -> str:
    """The email digest: category preference, messaging default, category default, else instant."""
    if _flag(getattr(workflow, "critical", False)):
        return DIGEST_INSTANT
    for candidate in (
        _digest(getattr(getattr(layers, "category_preference", None), "digest", None)),
        _digest(getattr(getattr(layers, "messaging_default", None), "digest", None)),
        _digest(getattr(workflow, "category_default_digest", None)),
    ):
        if candidate is not None:
            if candidate == DIGEST_OFF and _flag(getattr(workflow, "category_mandatory", False)):
                return DIGEST_INSTANT
            return candidate
    return DIGEST_INSTANT


def _layer_values(workflow: WorkflowFacts, layers: CustomerLayers, channel: str, digest: str | None) -> dict[str, Any]:
    glob = getattr(layers, "global_preference", None)
    pref = getattr(layers, "workflow_preference", None)
    return {
        "workflow_uses_channel": _uses(workflow, channel),
        SMS_OPT_OUT: bool(_flag(getattr(layers, "sms_opt_out", False))) if channel == SMS else None,
        EMAIL_OPT_OUT: bool(_flag(getattr(layers, "email_opt_out", False))) if channel == EMAIL else None,
        CRITICAL: bool(_flag(getattr(workflow, "critical", False))),
        MANDATORY_CATEGORY: bool(_flag(getattr(workflow, "category_mandatory", False))),
        f"{GLOBAL_PREFERENCE}.enabled": _switch_enabled(glob),
        GLOBAL_PREFERENCE: _layer_channel(glob, channel),
        f"{WORKFLOW_PREFERENCE}.enabled": _switch_enabled(pref),
        WORKFLOW_PREFERENCE: _layer_channel(pref, channel),
        CATEGORY_PREFERENCE: _layer_channel(getattr(layers, "category_preference", None), channel),
        MESSAGING_DEFAULT: _layer_channel(getattr(layers, "messaging_default", None), channel),
        "digest": digest,
        WORKFLOW_DEFAULT: _get(getattr(workflow, "defaults", None), channel),
        CATEGORY_DEFAULT: _get(getattr(workflow, "category_defaults", None), channel),
        TENANT_DEFAULT: _get(getattr(layers, "tenant_defaults", None), channel),
    }


def _decide(workflow: WorkflowFacts, layers: CustomerLayers, channel: str, digest: str | None) -> tuple[bool, str]:
    """Rules 1-5 in order, reading each layer only when the rules get that far.

    It reads the same values as `_layer_values` (which explanations show), layer by layer.
    """
    if not _uses(workflow, channel):
        return False, NOT_APPLICABLE
    critical = bool(_flag(getattr(workflow, "critical", False)))
    if channel == SMS and _flag(getattr(layers, "sms_opt_out", False)):
        return False, SMS_OPT_OUT
    if critical:
        return True, CRITICAL
    if _flag(getattr(workflow, "category_mandatory", False)):
        return True, MANDATORY_CATEGORY
    if channel == EMAIL and _flag(getattr(layers, "email_opt_out", False)):
        return False, EMAIL_OPT_OUT
    glob = getattr(layers, "global_preference", None)
    pref = getattr(layers, "workflow_preference", None)
    global_value = _layer_channel(glob, channel)
    if _switch_enabled(glob) is False or global_value is False:
        return False, GLOBAL_PREFERENCE
    workflow_value = _layer_channel(pref, channel)
    if _switch_enabled(pref) is False or workflow_value is False:
        return False, WORKFLOW_PREFERENCE
    category_value = _layer_channel(getattr(layers, "category_preference", None), channel)
    if category_value is False:
        return False, CATEGORY_PREFERENCE
    messaging_value = _layer_channel(getattr(layers, "messaging_default", None), channel)
    if messaging_value is False:
        return False, MESSAGING_DEFAULT
    if channel == EMAIL and digest == DIGEST_OFF:
        return False, DIGEST_OFF_REASON
    if workflow_value is True:
        return True, WORKFLOW_PREFERENCE
    if category_value is True:
        return True, CATEGORY_PREFERENCE
    if global_value is True:
        return True, GLOBAL_PREFERENCE
    if messaging_value is True:
        return True, MESSAGING_DEFAULT
    for reason, mapping in (
        (WORKFLOW_DEFAULT, getattr(workflow, "defaults", None)),
        (CATEGORY_DEFAULT, getattr(workflow, "category_defaults", None)),
        (TENANT_DEFAULT, getattr(layers, "tenant_defaults", None)),
    ):
        value = _get(mapping, channel)
        if value is not None:
            return value, reason
    return True, TENANT_DEFAULT


def resolve_channel(workflow: WorkflowFacts, layers: CustomerLayers, channel: str) -> Decision:
    """The decision for one channel (see the module docstring for the rules)."""
    uses = _uses(workflow, channel)
    digest = resolve_digest(workflow, layers) if channel == EMAIL and uses else None
    allowed, reason = _decide(workflow, layers, channel, digest)
    return Decision(channel=channel, allowed=bool(allowed), reason=reason, digest=digest, inputs=(workflow, layers))


def resolve(workflow: WorkflowFacts, layers: CustomerLayers) -> dict[str, Decision]:
    """Every channel's decision for one workflow and one customer, in CHANNELS order. Never raises."""
    return {channel: resolve_channel(workflow, layers, channel) for channel in CHANNELS}


# -- capabilities and toggleability (TeamUp face, self-service page) -------------------


@dataclass(frozen=True)
class Capability:
    """Whether a notification can go out on a channel at all, and if not, why (codes in rule order)."""

    channel: str
    capable: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Toggle:
    """Whether the customer may change a channel of a workflow, and if not, why."""

    channel: str
    toggleable: bool
    reason: str | None = None


NOT_CAPABLE_MESSAGES = {
    "channel_not_used": "The notification is not sent on this channel.",
    "no_phone_number": "The customer has no phone number.",
    "sms_opt_out": "The customer has opted out of SMS; opt in to SMS first.",
    "no_email_address": "The customer has no email address.",
    "email_opt_out": "The customer has opted out of email; opt in to email first.",
}
NOT_TOGGLEABLE_MESSAGES = {
    "channel_not_used": "The notification is not sent on this channel.",
    CRITICAL: "The notification is critical: it is always sent and cannot be turned off.",
    MANDATORY_CATEGORY: "The notification belongs to a mandatory category and cannot be turned off.",
}


def capabilities(workflow: WorkflowFacts, layers: CustomerLayers) -> dict[str, Capability]:
    """Per channel: can it go there? SMS needs the workflow to use SMS, a phone number and
    no SMS opt-out; email needs the workflow to use email, an email address and no email
    opt-out (a critical workflow or a mandatory category ignores the email opt-out, as `resolve()` does). Other
    channels need only the workflow to use them (their addresses live with the sender)."""
    out: dict[str, Capability] = {}
    essential = bool(_flag(getattr(workflow, "critical", False))) or bool(
        _flag(getattr(workflow, "category_mandatory", False))
    )
    for channel in CHANNELS:
        reasons: list[str] = []
        if not _uses(workflow, channel):
            reasons.append("channel_not_used")
        if channel == SMS:
            if not _flag(getattr(layers, "has_phone", False)):
                reasons.append("no_phone_number")
            if _flag(getattr(layers, "sms_opt_out", False)):
                reasons.append("sms_opt_out")
        elif channel == EMAIL:
            if not _flag(getattr(layers, "has_email", False)):
                reasons.append("no_email_address")
            if _flag(getattr(layers, "email_opt_out", False)) and not essential:
                reasons.append("email_opt_out")
        out[channel] = Capability(channel=channel, capable=not reasons, reasons=tuple(reasons))
    return out


def toggleability(workflow: WorkflowFacts) -> dict[str, Toggle]:
    """Per channel: may the customer change it? Not for channels the workflow does not use,
    nor for critical workflows or mandatory categories (rule 3 decides those)."""
    out: dict[str, Toggle] = {}
    for channel in CHANNELS:
        if not _uses(workflow, channel):
            reason: str | None = "channel_not_used"
        elif _flag(getattr(workflow, "critical", False)):
            reason = CRITICAL
        elif _flag(getattr(workflow, "category_mandatory", False)):
            reason = MANDATORY_CATEGORY
        else:
            reason = None
        out[channel] = Toggle(channel=channel, toggleable=reason is None, reason=reason)
    return out
