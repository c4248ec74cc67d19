"""The staff console's admin pages: CSV export (an admin action), CSV import (upload → preview → confirm), dashboard.

Every page is wrapped by `admin.site.admin_view` (staff login) and works on one tenant: a
staff member's own (TenantMembership), never another; a superuser names one (`?tenant=slug`,
or the upload form's choice). Another tenant's upload is a 404, as everywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from console.charts import daily_columns, rate_bars
from console.dashboard import DAYS, daily_counts, opt_out_rates
from console.exports import csv_lines, export_rows
from console.imports import ImportFileError, customer_import, text_of
from console.models import CustomerImport
from customers.models import Customer
from prefcenter.admin import staff_tenant
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent, Tenant

PREVIEW_CHANGES = 200
# The rates read every customer (two aggregate queries, ~0.2 s at 10^5 customers, docs/console.md): kept
# this many seconds per tenant and catalog revision, so reloading the page or many staff at once cost nothing.
RATES_TTL = 60


def import_actor(request: HttpRequest) -> Actor:
    return Actor.from_request(
        request, label=f"staff:{request.user.get_username()}", source=ConsentEvent.SOURCE_IMPORT
    )


def _require(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _tenant(request: HttpRequest, slug: str | None = None) -> Tenant | None:
    """The staff member's tenant; for a superuser, the one named by `slug` (None when none is named)."""
    if request.user.is_superuser:
        if not slug:
            return None
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise Http404("No such tenant.")
        return tenant
    return staff_tenant(request)


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def _pick_tenant(request: HttpRequest, title: str) -> HttpResponse:
    if not request.user.is_superuser:
        return render(request, "console/no_tenant.html", _context(request, title=title), status=403)
    return render(
        request, "console/pick_tenant.html", _context(request, title=title, tenants=Tenant.objects.order_by("slug"))
    )


# ---------------------------------------------------------------------- export


def export_response(*, tenant: Tenant, customers: QuerySet[Customer] | None = None) -> StreamingHttpResponse:
    """The CSV of `tenant`'s customers (narrowed to `customers`), streamed as it is produced."""
    response = StreamingHttpResponse(
        csv_lines(export_rows(tenant=tenant, customers=customers)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="customers-{tenant.slug}-{stamp}.csv"'
    return response


@admin.action(description="Export selected customers as CSV (opt-outs and effective preferences)",
              permissions=["view"])
def export_customers_csv(modeladmin, request: HttpRequest, queryset: QuerySet[Customer]):
    """The customer changelist's export action: the selection (already scoped to the staff member's tenant)."""
    tenant_ids = list(queryset.order_by().values_list("tenant_id", flat=True).distinct()[:2])
    if len(tenant_ids) != 1:
        modeladmin.message_user(
            request, "Select the customers of one tenant (filter by tenant first) to export them.", messages.ERROR
        )
        return None
    tenant = Tenant.objects.get(pk=tenant_ids[0])
    if not request.user.is_superuser and tenant != staff_tenant(request):
        raise PermissionDenied
    return export_response(tenant=tenant, customers=queryset)


def export_all(request: HttpRequest) -> HttpResponse:
    """Every customer of the tenant (the changelist's "Export all as CSV" link)."""
    _require(request, "customers.view_customer")
    tenant = _tenant(request, request.GET.get("tenant"))
    if tenant is None:
        return _pick_tenant(request, "Export customers")
    return export_response(tenant=tenant)


# ---------------------------------------------------------------------- import


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, a header line with external_id (docs/console.md).")
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.order_by("slug"), required=False)

    def __init__(self, *args, superuser: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if superuser:
            self.fields["tenant"].required = True
        else:
            del self.fields["tenant"]

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text. Save it as CSV UTF-8.") from None
        if "\x00" in text:
            raise forms.ValidationError("The file contains NUL characters: it is not a CSV text file.")
        return text


def import_upload(request: HttpRequest) -> HttpResponse:
    _require(request, "customers.add_customer", "customers.change_customer")
    superuser = request.user.is_superuser
    if not superuser and staff_tenant(request) is None:
        return _pick_tenant(request, "Import customers")
    form = UploadForm(request.POST or None, request.FILES or None, superuser=superuser)
    if request.method == "POST" and form.is_valid():
        tenant = form.cleaned_data["tenant"] if superuser else staff_tenant(request)
        upload = CustomerImport.objects.create(
            tenant=tenant, uploaded_by=request.user, filename=request.FILES["file"].name[:255],
            content=form.cleaned_data["file"],
        )
        return redirect("console:import_preview", pk=upload.pk)
    return render(request, "console/import_upload.html", _context(request, title="Import customers", form=form))


def _upload(request: HttpRequest, pk: int) -> CustomerImport:
    uploads = CustomerImport.objects.select_related("tenant")
    if not request.user.is_superuser:
        uploads = uploads.filter(tenant=staff_tenant(request), uploaded_by=request.user)
    upload = uploads.filter(pk=pk).first()
    if upload is None:
        raise Http404("No such import.")
    return upload


def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the file would change (a dry run through the services). POST: apply it, once."""
    _require(request, "customers.add_customer", "customers.change_customer")
    upload = _upload(request, pk)
    context = _context(request, title="Import customers: preview", upload=upload, tenant=upload.tenant)
    if upload.applied_at is not None:
        messages.warning(request, f"This file was imported at {upload.applied_at:%Y-%m-%d %H:%M:%S} UTC.")
        return render(request, "console/import_preview.html", {**context, "applied": True})
    dry_run = request.method != "POST"
    if not dry_run:
        claimed = CustomerImport.objects.filter(pk=upload.pk, applied_at__isnull=True).update(
            applied_at=timezone.now()
        )
        if not claimed:
            return redirect("console:import_preview", pk=upload.pk)
    try:
        report = customer_import(
            tenant=upload.tenant, actor=import_actor(request), text=text_of(upload.content), dry_run=dry_run,
            keep_changes=PREVIEW_CHANGES,
        )
    except ImportFileError as exc:
        return render(request, "console/import_preview.html", {**context, "file_error": str(exc)}, status=400)
    if not dry_run:
        messages.success(
            request,
            f"Imported: {report.created:,} created, {report.updated:,} updated, {report.unchanged:,} unchanged"
            + (f"; {report.refused_lines:,} lines in refused batches were not applied." if report.errors else "."),
        )
    return render(request, "console/import_preview.html", {**context, "report": report, "applied": not dry_run})


# ---------------------------------------------------------------------- dashboard


def rates_cache_key(tenant: Tenant) -> str:
    return f"console:rates:{tenant.pk}:{tenant.catalog_revision}"


def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request, "customers.view_customer")
    tenant = _tenant(request, request.GET.get("tenant"))
    if tenant is None:
        return _pick_tenant(request, "Dashboard")
    key = rates_cache_key(tenant)
    cached = cache.get(key)
    if cached is None:
        cached = (timezone.now(), opt_out_rates(tenant=tenant))
        cache.set(key, cached, RATES_TTL)
    rates_at, (total, per_channel, per_category) = cached
    days = daily_counts(tenant=tenant)
    category_rates = [rate for _, rates in per_category for rate in rates]
    labelled = [
        type(rate)(f"{category.key} · {rate.label}", rate.opted_out, rate.total)
        for category, rates in per_category
        for rate in rates
    ]
    context = _context(
        request,
        title=f"Dashboard: {tenant.name}",
        tenant=tenant,
        customers=total,
        rates_at=rates_at,
        rates_ttl=RATES_TTL,
        per_channel=per_channel,
        per_category=per_category,
        channel_chart=rate_bars(per_channel, label="Opt-out rate per channel"),
        category_chart=rate_bars(labelled, label="Opt-out rate per category and channel") if category_rates else "",
        days=days,
        day_chart=daily_columns(days, label=f"Opt-outs and opt-ins per day, last {DAYS} days"),
        days_total=(sum(d.opt_outs for d in days), sum(d.opt_ins for d in days)),
        window=DAYS,
        changelist=reverse("admin:customers_customer_changelist"),
    )
    return render(request, "console/dashboard.html", context)
