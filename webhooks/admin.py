"""Webhooks in the admin, tenant-scoped like every admin: endpoints (dead ones visible, enable again)
and deliveries (attempts, status, last error, next attempt; failures filterable; "resend")."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from prefcenter.admin import TenantScopedAdmin
from webhooks.destinations import url_errors
from webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    deliveries_resend,
    endpoint_delete,
    endpoint_enable,
    event_type_errors,
    tenant_subscriptions_refresh,
)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "description", "event_types", "enabled"]

    def clean_url(self):
        value = self.cleaned_data["url"]
        errors = url_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_event_types(self):
        value = list(self.cleaned_data["event_types"])
        errors = event_type_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "tenant", "event_types", "enabled", "failing_since", "disabled_at", "disabled_reason"]
    list_filter = ["enabled"]
    list_select_related = ["tenant"]
    search_fields = ["url", "description"]
    readonly_fields = ["failing_since", "disabled_at", "disabled_reason", "created_at"]
    actions = ["enable_endpoints"]

    def save_model(self, request, obj: WebhookEndpoint, form, change: bool) -> None:
        self.assign_tenant(request, obj)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            tenant_subscriptions_refresh(tenant_id=obj.tenant_id)
        if not change:
            messages.warning(request, f"Signing secret for {obj.url} (shown once, copy it now): {obj.secret}")

    def delete_model(self, request, obj: WebhookEndpoint) -> None:
        endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset) -> None:
        for endpoint in queryset:
            endpoint_delete(endpoint=endpoint)

    @admin.action(description="Enable again (dead endpoints get new events and their pending deliveries)")
    def enable_endpoints(self, request, queryset) -> None:
        for endpoint in queryset:
            endpoint_enable(endpoint=endpoint)
        messages.success(request, f"Enabled {queryset.count()} endpoint(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    list_display = [
        "created_at",
        "event_type",
        "customer_external_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint", "tenant"]
    search_fields = ["message_id", "customer_external_id", "endpoint__url"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only detail; the resend action is the only way to change a delivery

    @admin.action(description="Resend now (a new 3-day retry window)", permissions=["view"])
    def resend(self, request, queryset) -> None:
        count = deliveries_resend(deliveries=list(queryset))
        messages.success(request, f"Queued {count} delivery(ies) to be sent again.")
