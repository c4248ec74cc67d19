"""What the preference page shows: one customer's catalog, choices and effective state.

Everything effective comes from the resolution engine (subscribers/resolution.py) via the
set-based loader (subscribers/selectors/); this module only arranges its answers for the
page and says which controls a customer may change and why not. No rule is decided here.

A fixed number of queries whatever the size of the catalog: the loader's 3, the category
catalog, and the customer's category preferences.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS, DIGEST_OFF, DIGESTS, EMAIL, IN_APP, MESSAGING_CHANNELS, PUSH, SMS
from prefcenter.models import Tenant
from prefcenter.translations import localized
from subscribers import resolution
from subscribers.catalog import category_facts
from subscribers.resolution import CategoryChoice, CustomerLayers, Decision
from subscribers.selectors.layers import category_choice
from subscribers.selectors.resolutions import CustomerResolution, ResolvedWorkflow, customer_resolutions

CHANNEL_LABELS = {
    EMAIL: _("Email"),
    SMS: _("Text messages"),
    IN_APP: _("In-app"),
    "chat": _("Chat"),
    PUSH: _("Push"),
}
DIGEST_LABELS = {
    "instant": _("Right away"),
    "hourly": _("Hourly summary"),
    "daily": _("Daily summary"),
    DIGEST_OFF: _("Never"),
}
# A topic's email is one choice: how often, or not at all ("Email: On" beside "frequency: Never" meant nothing).
EMAIL_CHOICE_LABELS = {**DIGEST_LABELS, DIGEST_OFF: _("Off")}
LOCK_REASONS = {
    resolution.CRITICAL: _("Always sent: essential for your account."),
    resolution.MANDATORY_CATEGORY: _("Always sent: required for your account."),
}

# A blocked decision whose reason is one of these is decided above the row it is shown on:
# the row's own switch cannot turn it back on, so the page disables it and says why.
DECIDED_ABOVE_WORKFLOW = frozenset(
    {
        resolution.SMS_OPT_OUT,
        resolution.EMAIL_OPT_OUT,
        resolution.GLOBAL_PREFERENCE,
        resolution.MESSAGING_DEFAULT,
        resolution.CATEGORY_PREFERENCE,
        resolution.DIGEST_OFF_REASON,
    }
)


def _layer(decision: Decision, name: str) -> Any:
    return dict(decision.layers).get(name)


def category_decisions(
    *,
    tenant: Tenant,
    category: Category,
    row: CategoryPreference | None,
    messaging_default: CategoryChoice | None,
    customer_layers: CustomerLayers | None = None,
) -> dict[str, Decision]:
    """The engine's answer for a category on its own: its preference, the messaging default, its defaults,
    and with `customer_layers` the customer's opt-outs and global switches too (what the page shows)."""
    layers = CustomerLayers(
        category_preference=category_choice(row),
        messaging_default=messaging_default,
        tenant_defaults=dict(tenant.channel_defaults or {}),
    )
    if customer_layers is not None:
        layers = replace(
            customer_layers,
            workflow_preference=None,
            category_preference=layers.category_preference,
            messaging_default=messaging_default,
            tenant_defaults=layers.tenant_defaults,
        )
    return resolution.resolve(category_facts(category), layers)


def category_current_values(
    *, category: Category, row: CategoryPreference | None, decisions: Mapping[str, Decision]
) -> dict[str, Any]:
    """The four values a category preference row holds, as the customer sees them now.

    With a row, its values. Without one, what the engine answers for the category on its own
    (a channel muted only by digest `off` still shows its switch on: the digest says why).
    """
    if row is not None:
        return {**row.channel_values(), "digest": row.digest}
    values: dict[str, Any] = {}
    for channel in MESSAGING_CHANNELS:
        decision = decisions[channel]
        values[channel] = decision.allowed or decision.reason == resolution.DIGEST_OFF_REASON
    values["digest"] = decisions[EMAIL].digest or category.default_digest
    return values


@dataclass
class Control:
    """One switch on the page: a form field when editable, otherwise shown disabled with the reason."""

    name: str
    channel: str
    label: str
    checked: bool
    editable: bool
    note: str = ""
    locked: bool = False
    describedby: str = ""
    aria_label: str = ""  # the switch's unique accessible name ("Email for Orders"); the visible label is its start
    bound: Any = None  # the form's field (bound or as unbound), set when the page renders an editable control


@dataclass
class WorkflowRow:
    resolved: ResolvedWorkflow
    controls: list[Control]

    @property
    def workflow(self):
        return self.resolved.workflow

    @property
    def locked(self) -> bool:
        return bool(self.controls) and all(c.locked for c in self.controls)

    @property
    def notes(self) -> list[str]:
        seen: list[str] = []
        for control in self.controls:
            if control.note and control.note not in seen:
                seen.append(control.note)
        return seen


@dataclass
class CategorySection:
    category: Category | None
    row: CategoryPreference | None = None
    decisions: dict[str, Decision] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)
    digest_name: str = ""
    digest_choices: list[tuple[str, str]] = field(default_factory=list)
    # The topic's email choice (a frequency, or "off"): shown when its notifications use email.
    email: Control | None = None
    digest_value: str = ""
    workflows: list[WorkflowRow] = field(default_factory=list)
    # Set when the page renders: the digest choice's field, and the markup of the switches and workflow rows.
    digest_bound: Any = None
    chips_html: str = ""
    workflows_html: str = ""

    @property
    def key(self) -> str:
        return self.category.key if self.category else "other"

    @property
    def locked(self) -> bool:
        return bool(self.category and self.category.mandatory)

    @property
    def notes_id(self) -> str:
        return f"topic-{self.key}-notes"

    @property
    def notes(self) -> list[str]:
        """Why the topic's disabled switches are disabled, or locked (their aria-describedby points here)."""
        seen: list[str] = []
        controls = [*self.controls, *([self.email] if self.email else [])]
        for control in controls:
            if control.note and control.note not in seen:
                seen.append(control.note)
        return seen


@dataclass
class PageState:
    tenant: Tenant
    customer: Customer
    resolution: CustomerResolution
    masters: list[Control]
    sms: Control | None
    sections: list[CategorySection]
    unsubscribed_all: bool
    categories_by_id: dict[int, Category]
    workflows_by_id: dict[int, ResolvedWorkflow]
    category_rows: dict[int | None, CategoryPreference]

    def controls(self) -> list[Control]:
        """Every checkbox on the page (a topic's email choice is a select: `section.email`)."""
        out = [*self.masters]
        if self.sms is not None:
            out.append(self.sms)
        for section in self.sections:
            out.extend(section.controls)
            for row in section.workflows:
                out.extend(row.controls)
        return out

    @property
    def master_on(self) -> dict[str, bool]:
        state = {control.channel: control.checked for control in self.masters}
        if self.sms is not None:
            state[SMS] = self.sms.checked
        return state


UNSUBSCRIBED_ALL_NOTE = _("You unsubscribed from everything that isn't essential. Resubscribe to choose again.")


def _blocked_note(reason: str, channel: str, category: Category | None) -> str:
    label = CHANNEL_LABELS.get(channel, channel)
    if reason == resolution.EMAIL_OPT_OUT:
        return str(_("You unsubscribed from non-essential email. Turn email back on above to choose."))
    if reason == resolution.SMS_OPT_OUT:
        return str(_("Text messages are off. Turn them on above to choose."))
    if reason in (resolution.GLOBAL_PREFERENCE, resolution.MESSAGING_DEFAULT):
        return str(_("%(channel)s is off for all notifications. Turn it on above to choose.") % {"channel": label})
    if reason == resolution.CATEGORY_PREFERENCE and category is not None:
        return str(_("%(channel)s is off for %(topic)s.") % {"channel": label, "topic": category.name})
    if reason == resolution.DIGEST_OFF_REASON and category is not None:
        return str(_("Email for %(topic)s is off.") % {"topic": category.name})
    return ""


def _named(channel_label: str, target: str) -> str:
    """A switch's unique accessible name: the channel, then what it is for ("Email for Orders")."""
    return str(_("%(channel)s for %(target)s") % {"channel": channel_label, "target": target})


def in_language(resolved: CustomerResolution, categories: list[Category], language: str | None) -> CustomerResolution:
    """The resolution with each workflow's name, description and category in the page's language.

    Copies where a translation applies (prefcenter/translations.py), never the catalog cache's
    shared instances; the tenant's own text where none does.
    """
    by_id = {category.pk: category for category in categories}
    items = []
    for item in resolved.workflows:
        workflow = localized(item.workflow, language)
        category = by_id.get(workflow.category_id)
        shared = item.workflow.category if workflow.category_id else None
        if category is not None and (category.name, category.description) != (shared.name, shared.description):
            if workflow is item.workflow:
                workflow = copy.copy(workflow)
            workflow.category = category
        items.append(item if workflow is item.workflow else dataclasses.replace(item, workflow=workflow))
    return dataclasses.replace(resolved, workflows=items)


def page_state(*, customer: Customer) -> PageState:
    """Everything the page shows for a customer (tenant loaded), in a fixed number of queries."""
    tenant = customer.tenant
    language = translation.get_language()
    categories = [
        localized(category, language) for category in Category.objects.filter(tenant=tenant).order_by("name", "key")
    ]
    resolved = in_language(customer_resolutions(tenant=tenant, customer=customer), categories, language)
    category_rows = {row.category_id: row for row in CategoryPreference.objects.filter(customer=customer)}
    global_decisions = resolved.global_decisions
    layers = resolved.global_layers
    unsubscribed_all = _layer(global_decisions[EMAIL], f"{resolution.GLOBAL_PREFERENCE}.enabled") is False
    unsubscribed_note = str(UNSUBSCRIBED_ALL_NOTE)

    # A topic shows only the channels its notifications use.
    used_by_category: dict[int | None, set[str]] = {}
    for item in resolved.workflows:
        used_by_category.setdefault(item.workflow.category_id, set()).update(item.facts.channels)
    used = {channel for channels in used_by_category.values() for channel in channels}
    master_channels = [c for c in CHANNELS if c in used and c != SMS]
    # Translated once for the page, not once per switch (a page can have a thousand).
    labels = {channel: str(label) for channel, label in CHANNEL_LABELS.items()}
    lock_reasons = {reason: str(text) for reason, text in LOCK_REASONS.items()}
    email_labels = {digest: str(label) for digest, label in EMAIL_CHOICE_LABELS.items()}

    masters = []
    for channel in master_channels:
        decision = global_decisions[channel]
        on = _layer(decision, resolution.GLOBAL_PREFERENCE) is not False and (
            _layer(decision, resolution.MESSAGING_DEFAULT) is not False
        )
        note = ""
        if channel == EMAIL:
            on = on and not layers.email_opt_out
            if not customer.email:
                note = str(_("We have no email address for you."))
        name = f"master_{channel}"
        if unsubscribed_all:
            control = Control(name, channel, labels[channel], False, False, note=unsubscribed_note)
        else:
            control = Control(name, channel, labels[channel], on, True, note=note)
        if not control.editable:
            control.describedby = f"{name}-note"
        masters.append(control)

    sms = None
    if SMS in used:
        # The SMS consent box is the hard opt-out (STOP): it stays usable after "unsubscribe from everything",
        # since essential text messages (a sign-in code) still go out until it is unticked.
        on = not customer.sms_opt_out and _layer(global_decisions[SMS], resolution.GLOBAL_PREFERENCE) is not False
        has_phone = bool(customer.phone)
        # Opting in needs a number on file; opting out never does.
        sms = Control(
            "sms_opt_in",
            SMS,
            labels[SMS],
            on,
            has_phone or on,
            note="" if has_phone else str(_("We have no phone number for you, so we cannot send text messages.")),
        )
        if unsubscribed_all:
            essential_sms = any(
                SMS in item.facts.channels and (item.facts.critical or item.facts.category_mandatory)
                for item in resolved.workflows
            )
            if not essential_sms:
                # Nothing at all goes by text message now: the box shows that (Resubscribe brings the consent back).
                sms = Control("sms_opt_in", SMS, labels[SMS], False, False, note=unsubscribed_note)
            elif on:
                sms.note = str(_("Only text messages we must send, such as security alerts. Untick to stop them too."))
    master_on = {control.channel: control.checked for control in masters}
    if sms is not None:
        master_on[SMS] = sms.checked

    sections: dict[int | None, CategorySection] = {}
    for category in categories:
        row = category_rows.get(category.pk)
        decisions = category_decisions(
            tenant=tenant,
            category=category,
            row=row,
            messaging_default=layers.messaging_default,
            customer_layers=layers,
        )
        current = category_current_values(category=category, row=row, decisions=decisions)
        section = CategorySection(category=category, row=row, decisions=decisions, current=current)
        notes_id = section.notes_id
        topic_used = used_by_category.get(category.pk, set())
        for channel in MESSAGING_CHANNELS:
            if channel not in topic_used or channel == EMAIL:
                continue
            name = f"c{category.pk}_{channel}"
            label = labels[channel]
            if category.mandatory:
                control = Control(name, channel, label, True, False, note=lock_reasons[resolution.MANDATORY_CATEGORY],
                                  locked=True)
            elif unsubscribed_all:
                control = Control(name, channel, label, False, False, note=unsubscribed_note)
            elif channel in master_on and not master_on[channel]:
                control = Control(
                    name, channel, label, False, False, note=_blocked_note(resolution.GLOBAL_PREFERENCE, channel, None)
                )
            else:
                control = Control(name, channel, label, bool(current[channel]), True)
            control.aria_label = _named(label, category.name)
            if not control.editable:
                control.describedby = notes_id
            section.controls.append(control)
        section.digest_name = f"c{category.pk}_digest"
        section.digest_choices = [
            (d, email_labels[d]) for d in DIGESTS if not (category.mandatory and d == DIGEST_OFF)
        ]
        if EMAIL in topic_used:
            email_on = category.mandatory or (bool(current[EMAIL]) and current.get("digest") != DIGEST_OFF)
            digest = current.get("digest") or category.default_digest or "instant"
            if digest == DIGEST_OFF:
                digest = "instant" if category.mandatory else DIGEST_OFF
            name = section.digest_name
            if category.mandatory:
                # Always sent: only how often is the customer's to choose.
                email = Control(name, EMAIL, labels[EMAIL], True, True, locked=True,
                                note=lock_reasons[resolution.MANDATORY_CATEGORY])
            elif unsubscribed_all:
                email = Control(name, EMAIL, labels[EMAIL], False, False, note=unsubscribed_note)
            elif not master_on.get(EMAIL, True):
                reason = resolution.EMAIL_OPT_OUT if layers.email_opt_out else resolution.GLOBAL_PREFERENCE
                email = Control(name, EMAIL, labels[EMAIL], False, False, note=_blocked_note(reason, EMAIL, None))
            else:
                email = Control(name, EMAIL, labels[EMAIL], email_on, True)
            email.aria_label = _named(labels[EMAIL], category.name)
            email.describedby = notes_id if email.note else ""
            section.email = email
            section.digest_value = digest if email.checked else DIGEST_OFF
        sections[category.pk] = section

    for item in resolved.workflows:
        category = item.workflow.category if item.workflow.category_id else None
        section = sections.get(category.pk if category else None)
        if section is None:
            section = sections.setdefault(None, CategorySection(category=None))
        toggles = item.toggleability
        controls = []
        for channel in CHANNELS:
            if channel not in item.facts.channels:
                continue
            decision = item.decisions[channel]
            name = f"w{item.workflow.pk}_{channel}"
            label = labels[channel]
            toggle = toggles[channel]
            if not toggle.toggleable:
                # Locked on, but a hard opt-out (SMS) still wins: show the engine's answer.
                note = (
                    lock_reasons.get(toggle.reason, "")
                    if decision.allowed
                    else _blocked_note(decision.reason, channel, category)
                )
                control = Control(name, channel, label, decision.allowed, False, note=note, locked=True)
            elif not decision.allowed and decision.reason in DECIDED_ABOVE_WORKFLOW:
                note = (
                    unsubscribed_note
                    if unsubscribed_all and decision.reason == resolution.GLOBAL_PREFERENCE
                    else _blocked_note(decision.reason, channel, category)
                )
                control = Control(name, channel, label, False, False, note=note)
            else:
                control = Control(name, channel, label, decision.allowed, True)
            control.aria_label = _named(label, item.workflow.name)
            controls.append(control)
        for control in controls:
            if control.note:
                control.describedby = f"w{item.workflow.pk}-notes"
        section.workflows.append(WorkflowRow(resolved=item, controls=controls))

    # Topics the customer can change first, then notifications without a topic, then the required topics.
    ordered = [sections[c.pk] for c in categories if not c.mandatory]
    if None in sections:
        ordered.append(sections[None])
    ordered += [sections[c.pk] for c in categories if c.mandatory]
    return PageState(
        tenant=tenant,
        customer=customer,
        resolution=resolved,
        masters=masters,
        sms=sms,
        sections=ordered,
        unsubscribed_all=unsubscribed_all,
        categories_by_id={c.pk: c for c in categories},
        workflows_by_id={item.workflow.pk: item for item in resolved.workflows},
        category_rows=category_rows,
    )
