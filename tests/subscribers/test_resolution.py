"""The resolution rules as a pure function: one case per rule, and properties over any input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefcenter.channels import CHANNELS, DIGESTS
from subscribers.resolution import (
    LAYER_ORDER,
    REASONS,
    CategoryChoice,
    CustomerLayers,
    Switches,
    WorkflowFacts,
    capabilities,
    resolve,
    resolve_channel,
    toggleability,
)

ALL = frozenset(CHANNELS)


def decide(channel: str, workflow: WorkflowFacts | None = None, **layers) -> tuple[bool, str]:
    d = resolve_channel(workflow or WorkflowFacts(identifier="w"), CustomerLayers(**layers), channel)
    return d.allowed, d.reason


# -- one case per rule -------------------------------------------------------------------


def test_channel_is_not_applicable_when_the_workflow_does_not_use_it():
    assert decide("sms", WorkflowFacts(identifier="w", channels=frozenset({"email"}))) == (False, "not_applicable")


def test_sms_is_blocked_when_opted_out_even_for_critical_workflows():
    critical = WorkflowFacts(identifier="w", critical=True)
    assert decide("sms", critical, sms_opt_out=True) == (False, "sms_opt_out")


def test_email_opt_out_blocks_when_workflow_is_not_critical():
    assert decide("email", email_opt_out=True) == (False, "email_opt_out")


def test_email_opt_out_does_not_block_when_workflow_is_critical():
    assert decide("email", WorkflowFacts(identifier="w", critical=True), email_opt_out=True) == (True, "critical")


def test_critical_beats_every_subscriber_switch_when_off():
    off = Switches(enabled=False, channels=dict.fromkeys(CHANNELS, False))
    critical = WorkflowFacts(identifier="w", critical=True)
    assert decide("push", critical, global_preference=off, workflow_preference=off) == (True, "critical")


def test_mandatory_category_allows_when_customer_switched_off():
    mandatory = WorkflowFacts(identifier="w", category_key="billing", category_mandatory=True)
    off = Switches(enabled=False)
    assert decide("email", mandatory, workflow_preference=off) == (True, "mandatory_category")


@pytest.mark.parametrize(
    ("layers", "reason"),
    [
        ({"global_preference": Switches(enabled=False)}, "global_preference"),
        ({"global_preference": Switches(channels={"push": False})}, "global_preference"),
        ({"workflow_preference": Switches(enabled=False)}, "workflow_preference"),
        ({"workflow_preference": Switches(channels={"push": False})}, "workflow_preference"),
        ({"category_preference": CategoryChoice(channels={"push": False})}, "category_preference"),
        ({"messaging_default": CategoryChoice(channels={"push": False})}, "messaging_default"),
    ],
)
def test_explicit_false_blocks_when_any_layer_says_false(layers, reason):
    assert decide("push", **layers) == (False, reason)


def test_broadest_false_is_reported_when_several_layers_say_false():
    layers = {
        "global_preference": Switches(channels={"push": False}),
        "workflow_preference": Switches(channels={"push": False}),
    }
    assert decide("push", **layers) == (False, "global_preference")


def test_master_switch_off_beats_a_more_specific_true():
    assert decide(
        "push", global_preference=Switches(enabled=False), workflow_preference=Switches(channels={"push": True})
    ) == (False, "global_preference")


def test_most_specific_explicit_true_decides_when_no_false():
    layers = {
        "global_preference": Switches(channels={"push": True}),
        "workflow_preference": Switches(channels={"push": True}),
        "messaging_default": CategoryChoice(channels={"push": True}),
    }
    assert decide("push", WorkflowFacts(identifier="w", defaults={"push": False}), **layers) == (
        True, "workflow_preference")


def test_enabled_true_is_neutral_when_the_default_is_off():
    workflow = WorkflowFacts(identifier="w", defaults={"sms": False})
    assert decide("sms", workflow, workflow_preference=Switches(enabled=True)) == (False, "workflow_default")


@pytest.mark.parametrize(
    ("workflow", "tenant_defaults", "expected"),
    [
        (WorkflowFacts(identifier="w", defaults={"push": False}, category_defaults={"push": True}), {},
         (False, "workflow_default")),
        (WorkflowFacts(identifier="w", category_defaults={"push": False}), {"push": True}, (False, "category_default")),
        (WorkflowFacts(identifier="w"), {"push": False}, (False, "tenant_default")),
        (WorkflowFacts(identifier="w"), {}, (True, "tenant_default")),
    ],
)
def test_defaults_decide_in_order_when_nobody_chose(workflow, tenant_defaults, expected):
    assert decide("push", workflow, tenant_defaults=tenant_defaults) == expected


def test_digest_off_blocks_email_when_category_preference_says_off():
    layers = {"category_preference": CategoryChoice(channels={"email": True}, digest="off")}
    d = resolve_channel(WorkflowFacts(identifier="w", category_key="k"), CustomerLayers(**layers), "email")
    assert (d.allowed, d.reason, d.digest) == (False, "digest_off", "off")


@pytest.mark.parametrize(
    ("category_pref", "messaging", "category_default", "expected"),
    [
        ("hourly", "daily", "off", "hourly"),
        (None, "daily", "hourly", "daily"),
        (None, None, "hourly", "hourly"),
        (None, None, None, "instant"),
    ],
)
def test_digest_comes_from_the_most_specific_choice_when_resolving_email(
    category_pref, messaging, category_default, expected
):
    layers = CustomerLayers(
        category_preference=CategoryChoice(digest=category_pref) if category_pref else None,
        messaging_default=CategoryChoice(digest=messaging) if messaging else None,
    )
    workflow = WorkflowFacts(identifier="w", category_key="k", category_default_digest=category_default)
    decisions = resolve(workflow, layers)
    assert decisions["email"].digest == expected
    assert decisions["push"].digest is None


def test_digest_is_instant_when_workflow_is_critical():
    layers = CustomerLayers(category_preference=CategoryChoice(digest="daily"))
    assert resolve(WorkflowFacts(identifier="w", critical=True), layers)["email"].digest == "instant"


def test_layers_list_every_layer_value_when_explaining():
    layers = CustomerLayers(workflow_preference=Switches(channels={"push": False}), tenant_defaults={"push": True})
    d = resolve_channel(WorkflowFacts(identifier="w"), layers, "push")
    assert [name for name, _ in d.layers] == list(LAYER_ORDER)
    values = dict(d.layers)
    assert values["workflow_preference"] is False
    assert values["tenant_default"] is True
    assert values["global_preference"] is None
    assert d.source == "subscriber"


def test_capabilities_explain_sms_when_phone_missing_and_opted_out():
    caps = capabilities(WorkflowFacts(identifier="w", channels=frozenset({"email"})), CustomerLayers(sms_opt_out=True))
    assert caps["sms"].capable is False
    assert caps["sms"].reasons == ("channel_not_used", "no_phone_number", "sms_opt_out")
    assert caps["email"].reasons == ("no_email_address",)


def test_toggleability_is_refused_when_critical_or_unused():
    toggles = toggleability(WorkflowFacts(identifier="w", channels=frozenset({"email"}), critical=True))
    assert (toggles["email"].toggleable, toggles["email"].reason) == (False, "critical")
    assert (toggles["sms"].toggleable, toggles["sms"].reason) == (False, "channel_not_used")


# -- properties ------------------------------------------------------------------------

anything = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.floats(allow_nan=True))
flag = st.one_of(st.none(), st.booleans())
channel_names = st.sampled_from([*CHANNELS, "fax", ""])
channel_map = st.dictionaries(channel_names, st.one_of(flag, anything), max_size=6)
digest = st.one_of(st.none(), st.sampled_from(DIGESTS), st.text(max_size=5))

switches = st.builds(Switches, enabled=st.one_of(flag, anything), channels=st.one_of(channel_map, anything))
choices = st.builds(CategoryChoice, channels=st.one_of(channel_map, anything), digest=digest)
workflows = st.builds(
    WorkflowFacts,
    identifier=st.text(max_size=5),
    channels=st.one_of(st.frozensets(channel_names), anything),
    critical=st.one_of(st.booleans(), anything),
    defaults=st.one_of(channel_map, anything),
    category_key=st.one_of(st.none(), st.text(max_size=3)),
    category_mandatory=st.one_of(st.booleans(), anything),
    category_defaults=st.one_of(channel_map, anything),
    category_default_digest=digest,
)
customer_layers = st.builds(
    CustomerLayers,
    email_opt_out=st.one_of(st.booleans(), anything),
    sms_opt_out=st.one_of(st.booleans(), anything),
    has_email=st.booleans(),
    has_phone=st.booleans(),
    global_preference=st.one_of(st.none(), switches, anything),
    workflow_preference=st.one_of(st.none(), switches, anything),
    category_preference=st.one_of(st.none(), choices, anything),
    messaging_default=st.one_of(st.none(), choices, anything),
    tenant_defaults=st.one_of(channel_map, anything),
)
# Well-formed inputs, for properties about meaning rather than robustness.
good_switches = st.builds(Switches, enabled=flag, channels=st.dictionaries(st.sampled_from(CHANNELS), flag))
good_choices = st.builds(
    CategoryChoice, channels=st.dictionaries(st.sampled_from(CHANNELS), st.booleans()), digest=st.sampled_from(DIGESTS)
)
good_workflows = st.builds(
    WorkflowFacts,
    identifier=st.just("w"),
    channels=st.frozensets(st.sampled_from(CHANNELS)),
    critical=st.booleans(),
    defaults=st.dictionaries(st.sampled_from(CHANNELS), st.booleans()),
    category_mandatory=st.booleans(),
    category_defaults=st.dictionaries(st.sampled_from(CHANNELS), st.booleans()),
    category_default_digest=st.one_of(st.none(), st.sampled_from(DIGESTS)),
)
good_layers = st.builds(
    CustomerLayers,
    email_opt_out=st.booleans(),
    sms_opt_out=st.booleans(),
    global_preference=st.one_of(st.none(), good_switches),
    workflow_preference=st.one_of(st.none(), good_switches),
    category_preference=st.one_of(st.none(), good_choices),
    messaging_default=st.one_of(st.none(), good_choices),
    tenant_defaults=st.dictionaries(st.sampled_from(CHANNELS), st.booleans()),
)


@given(workflows, customer_layers)
def test_resolve_is_total_when_given_anything(workflow, layers):
    decisions = resolve(workflow, layers)
    assert list(decisions) == list(CHANNELS)
    for channel, d in decisions.items():
        assert d.channel == channel
        assert isinstance(d.allowed, bool)
        assert d.reason in REASONS
        assert d.digest is None or d.digest in DIGESTS
        assert [name for name, _ in d.layers] == list(LAYER_ORDER)
    capabilities(workflow, layers)
    toggleability(workflow)


@given(good_workflows, good_layers)
def test_critical_workflow_is_never_blocked_except_by_sms_opt_out_when_channel_used(workflow, layers):
    workflow = WorkflowFacts(**{**workflow.__dict__, "critical": True})
    for channel, d in resolve(workflow, layers).items():
        if channel not in workflow.channels:
            continue
        if channel == "sms" and layers.sms_opt_out:
            assert (d.allowed, d.reason) == (False, "sms_opt_out")
        else:
            assert (d.allowed, d.reason) == (True, "critical")


@given(good_workflows, good_layers, st.sampled_from(["global_preference", "workflow_preference"]))
def test_master_switch_off_always_blocks_when_workflow_is_not_critical_nor_mandatory(workflow, layers, which):
    workflow = WorkflowFacts(**{**workflow.__dict__, "critical": False, "category_mandatory": False})
    current = getattr(layers, which) or Switches()
    layers = CustomerLayers(**{**layers.__dict__, which: Switches(enabled=False, channels=current.channels)})
    for d in resolve(workflow, layers).values():
        assert d.allowed is False


@given(good_workflows, good_layers)
def test_allowed_reasons_are_never_blocking_reasons_when_well_formed(workflow, layers):
    blocking_only = {"not_applicable", "sms_opt_out", "email_opt_out", "digest_off"}
    for d in resolve(workflow, layers).values():
        if d.allowed:
            assert d.reason not in blocking_only


# -- issue 14: one rule for an email opt-out everywhere (DESIGN rule 3, then 3b) ------------------------


def test_email_opt_out_does_not_block_when_the_category_is_mandatory():
    mandatory = WorkflowFacts(identifier="sign-in-alert", category_key="account", category_mandatory=True)
    assert decide("email", mandatory, email_opt_out=True) == (True, "mandatory_category")


def test_email_opt_out_still_blocks_every_other_email_when_a_master_switch_says_on():
    on = Switches(enabled=True, channels={"email": True})
    assert decide("email", email_opt_out=True, global_preference=on, workflow_preference=on) == (
        False,
        "email_opt_out",
    )


def test_sms_opt_out_blocks_sms_when_the_category_is_mandatory():
    mandatory = WorkflowFacts(identifier="sign-in-alert", category_key="account", category_mandatory=True)
    assert decide("sms", mandatory, sms_opt_out=True) == (False, "sms_opt_out")


def test_capabilities_ignore_the_email_opt_out_when_the_category_is_mandatory():
    mandatory = WorkflowFacts(identifier="w", category_mandatory=True)
    email = capabilities(mandatory, CustomerLayers(email_opt_out=True, has_email=True))["email"]
    assert (email.capable, email.reasons) == (True, ())
    other = capabilities(WorkflowFacts(identifier="w"), CustomerLayers(email_opt_out=True, has_email=True))["email"]
    assert (other.capable, other.reasons) == (False, ("email_opt_out",))
