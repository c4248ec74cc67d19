"""Admin: the workflow catalog, workflow preferences inline on the customer, and the customer's
"Schedule and quiet hours" page (a customer tool: the self-service page's form, saved through the service).

Every edit goes through the services: catalog edits through workflow_*, preference edits
through workflow_preferences_bulk_update (all rows of one save at once, ledger source
"admin"). Critical workflows and mandatory categories are refused by the formset's
validation, so the staff user sees a form error rather than a crash.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.html import format_html_join

from customers.admin import CustomerAdmin, CustomerPanel, CustomerTool
from customers.models import Customer
from prefcenter.admin.foundation import TranslatedTextForm
from prefcenter.admin.toolkit import (
    CHANNEL_LABELS,
    ChannelDefaultsField,
    ChannelListField,
    ServiceAdmin,
    TagsField,
    admin_actor,
    nullable_switch_field,
    staff_tenant,
    yes_no,
)
from prefcenter.channels import CHANNELS, EMAIL
from prefcenter.exceptions import PrefCenterError
from subscribers import resolution as resolution_rules
from subscribers.evaluation.explain import explain
from subscribers.forms import ScheduleForm
from subscribers.models import Workflow, WorkflowPreference
from subscribers.selectors.resolutions import customer_resolutions
from subscribers.selectors.schedule import customer_schedule
from subscribers.services.catalog import (
    PREFERENCE_FIELDS,
    WORKFLOW_FIELDS,
    workflow_create,
    workflow_delete,
    workflow_update,
)
from subscribers.services.preferences import PreferenceChange, workflow_preferences_bulk_update
from subscribers.services.profiles import customer_schedule_set


class WorkflowAdminForm(TranslatedTextForm):
    """The workflow's catalog fields, with its name and description per language. Channels as checkboxes,
    per-channel defaults as Inherit/Yes/No, tags as words: no raw JSON."""

    channels = ChannelListField(help_text="The channels this workflow sends on.")
    defaults = ChannelDefaultsField(help_text=Workflow._meta.get_field("defaults").help_text)
    tags = TagsField()

    class Meta:
        model = Workflow
        fields = ["tenant", "identifier", "slug", "name", "description", "category", "critical", "channels", "defaults",
                  "tags"]


@admin.register(Workflow)
class WorkflowAdmin(ServiceAdmin):
    form = WorkflowAdminForm
    service_fields = WORKFLOW_FIELDS
    error_fields = {"workflowId": "identifier"}
    list_display = ["identifier", "slug", "name", "category", "is_critical", "channel_list", "tag_chips", "updated_at"]
    list_filter = ["critical", "category"]
    search_fields = ["identifier", "slug", "name", "description"]
    list_select_related = ["tenant", "category"]
    # The Novu-only fields are set through the API (steps, active, severity, options).
    readonly_fields = ["created_at", "updated_at", "steps", "active", "severity", "options"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("identifier")  # ledger subjects name it
        return fields

    @admin.display(description="Critical", ordering="critical")
    def is_critical(self, obj: Workflow) -> str:
        return yes_no(obj.critical)

    @admin.display(description="Channels")
    def channel_list(self, obj: Workflow) -> str:
        return ", ".join(CHANNEL_LABELS.get(channel, channel) for channel in obj.channels)

    @admin.display(description="Tags")
    def tag_chips(self, obj: Workflow) -> str:
        return format_html_join("", '<span class="pc-chip">{}</span>', ((tag,) for tag in obj.tags))

    def service_create(self, *, request, obj: Workflow, fields: dict[str, Any], actor) -> Workflow:
        return workflow_create(tenant=obj.tenant, actor=actor, identifier=obj.identifier, **fields)

    def service_update(self, *, request, obj: Workflow, changes: dict[str, Any], actor) -> Workflow:
        return workflow_update(workflow=Workflow.objects.get(pk=obj.pk), actor=actor, **changes)

    def service_delete(self, *, request, obj: Workflow, actor) -> None:
        workflow_delete(workflow=obj, actor=actor)


class WorkflowPreferenceFormSet(forms.BaseInlineFormSet):
    """Refuses locked workflows, and a second row for a workflow (or a second global row): the new row
    would silently overwrite the customer's existing choice (issue 12), so it is refused as categories are."""

    def clean(self) -> None:
        super().clean()
        seen: set[int | None] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or (not form.has_changed() and not form.instance.pk):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            workflow = form.cleaned_data.get("workflow")
            key = workflow.pk if workflow is not None else None
            if key in seen:
                label = f"workflow '{workflow.identifier}'" if workflow is not None else "the global switch"
                form.add_error("workflow", f"This customer already has a row for {label}: change that row instead.")
                raise forms.ValidationError(f"Only one row per workflow: {label} appears twice.")
            seen.add(key)
            if not form.has_changed():
                continue
            if workflow is not None and (workflow.critical or (workflow.category_id and workflow.category.mandatory)):
                form.add_error("workflow", "Critical workflows and mandatory categories cannot be changed.")


class WorkflowPreferenceInline(admin.TabularInline):
    model = WorkflowPreference
    formset = WorkflowPreferenceFormSet
    fields = ["workflow", "enabled", *CHANNELS]
    extra = 0
    verbose_name = "workflow preference"
    verbose_name_plural = "workflow preferences (empty = inherit; no workflow = global switch)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workflow", "workflow__category")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.BooleanField) and db_field.null:
            return nullable_switch_field(db_field, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workflow":
            tenant = None if request.user.is_superuser else staff_tenant(request)
            queryset = Workflow.objects.select_related("category")
            kwargs["queryset"] = queryset.filter(tenant=tenant) if tenant is not None else queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def save_workflow_preferences(request, formset, actor) -> None:
    """Turn the inline's added, changed and deleted rows into one all-or-nothing bulk update.

    Fills `new_objects`/`changed_objects`/`deleted_objects` as `formset.save()` would, so the admin's
    History says what changed.
    """
    customer = formset.instance
    cleared = dict.fromkeys(PREFERENCE_FIELDS)
    # Keyed by workflow id (None = global). A row that is set replaces every value, so it wins over a
    # clear of the same workflow (a row deleted or moved away while another row takes that workflow).
    clears: dict[int | None, PreferenceChange] = {}
    sets: dict[int | None, PreferenceChange] = {}
    added, changed, deleted = [], [], []
    for form in formset.forms:
        if not getattr(form, "cleaned_data", None):
            continue
        old = form.instance if form.instance.pk else None
        if form in formset.deleted_forms:
            if old is not None:
                clears[old.workflow_id] = PreferenceChange(workflow=old.workflow, values=cleared)
                deleted.append(old)
            continue
        if not form.has_changed():
            continue
        workflow = form.cleaned_data.get("workflow")
        key = workflow.pk if workflow else None
        if old is not None and old.workflow_id != key:
            clears[old.workflow_id] = PreferenceChange(workflow=old.workflow, values=cleared)
        values: dict[str, Any] = {name: form.cleaned_data.get(name) for name in PREFERENCE_FIELDS}
        sets[key] = PreferenceChange(workflow=workflow, values=values)
        shown = WorkflowPreference(customer=customer, workflow=workflow, **values)
        if old is None:
            added.append(shown)
        else:
            changed.append((shown, form.changed_data))
    changes = [*(change for key, change in clears.items() if key not in sets), *sets.values()]
    if not changes:
        return
    workflow_preferences_bulk_update(tenant=customer.tenant, customer=customer, changes=changes, actor=actor)
    formset.new_objects, formset.changed_objects, formset.deleted_objects = added, changed, deleted


def receive_panel(request, customer: Customer) -> str:
    """Every workflow x channel for this customer: allowed or not, the deciding layer and the email digest.

    The answers are the resolution engine's (`customer_resolutions`, the same 3 queries the Novu face
    uses) put through the explain API's own `explain()`; nothing is decided here.
    """
    resolution = customer_resolutions(tenant=customer.tenant, customer=customer)
    rows = []
    for resolved in resolution.workflows:
        explained = explain(resolved)
        cells = []
        for channel in CHANNELS:
            decision = explained["channels"][channel]
            applicable = decision["reason"] != resolution_rules.NOT_APPLICABLE
            cells.append({
                "applicable": applicable,
                "allowed": decision["allowed"],
                "shown": yes_no(decision["allowed"]) if applicable else "not used",
                "layer": decision["deciding_layer"].replace("_", " "),
                "digest": decision["digest"] if channel == EMAIL and decision["allowed"] else None,
            })
        rows.append({"workflow": resolved.workflow, "category": explained["workflow"]["category"], "cells": cells})
    return render_to_string(
        "admin/subscribers/receive_panel.html",
        {"rows": rows, "channels": [CHANNEL_LABELS[c] for c in CHANNELS]},
        request=request,
    )


CustomerAdmin.customer_panels = [
    *CustomerAdmin.customer_panels,
    CustomerPanel(order=10, title="What this customer will receive", render=receive_panel),
]
CustomerAdmin.inlines = [*CustomerAdmin.inlines, WorkflowPreferenceInline]
CustomerAdmin.formset_savers[WorkflowPreference] = save_workflow_preferences


# -- a customer's schedule and quiet hours (issue 17) --------------------------------------


def schedule_view(model_admin: CustomerAdmin, request, customer: Customer, context: dict):
    """Edit a customer's quiet hours and weekly schedule (the form the self-service page uses), through
    `customer_schedule_set`: in the ledger as the staff member, source admin."""
    timing = customer_schedule(tenant=customer.tenant, customer=customer)
    quiet = timing["quiet_hours"] or {}
    initial = {"schedule": timing["schedule"], "quiet_start": quiet.get("start"), "quiet_end": quiet.get("end")}
    form = ScheduleForm(request.POST if request.method == "POST" else None, **initial)
    if request.method == "POST" and form.is_valid():
        start, end = form.quiet_hours()
        try:
            customer_schedule_set(customer=customer, actor=admin_actor(request), schedule=form.schedule(),
                                  quiet_hours_start=start, quiet_hours_end=end)
        except PrefCenterError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.message_user(request, f"The schedule and quiet hours of {customer} were saved.",
                                     messages.SUCCESS)
            return HttpResponseRedirect(request.path)
    return TemplateResponse(request, "admin/customers/customer/schedule.html", {
        **context, "form": form, "timezone": timing["timezone"], "timezone_source": timing["timezone_source"],
        "channels": [CHANNEL_LABELS.get(c, c) for c in timing["channels"]],
    })


CustomerAdmin.add_tool(CustomerTool(slug="schedule", title="Schedule and quiet hours", view=schedule_view))
