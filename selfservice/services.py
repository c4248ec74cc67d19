"""Writes made from the self-service page and by one-click unsubscribe.

Both only compose the apps' own services (customers, messaging, subscribers), which
validate, write only what changes and record each change in the consent ledger; here
they run in one transaction so that a save is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from customers.services import customer_update
from messaging.models import CHANNEL_COLUMNS, Category, CategoryPreference
from messaging.services import category_preference_set
from prefcenter.channels import CHAT, EMAIL, IN_APP, MESSAGING_CHANNELS, PUSH, SMS
from prefcenter.ledger import Actor
from selfservice.forms import SavePlan
from selfservice.links import (
    SCOPE_CATEGORY,
    SCOPE_CHANNEL,
    SCOPE_WORKFLOW,
    InvalidLink,
    LinkGrant,
    RevokedLink,
)
from selfservice.state import (
    PageState,
    category_choice,
    category_current_values,
    category_decisions,
)
from subscribers.models import Workflow, WorkflowPreference
from subscribers.services import (
    BULK_LIMIT,
    PreferenceChange,
    workflow_preference_update,
    workflow_preferences_bulk_update,
)

# A channel's name inside the unsubscribe sentence ("News by email"): its own string, not a lower-cased
# label, because not every language writes it in lower case there (German: "per E-Mail").
CHANNEL_NAMES_IN_SENTENCE = {
    EMAIL: pgettext_lazy("channel name inside a sentence", "email"),
    SMS: pgettext_lazy("channel name inside a sentence", "text messages"),
    IN_APP: pgettext_lazy("channel name inside a sentence", "in-app"),
    CHAT: pgettext_lazy("channel name inside a sentence", "chat"),
    PUSH: pgettext_lazy("channel name inside a sentence", "push"),
}


def _set_category(*, customer: Customer, category: Category | None, values: dict, actor: Actor) -> None:
    category_preference_set(
        tenant=customer.tenant,
        customer=customer,
        category=category,
        **{column: bool(values[channel]) for channel, column in CHANNEL_COLUMNS.items()},
        digest=values["digest"],
        actor=actor,
    )


def preferences_save(*, state: PageState, plan: SavePlan, actor: Actor) -> None:
    """Apply a page save: customer opt-outs, the messaging default, categories, then workflows and the global switch."""
    customer = state.customer
    tenant = state.tenant
    with transaction.atomic():
        if plan.customer:
            customer_update(customer=customer, actor=actor, **plan.customer)
        if plan.messaging_default_on:
            row = state.category_rows[None]
            values = {**row.channel_values(), "digest": row.digest}
            values.update(dict.fromkeys(plan.messaging_default_on, True))
            _set_category(customer=customer, category=None, values=values, actor=actor)
        for category_id, values in plan.categories.items():
            _set_category(customer=customer, category=state.categories_by_id[category_id], values=values, actor=actor)
        changes = []
        if plan.global_values:
            changes.append(PreferenceChange(workflow=None, values=plan.global_values))
        for workflow_id, values in plan.workflows.items():
            changes.append(PreferenceChange(workflow=state.workflows_by_id[workflow_id].workflow, values=values))
        for start in range(0, len(changes), BULK_LIMIT):
            workflow_preferences_bulk_update(
                tenant=tenant, customer=customer, changes=changes[start : start + BULK_LIMIT], actor=actor
            )


def everything_set(*, customer: Customer, enabled: bool, actor: Actor) -> None:
    """Unsubscribe from everything that is not essential (the global master switch off), or lift that.

    Critical workflows and mandatory categories are decided before any switch, so they keep coming.
    Lifting resets the master switch to "inherit": every other choice speaks again.
    """
    change = PreferenceChange(workflow=None, values={"enabled": False if not enabled else None})
    workflow_preferences_bulk_update(tenant=customer.tenant, customer=customer, changes=[change], actor=actor)


@dataclass(frozen=True)
class Unsubscribed:
    """What a one-click unsubscribe turned off, in words for the confirmation page, and the value it replaced
    (for Undo: the email opt-out flag, or the channel's switch, None = inherit)."""

    summary: str
    previous: bool | None = None


def unsubscribe_describe(grant: LinkGrant) -> Unsubscribed:
    """What the link will turn off (for the GET confirmation page; changes nothing)."""
    return _target(grant)[1]


def _target(grant: LinkGrant) -> tuple[object, Unsubscribed]:
    customer = grant.customer
    scope = grant.scope
    if scope is None:
        return None, Unsubscribed(_("non-essential email"))
    label = str(CHANNEL_NAMES_IN_SENTENCE.get(scope.channel, scope.channel))
    if scope.kind == SCOPE_CHANNEL:
        return None, Unsubscribed(_("any non-essential %(channel)s notification") % {"channel": label})
    if scope.kind == SCOPE_CATEGORY:
        category = Category.objects.filter(tenant_id=customer.tenant_id, pk=scope.target_id).first()
        if category is None:
            raise RevokedLink("the category is gone")
        return category, Unsubscribed(_("%(topic)s by %(channel)s") % {"topic": category.name, "channel": label})
    if scope.kind == SCOPE_WORKFLOW:
        workflow = (
            Workflow.objects.select_related("category").filter(tenant_id=customer.tenant_id, pk=scope.target_id).first()
        )
        if workflow is None:
            raise RevokedLink("the workflow is gone")
        return workflow, Unsubscribed(
            _("“%(notification)s” by %(channel)s") % {"notification": workflow.name, "channel": label}
        )
    raise InvalidLink("unknown scope")


def _global_or_workflow_value(customer: Customer, workflow: Workflow | None, channel: str) -> bool | None:
    row = WorkflowPreference.objects.filter(customer=customer, workflow=workflow).first()
    return getattr(row, channel, None) if row is not None else None


def _category_values(customer: Customer, category: Category) -> dict:
    """The category's four values as the customer has them now (the row, else what the engine answers)."""
    rows = {
        row.category_id: row
        for row in CategoryPreference.objects.filter(customer=customer, category_id__in=[category.pk])
        | CategoryPreference.objects.filter(customer=customer, category__isnull=True)
    }
    row = rows.get(category.pk)
    decisions = category_decisions(
        tenant=customer.tenant, category=category, row=row, messaging_default=category_choice(rows.get(None))
    )
    return category_current_values(category=category, row=row, decisions=decisions)


def _set_target(*, grant: LinkGrant, target: object, value: bool | None, actor: Actor) -> None:
    """Set what the link names to `value`: the opt-out flag (no scope), else the channel's switch."""
    customer = grant.customer
    scope = grant.scope
    if scope is None:
        customer_update(customer=customer, actor=actor, email_opt_out=bool(value))
    elif scope.kind == SCOPE_CHANNEL:
        workflow_preference_update(
            tenant=customer.tenant, customer=customer, workflow=None, channels={scope.channel: value}, actor=actor
        )
    elif scope.kind == SCOPE_CATEGORY:
        assert isinstance(target, Category)
        if scope.channel not in MESSAGING_CHANNELS:
            raise InvalidLink("a category covers in_app, email and push only")
        values = _category_values(customer, target)
        values[scope.channel] = value if value is not None else getattr(target, f"default_{scope.channel}")
        _set_category(customer=customer, category=target, values=values, actor=actor)
    else:
        assert isinstance(target, Workflow)
        workflow_preference_update(
            tenant=customer.tenant, customer=customer, workflow=target, channels={scope.channel: value}, actor=actor
        )


def one_click_unsubscribe(*, grant: LinkGrant, actor: Actor) -> Unsubscribed:
    """RFC 8058: turn off what the link names. Idempotent: a second click changes and records nothing.

    No scope: opt out of non-critical email (Customer.email_opt_out). A channel scope: that
    channel's global switch. A category or workflow scope: that channel of it. The answer
    carries the value it replaced, for the confirmation page's Undo.
    """
    customer = grant.customer
    scope = grant.scope
    target, outcome = _target(grant)
    with transaction.atomic():
        if scope is None:
            previous: bool | None = customer.email_opt_out
            _set_target(grant=grant, target=target, value=True, actor=actor)
        else:
            if scope.kind == SCOPE_CATEGORY:
                assert isinstance(target, Category)
                previous = bool(_category_values(customer, target).get(scope.channel, True))
            else:
                previous = _global_or_workflow_value(
                    customer, target if isinstance(target, Workflow) else None, scope.channel
                )
            _set_target(grant=grant, target=target, value=False, actor=actor)
    return Unsubscribed(outcome.summary, previous=previous)


def one_click_undo(*, grant: LinkGrant, previous: bool | None, actor: Actor) -> Unsubscribed:
    """Undo on the confirmation page: put back the value the unsubscribe replaced (recorded in the ledger
    like the unsubscribe itself). Nothing is written when it is already so."""
    target, outcome = _target(grant)
    with transaction.atomic():
        _set_target(grant=grant, target=target, value=previous, actor=actor)
    return outcome
