"""Admin for the foundation, and the tenant scoping every app's admin inherits.

Staff users belong to one tenant (TenantMembership) and see only its rows; superusers
see all. Edits go through services with the staff user as actor (source "admin").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.html import format_html

from prefcenter.branding import LOGO_MAX_BYTES, validate_logo
from prefcenter.ledger import Actor
from prefcenter.logos import tenant_logo_set
from prefcenter.models import SCOPES, ApiKey, ConsentEvent, Tenant, TenantMembership
from prefcenter.translations import TRANSLATED_FIELDS, translation_languages, validate_translations


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


class TenantAdminForm(forms.ModelForm):
    """The tenant, with its self-service branding: a logo upload (checked by prefcenter/branding.py) or removal."""

    logo_file = forms.FileField(
        required=False,
        label="Logo",
        help_text=f"PNG, JPEG or WebP, at most {LOGO_MAX_BYTES // 1024} KB; shown at 36 px high on the "
        "self-service pages. Uploading replaces the current logo.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    # No Meta: TenantAdmin's `exclude` names the model fields (every editable one but the JWT secret).

    def clean_logo_file(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            raise ValidationError(
                f"The logo is {upload.size // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB is allowed."
            )
        data = upload.read(LOGO_MAX_BYTES + 1)
        validate_logo(data)
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("logo_file") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Upload a new logo or remove the current one, not both.")
        return cleaned


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    form = TenantAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # the support link: https:// if left out
    list_display = ["slug", "name", "uuid", "created_at"]
    search_fields = ["slug", "name"]
    readonly_fields = ["uuid", "created_at", "current_logo"]
    exclude = ["jwt_secret"]

    @admin.display(description="Current logo")
    def current_logo(self, obj: Tenant) -> str:
        if not obj.logo_sha256:
            return "—"
        return format_html('<img src="/assets/logos/{}" alt="" style="max-height:36px">', obj.logo_sha256)

    def save_model(self, request, obj: Tenant, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("remove_logo"):
            tenant_logo_set(tenant=obj, data=None)
        elif form.cleaned_data.get("logo_file"):
            tenant_logo_set(tenant=obj, data=form.cleaned_data["logo_file"])

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


class _TranslatedTextFormBase(forms.ModelForm):
    """Edits a catalog entry's `translations` as one input per field and language (prefcenter/translations.py).

    Empty inputs mean "use the tenant's own text". The inputs are declared on `TranslatedTextForm`
    below, one pair per shipped language; the JSON field itself is not shown.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.translations if isinstance(self.instance.translations, dict) else {}
        self.stored_translations = stored
        for code, _language in translation_languages():
            for field in TRANSLATED_FIELDS:
                self.initial.setdefault(f"{field}_{code}", (stored.get(code) or {}).get(field, ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        translations: dict[str, dict[str, str]] = {}
        for code, _language in translation_languages():
            # Taken out of cleaned_data: what the model gets is `translations` alone.
            texts = {field: (cleaned.pop(f"{field}_{code}", "") or "").strip() for field in TRANSLATED_FIELDS}
            texts = {field: text for field, text in texts.items() if text}
            if texts:
                translations[code] = texts
        try:
            validate_translations(translations)
        except ValidationError as exc:
            self.add_error(None, exc)
        cleaned["translations"] = translations
        self.instance.translations = translations
        return cleaned

    @property
    def translations_changed(self) -> bool:
        return self.cleaned_data.get("translations", self.stored_translations) != self.stored_translations


def _translation_inputs() -> dict[str, forms.Field]:
    inputs: dict[str, forms.Field] = {}
    for code, language in translation_languages():
        inputs[f"name_{code}"] = forms.CharField(required=False, max_length=200, label=f"Name ({language})")
        inputs[f"description_{code}"] = forms.CharField(
            required=False,
            max_length=2000,
            label=f"Description ({language})",
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Shown on the self-service page to customers who read this language; empty: the text above.",
        )
    return inputs


TranslatedTextForm = type(_TranslatedTextFormBase)(
    "TranslatedTextForm", (_TranslatedTextFormBase,), {"__module__": __name__, **_translation_inputs()}
)


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
