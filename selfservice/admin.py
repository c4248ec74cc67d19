"""The self-service app's part of the admin: a customer's "Self-service links" page.

Added to the customer admin through its `customer_tools` hook, so `customers` never imports this app.
Issuing links signs new URLs (nothing is stored); revoking goes through the same service as the API
(`POST /v1/customers/{external_id}/revoke-links`) and is recorded in the ledger.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from customers.admin import CustomerAdmin, CustomerTool
from selfservice.links import links_issue


def links_view(model_admin: CustomerAdmin, request, customer, context: dict):
    """Issue a customer's self-service links (copyable), or revoke every link and token they hold."""
    issued = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            model_admin.revoke_customer_links(request, customer)
            return HttpResponseRedirect(request.path)
        if action == "issue":
            issued = links_issue(customer=customer)
    return TemplateResponse(request, "admin/customers/customer/links.html", {**context, "issued": issued})


CustomerAdmin.add_tool(CustomerTool(slug="links", title="Self-service links", view=links_view))
