"""Admin for the foundation, and the tenant scoping every app's admin inherits.

Staff users belong to one tenant (TenantMembership) and see only its rows; superusers
see all. Edits go through services with the staff user as actor (source "admin").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet

from prefcenter.ledger import Actor
from prefcenter.models import SCOPES, ApiKey, ConsentEvent, Tenant, TenantMembership


def staff_tenant(request) -> Tenant | None:
    membership = getattr(request.user, "tenant_membership", None)
    return membership.tenant if membership is not None else None


def admin_actor(request) -> Actor:
    return Actor.from_request(request, label=f"staff:{request.user.get_username()}", source=ConsentEvent.SOURCE_ADMIN)


class TenantScopedAdmin(admin.ModelAdmin):
    """Limits rows, foreign-key choices and new objects to the staff user's tenant."""

    tenant_field = "tenant"

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        tenant = staff_tenant(request)
        if tenant is None:
            return queryset.none()
        return queryset.filter(**{self.tenant_field: tenant})

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self.tenant_field == "tenant":
            filters.append("tenant")
        return filters

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.tenant_field == "tenant":
            exclude.append("tenant")
        return exclude

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        tenant = None if request.user.is_superuser else staff_tenant(request)
        if tenant is not None and hasattr(db_field.related_model, "tenant"):
            kwargs["queryset"] = db_field.related_model.objects.filter(tenant=tenant)
        elif tenant is not None and db_field.related_model is Tenant:
            kwargs["queryset"] = Tenant.objects.filter(pk=tenant.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def assign_tenant(self, request, obj: Any) -> None:
        if not request.user.is_superuser and self.tenant_field == "tenant" and not getattr(obj, "tenant_id", None):
            obj.tenant = staff_tenant(request)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "uuid", "created_at"]
    search_fields = ["slug", "name"]
    readonly_fields = ["uuid", "created_at"]
    exclude = ["jwt_secret"]

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        tenant = staff_tenant(request)
        return queryset.filter(pk=tenant.pk) if tenant else queryset.none()

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant"]
    list_select_related = ["user", "tenant"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = [
            "name",
            "tenant",
            "scopes",
            "allow_provider",
            "allow_customer",
            "customer_external_id",
            "expires_at",
            "revoked_at",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("allow_customer") and not cleaned.get("customer_external_id"):
            self.add_error("customer_external_id", "A key that allows customer mode must be bound to a customer.")
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "tenant",
        "allow_provider",
        "allow_customer",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_select_related = ["tenant"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    search_fields = ["name", "prefix"]

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        self.assign_tenant(request, obj)
        if not change:
            raw, obj.prefix, obj.key_hash = ApiKey.generate()
            super().save_model(request, obj, form, change)
            messages.warning(request, f"New API key (shown once, copy it now): {raw}")
            return
        super().save_model(request, obj, form, change)


@admin.register(ConsentEvent)
class ConsentEventAdmin(TenantScopedAdmin):
    """The ledger, read-only: no add, change or delete path."""

    list_display = [
        "created_at",
        "customer_external_id",
        "subject",
        "field",
        "old_value",
        "new_value",
        "actor",
        "source",
    ]
    list_filter = ["source", "subject"]
    search_fields = ["customer_external_id", "actor", "request_id"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
