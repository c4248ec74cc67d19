"""Hooks the console into the admin the domain apps registered, without editing their admin.py.

Adds the CSV export action to the customer changelist and, unless that admin already has a
template of its own, a changelist template whose object tools link to import, export and the
dashboard.
"""

from __future__ import annotations

from django.contrib import admin

from customers.models import Customer


def install() -> None:
    from console.views import export_customers_csv

    model_admin = admin.site._registry.get(Customer)
    if model_admin is None:
        return
    actions = list(model_admin.actions or [])
    if export_customers_csv not in actions:
        model_admin.actions = [*actions, export_customers_csv]
    if not model_admin.change_list_template:
        model_admin.change_list_template = "console/customer_change_list.html"
