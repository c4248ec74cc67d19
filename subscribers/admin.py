"""Admin: the workflow catalog, and workflow preferences inline on the customer.

Every edit goes through the services: catalog edits through workflow_*, preference edits
through workflow_preferences_bulk_update (all rows of one save at once, ledger source
"admin"). Critical workflows and mandatory categories are refused by the formset's
validation, so the staff user sees a form error rather than a crash.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from customers.admin import CustomerAdmin
from prefcenter.admin import TenantScopedAdmin, TranslatedTextForm, admin_actor, staff_tenant
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError
from subscribers.models import Workflow, WorkflowPreference
from subscribers.services import (
    PREFERENCE_FIELDS,
    WORKFLOW_FIELDS,
    PreferenceChange,
    workflow_create,
    workflow_delete,
    workflow_preferences_bulk_update,
    workflow_update,
)


class WorkflowAdminForm(TranslatedTextForm):
    """The workflow's catalog fields, with its name and description per language."""

    class Meta:
        model = Workflow
        exclude = ["translations"]


@admin.register(Workflow)
class WorkflowAdmin(TenantScopedAdmin):
    form = WorkflowAdminForm
    list_display = ["identifier", "slug", "name", "category", "critical", "channels", "updated_at"]
    list_filter = ["critical", "category"]
    search_fields = ["identifier", "slug", "name", "description"]
    list_select_related = ["tenant", "category"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("identifier")  # ledger subjects name it
        return fields

    def save_model(self, request, obj: Workflow, form, change: bool) -> None:
        actor = admin_actor(request)
        self.assign_tenant(request, obj)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in WORKFLOW_FIELDS}
            if form.translations_changed:
                changes["translations"] = form.cleaned_data["translations"]
            saved = workflow_update(workflow=Workflow.objects.get(pk=obj.pk), actor=actor, **changes)
        else:
            fields = {name: getattr(obj, name) for name in WORKFLOW_FIELDS}
            saved = workflow_create(tenant=obj.tenant, actor=actor, identifier=obj.identifier, **fields)
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def delete_model(self, request, obj: Workflow) -> None:
        workflow_delete(workflow=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset) -> None:
        actor = admin_actor(request)
        for workflow in queryset.select_related("tenant"):
            workflow_delete(workflow=workflow, actor=actor)


class WorkflowPreferenceFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or not form.has_changed():
                continue
            workflow = form.cleaned_data.get("workflow")
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workflow":
            tenant = None if request.user.is_superuser else staff_tenant(request)
            queryset = Workflow.objects.select_related("category")
            kwargs["queryset"] = queryset.filter(tenant=tenant) if tenant is not None else queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def save_workflow_preferences(request, formset, actor) -> None:
    """Turn the inline's added, changed and deleted rows into one all-or-nothing bulk update."""
    customer = formset.instance
    changes: list[PreferenceChange] = []
    cleared = dict.fromkeys(PREFERENCE_FIELDS)
    for form in formset.forms:
        if not getattr(form, "cleaned_data", None):
            continue
        old = form.instance if form.instance.pk else None
        if form in formset.deleted_forms:
            if old is not None:
                changes.append(PreferenceChange(workflow=old.workflow, values=cleared))
            continue
        if not form.has_changed():
            continue
        workflow = form.cleaned_data.get("workflow")
        if old is not None and old.workflow_id != (workflow.pk if workflow else None):
            changes.append(PreferenceChange(workflow=old.workflow, values=cleared))
        values: dict[str, Any] = {name: form.cleaned_data.get(name) for name in PREFERENCE_FIELDS}
        changes.append(PreferenceChange(workflow=workflow, values=values))
    if not changes:
        return
    try:
        workflow_preferences_bulk_update(tenant=customer.tenant, customer=customer, changes=changes, actor=actor)
    except PrefCenterError as exc:
        raise forms.ValidationError(exc.message) from exc


CustomerAdmin.inlines = [*CustomerAdmin.inlines, WorkflowPreferenceInline]
CustomerAdmin.formset_savers[WorkflowPreference] = save_workflow_preferences
