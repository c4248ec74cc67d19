"""One truth (issue 14 item 1): every switch the page renders agrees with the resolution engine.

The page is read as HTML (what a browser and a screen reader get), and each control's state,
lock and explanation is compared with the engine's own decision for that customer, over
several customer states. The engine is asked directly (the set-based loader and `resolve()`),
never through the page's own arrangement of its answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from customers.services import customer_update
from messaging.models import CategoryPreference
from prefcenter.channels import EMAIL, SMS
from selfservice.links import PURPOSE_PREFERENCES, link_token
from subscribers import resolution
from subscribers.catalog import category_facts
from subscribers.resolution import CustomerLayers
from subscribers.selectors.layers import category_choice
from subscribers.selectors.resolutions import customer_resolutions
from subscribers.services.preferences import workflow_preference_update
from tests.factories import make_category_preference, make_customer, make_workflow
from tests.selfservice.catalog import SYSTEM, fresh

pytestmark = pytest.mark.django_db

# A blocked decision for one of these reasons is decided above the switch it is shown on.
DECIDED_ABOVE = {
    resolution.SMS_OPT_OUT,
    resolution.EMAIL_OPT_OUT,
    resolution.GLOBAL_PREFERENCE,
    resolution.MESSAGING_DEFAULT,
    resolution.CATEGORY_PREFERENCE,
    resolution.DIGEST_OFF_REASON,
}
MASTER_OFF = {resolution.GLOBAL_PREFERENCE, resolution.MESSAGING_DEFAULT, resolution.EMAIL_OPT_OUT}


@dataclass
class Shown:
    tag: str
    attrs: dict
    selected: str | None = None
    options: list[str] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return "checked" in self.attrs

    @property
    def disabled(self) -> bool:
        return "disabled" in self.attrs


class PageReader(HTMLParser):
    """Every checkbox and select (by id), the text of every element with an id, and which chips are locked."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, Shown] = {}
        self.texts: dict[str, str] = {}
        self.locked: set[str] = set()
        self._open: list[tuple[str, str | None]] = []
        self._select: Shown | None = None
        self._chip_locked = False
        self._labels: dict[str, str] = {}
        self._label_for: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and "chip" in (a.get("class") or "").split():
            self._chip_locked = "locked" in a["class"].split()
        if tag == "input" and a.get("type") == "checkbox":
            self.controls[a["id"]] = Shown(tag, a)
            if self._chip_locked:
                self.locked.add(a["id"])
        elif tag == "select":
            self._select = self.controls.setdefault(a["id"], Shown(tag, a))
        elif tag == "option" and self._select is not None:
            self._select.options.append(a["value"])
            if "selected" in a:
                self._select.selected = a["value"]
        if tag == "label" and a.get("for"):
            self._label_for = a["for"]
            self._labels.setdefault(a["for"], "")
        if tag not in ("input", "br", "meta", "link", "path"):
            self._open.append((tag, a.get("id")))
            if a.get("id"):
                self.texts.setdefault(a["id"], "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "span":
            self._chip_locked = self._chip_locked and False
        if tag == "label":
            self._label_for = None
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id:
                self.texts[element_id] += data
        if self._label_for:
            self._labels[self._label_for] += data

    def accessible_name(self, control_id: str) -> str:
        shown = self.controls[control_id]
        return " ".join((shown.attrs.get("aria-label") or self._labels.get(control_id, "")).split())


def read_page(client, customer) -> PageReader:
    response = client.get(f"/p/{link_token(customer=customer, purpose=PURPOSE_PREFERENCES)}/")
    assert response.status_code == 200
    reader = PageReader()
    reader.feed(response.content.decode())
    return reader


def control_id(reader: PageReader, name: str) -> str | None:
    """A control's element id: `id_<name>` when it is a form field, `<name>` when shown disabled."""
    for candidate in (f"id_{name}", name):
        if candidate in reader.controls:
            return candidate
    return None


def assert_explained(reader: PageReader, cid: str) -> None:
    described = reader.controls[cid].attrs.get("aria-describedby")
    assert described, f"{cid} is disabled without saying why"
    for target in described.split():
        assert reader.texts.get(target, "").strip(), f"{cid} points at {target}, which says nothing"


# -- customer states -------------------------------------------------------------------------------


def state_fresh(customer, catalog):
    return customer


def state_one_click_email_opt_out(customer, catalog):
    customer_update(customer=customer, actor=SYSTEM, email_opt_out=True)
    return customer


def state_sms_in_and_push_master_off(customer, catalog):
    customer_update(customer=customer, actor=SYSTEM, sms_opt_out=False)
    workflow_preference_update(
        tenant=customer.tenant, customer=customer, workflow=None, channels={"push": False}, actor=SYSTEM
    )
    return customer


def state_unsubscribed_from_everything(customer, catalog):
    customer_update(customer=customer, actor=SYSTEM, sms_opt_out=False)
    workflow_preference_update(
        tenant=customer.tenant, customer=customer, workflow=None, enabled=False, channels={}, actor=SYSTEM
    )
    return customer


def state_topic_choices(customer, catalog):
    make_category_preference(customer, catalog.news, email_enabled=True, digest="off")
    make_category_preference(customer, catalog.orders, push_enabled=False, digest="hourly")
    make_category_preference(customer, None, in_app_enabled=False)
    return customer


def state_workflow_choices_and_email_opt_out(customer, catalog):
    customer_update(customer=customer, actor=SYSTEM, email_opt_out=True, sms_opt_out=False)
    workflow_preference_update(
        tenant=customer.tenant,
        customer=customer,
        workflow=catalog.order_shipped,
        enabled=False,
        channels={},
        actor=SYSTEM,
    )
    workflow_preference_update(
        tenant=customer.tenant,
        customer=customer,
        workflow=catalog.newsletter,
        channels={"email": True},
        actor=SYSTEM,
    )
    return customer


def state_global_push_on_over_a_topic_default_off(customer, catalog):
    workflow_preference_update(
        tenant=customer.tenant, customer=customer, workflow=None, channels={"push": True}, actor=SYSTEM
    )
    return customer


STATES = [
    state_fresh,
    state_one_click_email_opt_out,
    state_sms_in_and_push_master_off,
    state_unsubscribed_from_everything,
    state_topic_choices,
    state_workflow_choices_and_email_opt_out,
    state_global_push_on_over_a_topic_default_off,
]


@pytest.mark.parametrize("arrange", STATES, ids=[s.__name__.removeprefix("state_") for s in STATES])
def test_every_switch_agrees_with_the_engine_when_the_customer_is_in_this_state(client, tenant, catalog, arrange):
    sign_in_alert = make_workflow(
        tenant, "sign-in-alert", name="Sign-in alert", category=catalog.account, channels=["email", "sms", "push"]
    )
    customer = make_customer(tenant, "truth", email="ada@example.com", phone="+14155550100")
    customer = fresh(arrange(customer, catalog))
    reader = read_page(client, customer)
    engine = customer_resolutions(tenant=tenant, customer=customer)
    layers = engine.global_layers
    unsubscribed_all = getattr(layers.global_preference, "enabled", None) is False
    checked_some = 0

    # Every workflow switch: its state is the engine's decision; it is locked exactly when rule 3 decides it,
    # disabled exactly when it cannot change the outcome, and then it says why.
    for item in engine.workflows:
        toggles = item.toggleability
        for channel, decision in item.decisions.items():
            cid = control_id(reader, f"w{item.workflow.pk}_{channel}")
            if channel not in item.facts.channels:
                assert cid is None, f"{item.workflow.identifier} shows {channel}, which it does not use"
                continue
            shown = reader.controls[cid]
            assert shown.checked == decision.allowed, (item.workflow.identifier, channel, decision.reason)
            locked = not toggles[channel].toggleable
            assert (cid in reader.locked) == locked, (item.workflow.identifier, channel)
            if locked:  # the lock promises "always sent": only a text-message opt-out (STOP) may stop it
                assert decision.allowed or decision.reason == resolution.SMS_OPT_OUT, (
                    item.workflow.identifier,
                    channel,
                )
            assert shown.disabled == (locked or (not decision.allowed and decision.reason in DECIDED_ABOVE))
            if shown.disabled:
                assert_explained(reader, cid)
            checked_some += 1
    assert checked_some >= 10

    # Every master switch: on unless the customer turned that channel off for everything.
    for channel, decision in engine.global_decisions.items():
        if channel == SMS:
            continue
        cid = control_id(reader, f"master_{channel}")
        if cid is None:
            continue
        master_off = not decision.allowed and decision.reason in MASTER_OFF
        assert reader.controls[cid].checked == (not master_off), (channel, decision.reason)
        if reader.controls[cid].disabled:
            assert_explained(reader, cid)

    # The SMS box: ticked exactly when some text message can still go out.
    sms_box = reader.controls[control_id(reader, "sms_opt_in")]
    some_sms = any(item.decisions[SMS].allowed for item in engine.workflows)
    sms_global = engine.global_decisions[SMS]
    sms_off = not sms_global.allowed and sms_global.reason in (resolution.SMS_OPT_OUT, resolution.GLOBAL_PREFERENCE)
    assert sms_box.checked == (some_sms if unsubscribed_all else not sms_off)

    # Every topic: the engine's answer for the category with the customer's own layers.
    used: dict[int, set[str]] = {}
    for item in engine.workflows:
        used.setdefault(item.workflow.category_id, set()).update(item.facts.channels)
    rows = {row.category_id: row for row in CategoryPreference.objects.filter(customer=customer)}
    for category in (catalog.account, catalog.orders, catalog.news):
        facts = category_facts(category)
        decisions = resolution.resolve(
            facts,
            CustomerLayers(
                email_opt_out=layers.email_opt_out,
                sms_opt_out=layers.sms_opt_out,
                global_preference=layers.global_preference,
                category_preference=category_choice(rows.get(category.pk)),
                messaging_default=layers.messaging_default,
                tenant_defaults=layers.tenant_defaults,
            ),
        )
        for channel in ("in_app", "push"):
            cid = control_id(reader, f"c{category.pk}_{channel}")
            if channel not in used.get(category.pk, set()):
                assert cid is None, f"{category.key} shows {channel}, which none of its notifications use"
                continue
            decision = decisions[channel]
            shown = reader.controls[cid]
            assert shown.checked == decision.allowed, (category.key, channel, decision.reason)
            assert (cid in reader.locked) == category.mandatory
            assert shown.disabled == (category.mandatory or (not decision.allowed and decision.reason in MASTER_OFF))
            if shown.disabled:
                assert_explained(reader, cid)
        email = reader.controls[control_id(reader, f"c{category.pk}_digest")]
        decision = decisions[EMAIL]
        assert email.selected == (decision.digest if decision.allowed else "off"), (category.key, decision.reason)
        assert ("off" in email.options) == (not category.mandatory)
        assert email.disabled == (not decision.allowed and decision.reason in MASTER_OFF)
        if email.disabled or category.mandatory:
            assert_explained(reader, email.attrs["id"])

    # Unique accessible names (issue 14 item 10): no two controls are read out the same.
    names = [reader.accessible_name(cid) for cid in reader.controls]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert sign_in_alert.pk  # in the catalog for every state
