"""Customer admin: search, filters, no N+1; edits go through services and the ledger.

Apps above (messaging, subscribers) add their preference inlines to CustomerAdmin and
register a saver for them in `formset_savers`, so inline edits are recorded too; they add
read-only sections to the change page through `customer_panels` (subscribers adds "What this
customer will receive", computed by the resolution engine).

The change page also shows the customer's consent history (the ledger, newest first). Apps above add
pages of their own for one customer through `customer_tools` (the self-service app adds the page that
issues links and revokes every link and token of the customer); this app imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import phonenumbers
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from customers.models import Customer
from customers.services import (
    TRACKED_FIELDS,
    customer_create,
    customer_delete,
    customer_revoke_links,
    customer_update,
)
from customers.validators import normalize_e164
from prefcenter.admin.toolkit import ServiceAdmin, admin_actor, refusals_as_form_errors, staff_tenant, yes_no
from prefcenter.models import ConsentEvent, Tenant

LEDGER_ROWS = 25


def phone_as_typed(value: str, region: str) -> str:
    """A number as people type it ("(415) 555-0199", "+44 20 7946 0958") → E.164, read with the tenant's region.

    Numbers with a + keep their own country; without one, `region` (Tenant.default_phone_region) says
    which country they are in. The result goes through the same E.164 rule as the API (`normalize_e164`).
    """
    value = value.strip()
    if not value:
        return ""
    if not value.startswith("+"):
        if not region:
            raise ValidationError("Start with + and the country code, e.g. +1 415 555 0199.")
        try:
            parsed = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError("This is not a phone number.") from exc
        value = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return normalize_e164(value)


class CustomerAdminForm(forms.ModelForm):
    """Phones typed the way people write them, stored in E.164 with the tenant's default region."""

    request_tenant: Tenant | None = None  # the staff user's tenant, set per request by CustomerAdmin.get_form

    phone = forms.CharField(
        required=False,
        max_length=40,
        help_text="As people type it, e.g. (415) 555-0199 or +44 20 7946 0958; stored as E.164 (+14155550199). "
        "Numbers without + are read in the tenant's default phone region.",
    )

    # Django 6 makes https the default scheme for URLs typed without one; opt in now (no deprecation warning).
    detail_url = forms.URLField(required=False, max_length=2048, assume_scheme="https", label="Detail url")

    class Meta:
        model = Customer
        fields = "__all__"  # noqa: DJ007 (the admin narrows them: tenant for superusers only, read-only fields)

    def tenant(self) -> Tenant | None:
        if self.instance.pk:
            return self.instance.tenant
        return self.cleaned_data.get("tenant") or self.request_tenant

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "phone" in cleaned:
            tenant = self.tenant()
            try:
                cleaned["phone"] = phone_as_typed(cleaned["phone"], tenant.default_phone_region if tenant else "")
            except ValidationError as exc:
                self.add_error("phone", exc)
        return cleaned


@dataclass(frozen=True)
class CustomerPanel:
    """A read-only section of the customer's change page: its title and a function (request, customer) → HTML."""

    order: int
    title: str
    render: Callable[..., str]


@dataclass(frozen=True)
class CustomerTool:
    """A page of its own for one customer (admin URL `<id>/<slug>/`, name `customers_customer_<slug>`).

    `view(model_admin, request, customer, context)` answers it; the admin has already found the
    customer in the staff member's tenant (else 404) and checked the change permission (else 403).
    """

    slug: str
    title: str
    view: Callable[..., Any]


def ledger_panel(request, customer: Customer) -> str:
    """The customer's consent history, newest first (the (tenant, customer_id, id) index), and a link to all of it."""
    events = list(
        ConsentEvent.objects.filter(tenant_id=customer.tenant_id, customer_id=customer.pk).order_by("-id")[
            : LEDGER_ROWS + 1
        ]
    )
    full = reverse("admin:prefcenter_consentevent_changelist") + f"?customer_id={customer.pk}"
    return render_to_string(
        "admin/customers/customer/ledger_panel.html",
        {"events": [ledger_row(event) for event in events[:LEDGER_ROWS]], "more": len(events) > LEDGER_ROWS,
         "full_url": full},
        request=request,
    )


def ledger_row(event: ConsentEvent) -> dict[str, Any]:
    unset = "Inherit" if event.subject.startswith(("workflow:", "category:")) else "—"
    return {
        "subject": event.subject,
        "field": event.field,
        "old": yes_no(event.old_value, unset=unset),
        "new": yes_no(event.new_value, unset=unset),
        "actor": event.actor,
        "source": event.get_source_display(),
        "when": event.created_at,
    }


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    form = CustomerAdminForm
    list_display = [
        "external_id",
        "email",
        "phone",
        "first_name",
        "last_name",
        "email_opted_out",
        "sms_opted_out",
        "created_at",
    ]
    list_filter = ["email_opt_out", "sms_opt_out", "created_at"]
    search_fields = ["external_id", "email", "phone", "first_name", "last_name"]
    list_select_related = ["tenant"]
    readonly_fields = ["uuid", "email_opt_out_at", "sms_opt_out_at", "link_version", "created_at", "updated_at"]
    actions = ["revoke_links"]
    inlines: list = []
    # Inline model → function(request, formset, actor) that saves its rows through a service.
    formset_savers: dict[type, Callable[..., None]] = {}
    # Read-only sections of the change page, in `order`; apps above append theirs.
    customer_panels: list[CustomerPanel] = [CustomerPanel(order=20, title="Consent history", render=ledger_panel)]
    # Pages of their own for one customer, linked from the change page's object tools; apps above append.
    customer_tools: list[CustomerTool] = []
    # external_id too, so that a change to it reaches customer_update, which refuses it (on the field).
    service_fields = (*TRACKED_FIELDS, "external_id")

    @admin.display(description="Email opt-out", ordering="email_opt_out")
    def email_opted_out(self, obj: Customer) -> str:
        return yes_no(obj.email_opt_out)

    @admin.display(description="SMS opt-out", ordering="sms_opt_out")
    def sms_opted_out(self, obj: Customer) -> str:
        return yes_no(obj.sms_opt_out)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_tenant = None if request.user.is_superuser else staff_tenant(request)
        return form

    def service_create(self, *, request, obj: Customer, fields: dict[str, Any], actor) -> Customer:
        return customer_create(tenant=obj.tenant, actor=actor, **fields)

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

    # -- the change page's sections

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, unquote(object_id))
        if customer is not None and request.method == "GET":
            extra_context = {
                **(extra_context or {}),
                "customer_panels": [
                    {"title": panel.title, "html": panel.render(request, customer)}
                    for panel in sorted(self.customer_panels, key=lambda panel: panel.order)
                ],
                "customer_tools": [
                    {"title": tool.title, "url": reverse(f"admin:customers_customer_{tool.slug}", args=[customer.pk])}
                    for tool in self.customer_tools
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- pages of their own for one customer (apps above add theirs to `customer_tools`)

    def get_urls(self):
        tool_urls = [
            path(
                f"<path:object_id>/{tool.slug}/",
                self.admin_site.admin_view(partial(self._tool_view, tool)),
                name=f"customers_customer_{tool.slug}",
            )
            for tool in self.customer_tools
        ]
        return [*tool_urls, *super().get_urls()]

    @classmethod
    def add_tool(cls, tool: CustomerTool) -> None:
        """Add a page of its own for one customer (once: a repeated import does not double it).

        Its template extends "admin/customers/customer/tool.html", which draws the breadcrumbs.
        """
        if tool not in cls.customer_tools:
            cls.customer_tools = [*cls.customer_tools, tool]

    def _tool_view(self, tool: CustomerTool, request, object_id: str):
        customer = self.get_object(request, unquote(object_id))
        if customer is None:
            raise Http404("No such customer.")
        if not self.has_change_permission(request, customer):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"{tool.title} · {customer}",
            "tool_title": tool.title,
            "opts": self.opts,
            "original": customer,
            "has_view_permission": True,
            "change_url": reverse("admin:customers_customer_change", args=[customer.pk]),
        }
        return tool.view(self, request, customer, context)

    def revoke_customer_links(self, request, customer: Customer) -> None:
        """Revoke every self-service link and customer token of `customer` (the API's service) and say so."""
        with refusals_as_form_errors():
            customer_revoke_links(customer=customer, actor=admin_actor(request))
        self.message_user(
            request,
            format_html("Every self-service link and customer token of {} is revoked.", str(customer)),
            messages.SUCCESS,
        )

    @admin.action(description="Revoke all self-service links and customer tokens", permissions=["change"])
    def revoke_links(self, request, queryset) -> None:
        actor = admin_actor(request)
        customers = list(queryset.select_related("tenant"))
        for customer in customers:
            customer_revoke_links(customer=customer, actor=actor)
        self.message_user(
            request, f"Revoked every self-service link and customer token of {len(customers)} customer(s).",
            messages.SUCCESS,
        )
