"""`Decision.layers` (computed when read) tells the same story as the decision (computed without it).

The rules decide layer by layer and stop early; explanations read every layer afterwards.
These tests replay the rules over the layer values an explanation shows and check that they
reach the same answer, over every combination of the values that matter.
"""

from __future__ import annotations

import itertools

from prefcenter.channels import CHANNELS, DIGEST_OFF, EMAIL
from subscribers.resolution import (
    CATEGORY_DEFAULT,
    CATEGORY_PREFERENCE,
    CRITICAL,
    DIGEST_OFF_REASON,
    EMAIL_OPT_OUT,
    GLOBAL_PREFERENCE,
    LAYER_ORDER,
    MANDATORY_CATEGORY,
    MESSAGING_DEFAULT,
    NOT_APPLICABLE,
    SMS_OPT_OUT,
    TENANT_DEFAULT,
    WORKFLOW_DEFAULT,
    WORKFLOW_PREFERENCE,
    CategoryChoice,
    CustomerLayers,
    Switches,
    WorkflowFacts,
    resolve,
)


def replay(values: dict, channel: str) -> tuple[bool, str]:
    """The rules of the module docstring, read from an explanation's layer values."""
    if not values["workflow_uses_channel"]:
        return False, NOT_APPLICABLE
    if values[SMS_OPT_OUT]:
        return False, SMS_OPT_OUT
    if values[CRITICAL]:
        return True, CRITICAL
    if values[MANDATORY_CATEGORY]:
        return True, MANDATORY_CATEGORY
    if values[EMAIL_OPT_OUT]:  # rule 3b (issue 14): after critical and mandatory mail
        return False, EMAIL_OPT_OUT
    for reason, names in (
        (GLOBAL_PREFERENCE, (f"{GLOBAL_PREFERENCE}.enabled", GLOBAL_PREFERENCE)),
        (WORKFLOW_PREFERENCE, (f"{WORKFLOW_PREFERENCE}.enabled", WORKFLOW_PREFERENCE)),
        (CATEGORY_PREFERENCE, (CATEGORY_PREFERENCE,)),
        (MESSAGING_DEFAULT, (MESSAGING_DEFAULT,)),
    ):
        if any(values[name] is False for name in names):
            return False, reason
    if channel == EMAIL and values["digest"] == DIGEST_OFF:
        return False, DIGEST_OFF_REASON
    for reason in (WORKFLOW_PREFERENCE, CATEGORY_PREFERENCE, GLOBAL_PREFERENCE, MESSAGING_DEFAULT):
        if values[reason] is True:
            return True, reason
    for reason in (WORKFLOW_DEFAULT, CATEGORY_DEFAULT, TENANT_DEFAULT):
        if values[reason] is not None:
            return values[reason], reason
    return True, TENANT_DEFAULT


def _cases():
    tri = (None, True, False)
    for critical, mandatory, opt_out, used in itertools.product((False, True), (False, True), (False, True), tri):
        channels = frozenset(CHANNELS) if used is None else frozenset({EMAIL}) if used else frozenset()
        workflow = WorkflowFacts(
            identifier="w", channels=channels, critical=critical, category_mandatory=mandatory,
            defaults={EMAIL: False, "push": True}, category_defaults={"in_app": False}, category_default_digest="daily",
        )
        for glob, pref, cat, msg in itertools.product(tri, tri, tri, tri):
            layers = CustomerLayers(
                email_opt_out=opt_out,
                sms_opt_out=not opt_out,
                global_preference=Switches(enabled=glob, channels={"sms": glob}),
                workflow_preference=(
                    None if pref is None else Switches(enabled=None, channels={EMAIL: pref, "chat": pref})
                ),
                category_preference=None if cat is None else CategoryChoice(channels={EMAIL: cat}, digest=DIGEST_OFF),
                messaging_default=CategoryChoice(channels={"push": msg, EMAIL: msg}, digest=None),
                tenant_defaults={"chat": False},
            )
            yield workflow, layers


def test_decision_matches_its_layers_when_replayed_over_every_combination():
    count = 0
    for workflow, layers in _cases():
        for channel, decision in resolve(workflow, layers).items():
            assert [name for name, _ in decision.layers] == list(LAYER_ORDER)
            values = dict(decision.layers)
            assert (decision.allowed, decision.reason) == replay(values, channel), (workflow, layers, channel)
            assert values["digest"] == decision.digest
            count += 1
    assert count == 2 * 2 * 2 * 3 * 81 * len(CHANNELS)


def test_decision_layers_are_the_same_object_when_read_twice():
    workflow, layers = next(iter(_cases()))
    decision = resolve(workflow, layers)[EMAIL]
    assert decision.layers is decision.layers
    assert decision.layers[0] == ("workflow_uses_channel", True)
