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
        return master_switches(self.masters, self.sms)


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


@dataclass(frozen=True)
class _Page:
    """What every section of the page reads: the customer's catalog, choices and layers, and the words
    of the page, translated once (not once per switch: a page can have a thousand)."""

    tenant: Tenant
    customer: Customer
    categories: list[Category]
    resolved: CustomerResolution
    category_rows: dict[int | None, CategoryPreference]
    used_by_category: dict[int | None, set[str]]  # a topic shows only the channels its notifications use
    unsubscribed_all: bool
    unsubscribed_note: str
    labels: dict[str, str]
    lock_reasons: dict[str, str]
    email_labels: dict[str, str]

    @property
    def layers(self) -> CustomerLayers:
        return self.resolved.global_layers

    @property
    def used(self) -> set[str]:
        return {channel for channels in self.used_by_category.values() for channel in channels}


def _page(customer: Customer) -> _Page:
    """The page's reads: the category catalog, the engine's answers, the customer's category rows."""
    tenant = customer.tenant
    language = translation.get_language()
    categories = [
        localized(category, language) for category in Category.objects.filter(tenant=tenant).order_by("name", "key")
    ]
    resolved = in_language(customer_resolutions(tenant=tenant, customer=customer), categories, language)
    used_by_category: dict[int | None, set[str]] = {}
    for item in resolved.workflows:
        used_by_category.setdefault(item.workflow.category_id, set()).update(item.facts.channels)
    return _Page(
        tenant=tenant,
        customer=customer,
        categories=categories,
        resolved=resolved,
        category_rows={row.category_id: row for row in CategoryPreference.objects.filter(customer=customer)},
        used_by_category=used_by_category,
        unsubscribed_all=_layer(resolved.global_decisions[EMAIL], f"{resolution.GLOBAL_PREFERENCE}.enabled") is False,
        unsubscribed_note=str(UNSUBSCRIBED_ALL_NOTE),
        labels={channel: str(label) for channel, label in CHANNEL_LABELS.items()},
        lock_reasons={reason: str(text) for reason, text in LOCK_REASONS.items()},
        email_labels={digest: str(label) for digest, label in EMAIL_CHOICE_LABELS.items()},
    )


def master_switches(masters: list[Control], sms: Control | None) -> dict[str, bool]:
    """Channel → whether its switch at the top of the page is on (the SMS consent box for SMS)."""
    state = {control.channel: control.checked for control in masters}
    if sms is not None:
        state[SMS] = sms.checked
    return state


# -- the top of the page: one switch per channel, and the SMS consent box ------------------------


def _master_controls(page: _Page) -> list[Control]:
    used = page.used
    return [_master_control(page, channel) for channel in CHANNELS if channel in used and channel != SMS]


def _master_control(page: _Page, channel: str) -> Control:
    decision = page.resolved.global_decisions[channel]
    on = _layer(decision, resolution.GLOBAL_PREFERENCE) is not False and (
        _layer(decision, resolution.MESSAGING_DEFAULT) is not False
    )
    note = ""
    if channel == EMAIL:
        on = on and not page.layers.email_opt_out
        if not page.customer.email:
            note = str(_("We have no email address for you."))
    name = f"master_{channel}"
    if page.unsubscribed_all:
        control = Control(name, channel, page.labels[channel], False, False, note=page.unsubscribed_note)
    else:
        control = Control(name, channel, page.labels[channel], on, True, note=note)
    if not control.editable:
        control.describedby = f"{name}-note"
    return control


def _sms_control(page: _Page) -> Control | None:
    """The SMS consent box is the hard opt-out (STOP): it stays usable after "unsubscribe from everything",
    since essential text messages (a sign-in code) still go out until it is unticked."""
    if SMS not in page.used:
        return None
    customer, label = page.customer, page.labels[SMS]
    global_switch = _layer(page.resolved.global_decisions[SMS], resolution.GLOBAL_PREFERENCE)
    on = not customer.sms_opt_out and global_switch is not False
    has_phone = bool(customer.phone)
    # Opting in needs a number on file; opting out never does.
    note = "" if has_phone else str(_("We have no phone number for you, so we cannot send text messages."))
    sms = Control("sms_opt_in", SMS, label, on, has_phone or on, note=note)
    if page.unsubscribed_all:
        essential_sms = any(
            SMS in item.facts.channels and (item.facts.critical or item.facts.category_mandatory)
            for item in page.resolved.workflows
        )
        if not essential_sms:
            # Nothing at all goes by text message now: the box shows that (Resubscribe brings the consent back).
            return Control("sms_opt_in", SMS, label, False, False, note=page.unsubscribed_note)
        if on:
            sms.note = str(_("Only text messages we must send, such as security alerts. Untick to stop them too."))
    return sms


# -- a topic (category): its switches and its email choice ----------------------------------------


def _category_section(page: _Page, category: Category, master_on: dict[str, bool]) -> CategorySection:
    row = page.category_rows.get(category.pk)
    decisions = category_decisions(
        tenant=page.tenant,
        category=category,
        row=row,
        messaging_default=page.layers.messaging_default,
        customer_layers=page.layers,
    )
    current = category_current_values(category=category, row=row, decisions=decisions)
    section = CategorySection(category=category, row=row, decisions=decisions, current=current)
    topic_used = page.used_by_category.get(category.pk, set())
    for channel in MESSAGING_CHANNELS:
        if channel in topic_used and channel != EMAIL:
            section.controls.append(_category_control(page, section, channel, master_on))
    section.digest_name = f"c{category.pk}_digest"
    section.digest_choices = [
        (d, page.email_labels[d]) for d in DIGESTS if not (category.mandatory and d == DIGEST_OFF)
    ]
    if EMAIL in topic_used:
        _add_topic_email(page, section, master_on)
    return section


def _category_control(page: _Page, section: CategorySection, channel: str, master_on: dict[str, bool]) -> Control:
    category = section.category
    name = f"c{category.pk}_{channel}"
    label = page.labels[channel]
    if category.mandatory:
        control = Control(
            name, channel, label, True, False, note=page.lock_reasons[resolution.MANDATORY_CATEGORY], locked=True
        )
    elif page.unsubscribed_all:
        control = Control(name, channel, label, False, False, note=page.unsubscribed_note)
    elif channel in master_on and not master_on[channel]:
        control = Control(
            name, channel, label, False, False, note=_blocked_note(resolution.GLOBAL_PREFERENCE, channel, None)
        )
    else:
        control = Control(name, channel, label, bool(section.current[channel]), True)
    control.aria_label = _named(label, category.name)
    if not control.editable:
        control.describedby = section.notes_id
    return control


def _add_topic_email(page: _Page, section: CategorySection, master_on: dict[str, bool]) -> None:
    """A topic's email is one choice: how often, or not at all."""
    category, current, label = section.category, section.current, page.labels[EMAIL]
    email_on = category.mandatory or (bool(current[EMAIL]) and current.get("digest") != DIGEST_OFF)
    digest = current.get("digest") or category.default_digest or "instant"
    if digest == DIGEST_OFF:
        digest = "instant" if category.mandatory else DIGEST_OFF
    name = section.digest_name
    if category.mandatory:
        # Always sent: only how often is the customer's to choose.
        email = Control(name, EMAIL, label, True, True, locked=True,
                        note=page.lock_reasons[resolution.MANDATORY_CATEGORY])
    elif page.unsubscribed_all:
        email = Control(name, EMAIL, label, False, False, note=page.unsubscribed_note)
    elif not master_on.get(EMAIL, True):
        reason = resolution.EMAIL_OPT_OUT if page.layers.email_opt_out else resolution.GLOBAL_PREFERENCE
        email = Control(name, EMAIL, label, False, False, note=_blocked_note(reason, EMAIL, None))
    else:
        email = Control(name, EMAIL, label, email_on, True)
    email.aria_label = _named(label, category.name)
    email.describedby = section.notes_id if email.note else ""
    section.email = email
    section.digest_value = digest if email.checked else DIGEST_OFF


# -- a notification (workflow) row ---------------------------------------------------------------


def _workflow_row(page: _Page, item: ResolvedWorkflow) -> WorkflowRow:
    category = item.workflow.category if item.workflow.category_id else None
    controls = [
        _workflow_control(page, item, channel, category) for channel in CHANNELS if channel in item.facts.channels
    ]
    for control in controls:
        if control.note:
            control.describedby = f"w{item.workflow.pk}-notes"
    return WorkflowRow(resolved=item, controls=controls)


def _workflow_control(page: _Page, item: ResolvedWorkflow, channel: str, category: Category | None) -> Control:
    decision = item.decisions[channel]
    name = f"w{item.workflow.pk}_{channel}"
    label = page.labels[channel]
    toggle = item.toggleability[channel]
    if not toggle.toggleable:
        # Locked on, but a hard opt-out (SMS) still wins: show the engine's answer.
        note = (
            page.lock_reasons.get(toggle.reason, "")
            if decision.allowed
            else _blocked_note(decision.reason, channel, category)
        )
        control = Control(name, channel, label, decision.allowed, False, note=note, locked=True)
    elif not decision.allowed and decision.reason in DECIDED_ABOVE_WORKFLOW:
        note = (
            page.unsubscribed_note
            if page.unsubscribed_all and decision.reason == resolution.GLOBAL_PREFERENCE
            else _blocked_note(decision.reason, channel, category)
        )
        control = Control(name, channel, label, False, False, note=note)
    else:
        control = Control(name, channel, label, decision.allowed, True)
    control.aria_label = _named(label, item.workflow.name)
    return control


# -- the page ------------------------------------------------------------------------------------


def page_state(*, customer: Customer) -> PageState:
    """Everything the page shows for a customer (tenant loaded), in a fixed number of queries:
    the switches at the top, then one section per topic with its notifications."""
    page = _page(customer)
    masters = _master_controls(page)
    sms = _sms_control(page)
    master_on = master_switches(masters, sms)
    sections: dict[int | None, CategorySection] = {
        category.pk: _category_section(page, category, master_on) for category in page.categories
    }
    for item in page.resolved.workflows:
        section = sections.get(item.workflow.category_id if item.workflow.category_id else None)
        if section is None:
            section = sections.setdefault(None, CategorySection(category=None))
        section.workflows.append(_workflow_row(page, item))
    return PageState(
        tenant=page.tenant,
        customer=customer,
        resolution=page.resolved,
        masters=masters,
        sms=sms,
        sections=_in_page_order(sections, page.categories),
        unsubscribed_all=page.unsubscribed_all,
        categories_by_id={c.pk: c for c in page.categories},
        workflows_by_id={item.workflow.pk: item for item in page.resolved.workflows},
        category_rows=page.category_rows,
    )


def _in_page_order(sections: dict[int | None, CategorySection], categories: list[Category]) -> list[CategorySection]:
    """Topics the customer can change first, then notifications without a topic, then the required topics."""
    ordered = [sections[c.pk] for c in categories if not c.mandatory]
    if None in sections:
        ordered.append(sections[None])
    return ordered + [sections[c.pk] for c in categories if c.mandatory]
