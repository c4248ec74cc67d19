"""Admin for the foundation, and the tenant scoping every app's admin inherits.

Staff users belong to one tenant (TenantMembership) and see only its rows; superusers
see all. Edits go through services with the staff user as actor (source "admin").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponseRedirect
from django.utils.html import format_html

from prefcenter.branding import LOGO_MAX_BYTES, validate_logo
from prefcenter.channels import CHANNEL_CHOICES, CHANNELS, default_channel_map
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.logos import tenant_logo_set
from prefcenter.models import SCOPES, ApiKey, ConsentEvent, Tenant, TenantMembership, default_schedule_channels
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


# ----------------------------------------------------------------------------- one way to show and edit values

admin.site.site_header = "prefcenter administration"
admin.site.site_title = "prefcenter"
# "View site" leads to the API documentation (the service has no public home page).
admin.site.site_url = "/api/docs/"

YES, NO, INHERIT = "Yes", "No", "Inherit"
CHANNEL_LABELS = {"email": "Email", "sms": "SMS", "in_app": "In-app", "chat": "Chat", "push": "Push"}


def yes_no(value: Any, *, unset: str = INHERIT) -> str:
    """Booleans read one way everywhere in the admin: Yes / No, and `unset` (Inherit) for no value."""
    if value is True:
        return YES
    if value is False:
        return NO
    if value is None or value == "":
        return unset
    return str(value)


class InheritYesNoSelect(forms.NullBooleanSelect):
    """A nullable switch: Inherit (no choice stored) / Yes / No; posts Django's "unknown"/"true"/"false"."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = (("unknown", INHERIT), ("true", YES), ("false", NO))


def nullable_switch_field(db_field, **kwargs) -> forms.Field:
    return forms.NullBooleanField(
        required=False, widget=InheritYesNoSelect, label=kwargs.get("label", db_field.verbose_name.capitalize()),
        help_text=db_field.help_text,
    )


class ChannelListField(forms.TypedMultipleChoiceField):
    """A list of channels as checkboxes (stored as a JSON list, in the vocabulary's order)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.setdefault("required", False)
        super().__init__(choices=[(c, CHANNEL_LABELS.get(c, c)) for c, _ in CHANNEL_CHOICES], **kwargs)

    def clean(self, value: Any) -> list[str]:
        chosen = set(super().clean(value) or [])
        return [channel for channel in CHANNELS if channel in chosen]


class ChannelSwitchesField(ChannelListField):
    """Every channel on or off, as checkboxes (stored as a JSON object channel → true/false)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return [channel for channel, on in value.items() if on]
        return value

    def clean(self, value: Any) -> dict[str, bool]:
        chosen = set(super().clean(value))
        return {channel: channel in chosen for channel in CHANNELS}

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = initial if isinstance(initial, dict) else {}
        return {c: bool(before.get(c)) for c in CHANNELS} != {c: c in set(data or []) for c in CHANNELS}


class ChannelDefaultsWidget(forms.MultiWidget):
    """One Inherit / Yes / No choice per channel, each labelled."""

    template_name = "prefcenter/widgets/channel_map.html"  # an app template: widgets render with the app loaders

    def __init__(self, attrs=None) -> None:
        choices = (("", INHERIT), ("true", YES), ("false", NO))
        super().__init__({channel: forms.Select(choices=choices) for channel in CHANNELS}, attrs)

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for subwidget, channel in zip(context["widget"]["subwidgets"], CHANNELS, strict=True):
            subwidget["label"] = CHANNEL_LABELS[channel]
        return context

    def decompress(self, value: Any) -> list[str]:
        value = value if isinstance(value, dict) else {}
        return ["" if value.get(c) is None else ("true" if value[c] else "false") for c in CHANNELS]


class ChannelDefaultsField(forms.MultiValueField):
    """Per-channel defaults, absent = inherit (stored as a JSON object of the channels that have one)."""

    widget = ChannelDefaultsWidget

    def __init__(self, **kwargs: Any) -> None:
        for name in ("max_length", "encoder", "decoder", "empty_value"):
            kwargs.pop(name, None)
        kwargs["required"] = False
        super().__init__(
            fields=[forms.NullBooleanField(required=False) for _ in CHANNELS], require_all_fields=False, **kwargs
        )

    def compress(self, data_list: list[Any]) -> dict[str, bool]:
        return {channel: value for channel, value in zip(CHANNELS, data_list or [], strict=False) if value is not None}

    def has_changed(self, initial: Any, data: Any) -> bool:
        values = data if isinstance(data, list) else self.widget.decompress(data)
        after = self.compress([forms.NullBooleanField().to_python(v) for v in values])
        return after != (initial if isinstance(initial, dict) else {})


class TagsField(forms.CharField):
    """Tags typed as words separated by commas; shown as chips on the change list (stored as a JSON list)."""

    def __init__(self, **kwargs: Any) -> None:
        for name in ("encoder", "decoder"):
            kwargs.pop(name, None)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Separate tags with commas, e.g. onboarding, weekly.")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        tags = [tag.strip() for tag in (value or "").split(",")]
        return list(dict.fromkeys(tag for tag in tags if tag))


class ServiceRefused(Exception):
    """A service refused what an admin form asked: its messages, by form field, for the re-rendered form.

    `model` is None for the page's own form, else the model of the inline formset whose save was refused.
    """

    def __init__(self, message: str, errors: dict[str, list[str]], model: type[Model] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.model = model

    @classmethod
    def of(cls, exc: PrefCenterError | ValidationError, model: type[Model] | None = None) -> ServiceRefused:
        if isinstance(exc, PrefCenterError):
            return cls(exc.message, {key: [str(m) for m in value] for key, value in exc.errors.items()}, model)
        if hasattr(exc, "error_dict"):
            return cls("; ".join(exc.messages), dict(exc.message_dict), model)
        return cls("; ".join(exc.messages), {}, model)

    def field_errors(self, fields, aliases: dict[str, str]) -> list[tuple[str | None, list[str]]]:
        """(form field or None for the form as a whole, messages); the service's message when no field is named."""
        placed: list[tuple[str | None, list[str]]] = []
        for key, messages_ in self.errors.items():
            name = aliases.get(key, key)
            if name not in fields:
                name = aliases.get(key.rsplit(".", 1)[-1], key.rsplit(".", 1)[-1])
            placed.append((name if name in fields else None, messages_))
        if not any(name in fields for name, _ in placed):
            placed.insert(0, (None, [self.message]))
        return placed


@contextmanager
def refusals_as_form_errors(model: type[Model] | None = None) -> Iterator[None]:
    """Turn a service's refusal into `ServiceRefused` (which ServiceAdmin shows as form errors, never a 500)."""
    try:
        yield
    except (PrefCenterError, ValidationError) as exc:
        raise ServiceRefused.of(exc, model) from exc


def _refusing_form(form_class: type, refused: ServiceRefused, aliases: dict[str, str]) -> type:
    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            for name, messages_ in refused.field_errors(self.fields, aliases):
                self.add_error(name, messages_)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def _refusing_formset(formset_class: type, refused: ServiceRefused) -> type:
    class RefusedFormSet(formset_class):
        def clean(self) -> None:
            super().clean()
            raise forms.ValidationError([refused.message, *(m for ms in refused.errors.values() for m in ms)])

    RefusedFormSet.__name__ = formset_class.__name__
    return RefusedFormSet


class ServiceAdmin(TenantScopedAdmin):
    """The one way an admin saves through services (issue 12): add, change, inline and delete.

    Subclasses name the fields the services take (`service_fields`) and implement `service_create`
    and `service_update`. A refusal raised by a service (`PrefCenterError`, or Django's
    `ValidationError` from a `full_clean()`) aborts the save — the page's transaction rolls back, so
    nothing is written — and the page is shown again with the refusal as errors on the fields it
    names (`error_fields` maps a service's field names to the form's), or on the form as a whole.
    A refused deletion comes back as an error message. Never a 500.
    """

    service_fields: tuple[str, ...] = ()
    error_fields: dict[str, str] = {}

    def service_create(self, *, request, obj: Any, fields: dict[str, Any], actor: Actor) -> Any:
        raise NotImplementedError

    def service_update(self, *, request, obj: Any, changes: dict[str, Any], actor: Actor) -> Any:
        raise NotImplementedError

    def service_delete(self, *, request, obj: Any, actor: Actor) -> None:
        raise NotImplementedError

    # -- saving through the services

    def save_model(self, request, obj: Any, form, change: bool) -> None:
        actor = admin_actor(request)
        self.assign_tenant(request, obj)
        with refusals_as_form_errors():
            if change:
                changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.service_fields}
                if getattr(form, "translations_changed", False):  # TranslatedTextForm: no form field of its own
                    changes["translations"] = form.cleaned_data["translations"]
                saved = self.service_update(request=request, obj=obj, changes=changes, actor=actor)
            else:
                fields = {name: getattr(obj, name) for name in self.service_fields}
                saved = self.service_create(request=request, obj=obj, fields=fields, actor=actor)
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def delete_model(self, request, obj: Any) -> None:
        with refusals_as_form_errors():
            self.service_delete(request=request, obj=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        actor = admin_actor(request)
        with refusals_as_form_errors(), transaction.atomic():
            for obj in queryset.select_related(self.tenant_field):
                self.service_delete(request=request, obj=obj, actor=actor)

    # -- showing a refusal

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The first pass rolled back. The second validates the same POST with the refusal added to
            # the form (or formset) it belongs to, so Django renders the page with the errors and saves nothing.
            request.service_refused = refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refused = getattr(request, "service_refused", None)
        if refused is None or refused.model is not None:
            return form
        return _refusing_form(form, refused, self.error_fields)

    def get_formsets_with_inlines(self, request, obj=None):
        refused = getattr(request, "service_refused", None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if refused is not None and refused.model is formset.model:
                formset = _refusing_formset(formset, refused)
            yield formset, inline

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, f"Not deleted: {refused.message}", messages.ERROR)
            return HttpResponseRedirect(request.path.removesuffix("delete/") + "change/")

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, f"Nothing deleted: {refused.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


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
