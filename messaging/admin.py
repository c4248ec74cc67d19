"""Messaging admin: the category catalog, and each customer's category preferences as an
inline on the customer page. Every save goes through the services, so inline edits
leave consent events (source "admin") like any other change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet

from customers.admin import CustomerAdmin
from messaging.models import Category, CategoryPreference
from messaging.services import (
    CATEGORY_FIELDS,
    PREFERENCE_FIELDS,
    category_create,
    category_delete,
    category_errors,
    category_preference_clear,
    category_preference_errors,
    category_preference_set,
    category_update,
)
from prefcenter.admin.foundation import TranslatedTextForm
from prefcenter.admin.toolkit import ServiceAdmin, staff_tenant, yes_no
from prefcenter.ledger import Actor

# ----------------------------------------------------------------------------- the catalog


class CategoryAdminForm(TranslatedTextForm):
    """Checks the catalog's rules (mandatory defaults, reserved and duplicate keys) before the service runs."""

    request_tenant_id: int | None = None  # set per request by CategoryAdmin.get_form

    class Meta:
        model = Category
        fields = ["tenant", "key", *(name for name in CATEGORY_FIELDS if name != "translations")]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        probe = Category(**{name: value for name, value in cleaned.items() if name != "tenant"})
        if self.instance.pk:
            probe.key = self.instance.key
        for field, messages in category_errors(probe, validate_model=False).items():
            self.add_error(field if field in self.fields else None, messages)
        # Staff forms have no tenant field, so Django's own constraint check cannot see a clash.
        staff_add = "tenant" not in self.fields and not self.instance.pk and self.request_tenant_id
        if staff_add and Category.objects.filter(tenant_id=self.request_tenant_id, key=probe.key).exists():
            self.add_error("key", "A category with this key already exists.")
        return cleaned


@admin.register(Category)
class CategoryAdmin(ServiceAdmin):
    form = CategoryAdminForm
    service_fields = CATEGORY_FIELDS
    list_display = [
        "key", "name", "tenant", "is_mandatory", "in_app_default", "email_default", "push_default", "default_digest",
        "updated_at",
    ]
    list_filter = ["mandatory", "default_digest"]
    search_fields = ["key", "name", "description"]
    list_select_related = ["tenant"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Mandatory", ordering="mandatory")
    def is_mandatory(self, obj: Category) -> str:
        return yes_no(obj.mandatory)

    @admin.display(description="In-app default", ordering="default_in_app")
    def in_app_default(self, obj: Category) -> str:
        return yes_no(obj.default_in_app)

    @admin.display(description="Email default", ordering="default_email")
    def email_default(self, obj: Category) -> str:
        return yes_no(obj.default_email)

    @admin.display(description="Push default", ordering="default_push")
    def push_default(self, obj: Category) -> str:
        return yes_no(obj.default_push)

    def get_readonly_fields(self, request, obj: Category | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["tenant", "key"]  # consent events name the category by key
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        tenant = staff_tenant(request)
        return type(form.__name__, (form,), {"request_tenant_id": tenant.pk if tenant else None})

    def service_create(self, *, request, obj: Category, fields: dict[str, Any], actor: Actor) -> Category:
        fields = {name: value for name, value in fields.items() if name != "name"}
        return category_create(tenant=obj.tenant, key=obj.key, name=obj.name, actor=actor, **fields)

    def service_update(self, *, request, obj: Category, changes: dict[str, Any], actor: Actor) -> Category:
        return category_update(category=obj, actor=actor, **changes)

    def service_delete(self, *, request, obj: Category, actor: Actor) -> None:
        category_delete(category=obj, actor=actor)


# ----------------------------------------------------------------------------- preferences inline on customers


class CategoryPreferenceInlineForm(forms.ModelForm):
    class Meta:
        model = CategoryPreference
        fields = ["category", *PREFERENCE_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if all(field in cleaned for field in PREFERENCE_FIELDS):
            errors = category_preference_errors(
                category=cleaned.get("category"), **{field: cleaned[field] for field in PREFERENCE_FIELDS}
            )
            for field, messages in errors.items():
                self.add_error(field, messages)
        return cleaned


class CategoryPreferenceInlineFormSet(forms.BaseInlineFormSet):
    """Offers only the customer's tenant's categories, and one row per category (one global row)."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        field = form.fields["category"]
        field.queryset = Category.objects.filter(tenant_id=self.instance.tenant_id)
        field.empty_label = "— global default (every category without its own row) —"
        field.required = False

    def clean(self) -> None:
        super().clean()
        seen: set[Any] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or (not form.has_changed() and not form.instance.pk):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            category = form.cleaned_data.get("category")
            key = category.pk if category is not None else None
            if key in seen:
                label = f"category '{category.key}'" if category is not None else "the global default"
                raise forms.ValidationError(f"Only one row per category: {label} appears twice.")
            seen.add(key)


class CategoryPreferenceInline(admin.TabularInline):
    model = CategoryPreference
    form = CategoryPreferenceInlineForm
    formset = CategoryPreferenceInlineFormSet
    fields = ["category", *PREFERENCE_FIELDS, "updated_at"]
    readonly_fields = ["updated_at"]
    extra = 0
    verbose_name = "category preference"

    def get_queryset(self, request) -> QuerySet[CategoryPreference]:
        return super().get_queryset(request).select_related("category")

    def has_add_permission(self, request, obj=None) -> bool:
        # Rows need the customer's tenant (category choices, the ledger): added on the change page only.
        return obj is not None and super().has_add_permission(request, obj)


def save_category_preferences(request, formset: CategoryPreferenceInlineFormSet, actor: Actor) -> None:
    """Apply the inline's rows through the services: removed rows and rows moved to another
    category are cleared first, then every new or changed row is set (so swaps cannot collide).

    Fills `new_objects`/`changed_objects`/`deleted_objects` as `formset.save()` would, for the
    admin's change message.
    """
    customer = formset.instance
    tenant = customer.tenant
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    originals = {
        row.pk: row
        for row in CategoryPreference.objects.filter(customer=customer).select_related("category")
    }
    to_set = []
    for form in formset.forms:
        original = originals.get(form.instance.pk) if form.instance.pk else None
        if formset.can_delete and formset._should_delete_form(form):
            if original is not None:
                category_preference_clear(tenant=tenant, customer=customer, category=original.category, actor=actor)
                formset.deleted_objects.append(original)
            continue
        if not form.has_changed():
            continue
        category = form.cleaned_data.get("category")
        if original is not None and original.category_id != (category.pk if category else None):
            category_preference_clear(tenant=tenant, customer=customer, category=original.category, actor=actor)
        to_set.append((form, original, category))
    for form, original, category in to_set:
        preference, _changed = category_preference_set(
            tenant=tenant, customer=customer, category=category, actor=actor,
            **{field: form.cleaned_data[field] for field in PREFERENCE_FIELDS},
        )
        form.instance = preference
        if original is None:
            formset.new_objects.append(preference)
        else:
            formset.changed_objects.append((preference, form.changed_data))


CustomerAdmin.inlines = [*CustomerAdmin.inlines, CategoryPreferenceInline]
CustomerAdmin.formset_savers[CategoryPreference] = save_category_preferences
