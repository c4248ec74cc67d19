"""Customer admin: search, filters, no N+1; edits go through services and the ledger.

Apps above (messaging, subscribers) add their preference inlines to CustomerAdmin and
register a saver for them in `formset_savers`, so inline edits are recorded too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models

from customers.models import Customer
from customers.services import TRACKED_FIELDS, customer_create, customer_delete, customer_update
from prefcenter.admin import ServiceAdmin, admin_actor, refusals_as_form_errors


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    list_display = [
        "external_id",
        "email",
        "phone",
        "first_name",
        "last_name",
        "email_opt_out",
        "sms_opt_out",
        "created_at",
    ]
    list_filter = ["email_opt_out", "sms_opt_out", "created_at"]
    search_fields = ["external_id", "email", "phone", "first_name", "last_name"]
    list_select_related = ["tenant"]
    readonly_fields = ["uuid", "email_opt_out_at", "sms_opt_out_at", "link_version", "created_at", "updated_at"]
    inlines: list = []
    # Django 6 makes https the default scheme for URLs typed without one; opt in now (no deprecation warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Inline model → function(request, formset, actor) that saves its rows through a service.
    formset_savers: dict[type, Callable[..., None]] = {}
    service_fields = TRACKED_FIELDS

    def service_create(self, *, request, obj: Customer, fields: dict[str, Any], actor) -> Customer:
        return customer_create(tenant=obj.tenant, actor=actor, external_id=obj.external_id, **fields)

    def service_update(self, *, request, obj: Customer, changes: dict[str, Any], actor) -> Customer:
        return customer_update(customer=obj, actor=actor, **changes)

    def service_delete(self, *, request, obj: Customer, actor) -> None:
        customer_delete(customer=obj, actor=actor)

    def save_formset(self, request, form, formset, change: Any) -> None:
        saver = self.formset_savers.get(formset.model)
        if saver is None:
            raise NotImplementedError(f"No service-backed saver registered for {formset.model.__name__} inlines.")
        # The admin's change message reads these (formset.save() would set them); a saver appends
        # what it saved, and one that saves nothing must not break the page.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        with refusals_as_form_errors(formset.model):
            saver(request, formset, admin_actor(request))
