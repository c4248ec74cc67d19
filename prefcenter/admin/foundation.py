"""The foundation's own admin pages: tenants, memberships, API keys, the consent ledger (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.html import format_html

from prefcenter.admin.toolkit import (
    INHERIT,
    ChannelListField,
    ChannelSwitchesField,
    TenantScopedAdmin,
    staff_tenant,
    yes_no,
)
from prefcenter.branding import LOGO_MAX_BYTES, validate_logo
from prefcenter.channels import default_channel_map
from prefcenter.logos import tenant_logo_set
from prefcenter.models import SCOPES, ApiKey, ConsentEvent, Tenant, TenantMembership, default_schedule_channels
from prefcenter.translations import TRANSLATED_FIELDS, translation_languages, validate_translations


class TenantAdminForm(forms.ModelForm):
    """The tenant, with its self-service branding: a logo upload (checked by prefcenter/branding.py) or removal."""

    logo_file = forms.FileField(
        required=False,
        label="Logo",
        help_text=f"PNG, JPEG or WebP, at most {LOGO_MAX_BYTES // 1024} KB; shown at 36 px high on the "
        "self-service pages. Uploading replaces the current logo.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    channel_defaults = ChannelSwitchesField(
        label="Channels on by default", initial=default_channel_map,
        help_text="The last layer of resolution: what a channel does when nobody chose.",
    )
    schedule_channels = ChannelListField(
        label="Channels schedules apply to", initial=default_schedule_channels,
        help_text="Customers' schedules and quiet hours hold deliveries back on these channels (critical workflows "
        "are never held). Default: text messages, chat and push.",
    )
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

    list_display = ["created_at", "customer_external_id", "subject", "field", "change", "actor", "source"]
    list_filter = ["source", "subject"]
    search_fields = ["customer_external_id", "actor", "request_id"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"

    @admin.display(description="Old → new")
    def change(self, event: ConsentEvent) -> str:
        unset = INHERIT if event.subject.startswith(("workflow:", "category:")) else "—"
        return f"{yes_no(event.old_value, unset=unset)} → {yes_no(event.new_value, unset=unset)}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
