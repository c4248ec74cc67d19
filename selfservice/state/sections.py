"""One function per section of the page: the channel switches and SMS consent, a topic (category),
a notification (workflow) row."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS, DIGEST_OFF, DIGESTS, EMAIL, MESSAGING_CHANNELS, SMS
from prefcenter.models import Tenant
from prefcenter.translations import localized
from selfservice.state.labels import (
    CHANNEL_LABELS,
    DECIDED_ABOVE_WORKFLOW,
    EMAIL_CHOICE_LABELS,
    LOCK_REASONS,
    _layer,
    category_current_values,
    category_decisions,
)
from selfservice.state.model import CategorySection, Control, WorkflowRow
from subscribers import resolution
from subscribers.resolution import CustomerLayers
from subscribers.selectors.resolutions import CustomerResolution, ResolvedWorkflow, customer_resolutions

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


