"""Compliance admin: a tenant's SMS settings, and the erasure action on customers."""

from __future__ import annotations

from django.contrib import admin, messages

from compliance.models import SmsSettings
from compliance.services import customer_erase
from customers.admin import CustomerAdmin
from prefcenter.admin.toolkit import TenantScopedAdmin, admin_actor


@admin.register(SmsSettings)
class SmsSettingsAdmin(TenantScopedAdmin):
    list_display = ["tenant", "inbound_number", "signed"]
    search_fields = ["inbound_number"]

    @admin.display(boolean=True, description="Signature required")
    def signed(self, obj: SmsSettings) -> bool:
        return bool(obj.auth_token)

    def save_model(self, request, obj: SmsSettings, form, change: bool) -> None:
        self.assign_tenant(request, obj)
        super().save_model(request, obj, form, change)


@admin.action(description="Erase selected customers (GDPR Art. 17: delete, pseudonymise their ledger history)")
def erase_customers(modeladmin, request, queryset) -> None:
    actor = admin_actor(request)
    erased = 0
    for customer in list(queryset.select_related("tenant")):
        customer_erase(tenant=customer.tenant, external_id=customer.external_id, actor=actor)
        erased += 1
    modeladmin.message_user(
        request, f"Erased {erased} customer(s); their ledger history is pseudonymised.", messages.SUCCESS
    )


CustomerAdmin.actions = [*(CustomerAdmin.actions or []), erase_customers]
