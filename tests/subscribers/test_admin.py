"""Admin: workflow preferences inline on the customer save through the services (ledger source admin)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from prefcenter.models import ConsentEvent
from subscribers.models import Workflow, WorkflowPreference
from tests.subscribers.conftest import make_preference

pytestmark = pytest.mark.django_db
FIELDS = ("external_id", "email", "phone", "first_name", "last_name", "locale", "timezone", "detail_url")


def change_form_data(client, customer) -> tuple[str, dict, str]:
    url = f"/admin/customers/customer/{customer.pk}/change/"
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    data = {name: getattr(customer, name) or "" for name in FIELDS}
    data["tenant"] = customer.tenant_id
    prefix = ""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name, field in management.fields.items():
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, field.initial) or 0
        for index, form in enumerate(formset.initial_forms):
            for name in form.fields:
                value = form.initial.get(name)
                data[f"{formset.prefix}-{index}-{name}"] = "" if value is None else value
        if formset.model is WorkflowPreference:
            prefix = formset.prefix
    return url, data, prefix


def test_inline_row_is_saved_through_the_service_when_staff_adds_one(admin_client, customer, workflow):
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-0-workflow": workflow.pk, f"{prefix}-0-email": "false",
                 f"{prefix}-0-enabled": "unknown", f"{prefix}-0-customer": customer.pk})
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"] if response.context else response
    row = WorkflowPreference.objects.get()
    assert (row.workflow_id, row.email, row.enabled) == (workflow.pk, False, None)
    event = ConsentEvent.objects.get(subject="workflow:order-shipped")
    assert (event.field, event.new_value, event.source) == ("email", False, "admin")


def test_inline_row_deletion_is_recorded_when_staff_deletes_one(admin_client, customer, workflow):
    row = make_preference(customer, workflow, push=False)
    url, data, prefix = change_form_data(admin_client, customer)
    data[f"{prefix}-0-id"] = row.pk
    data[f"{prefix}-0-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    assert not WorkflowPreference.objects.exists()
    assert ConsentEvent.objects.get(subject="workflow:order-shipped").new_value is None


def test_inline_refuses_critical_workflow_when_staff_adds_one(admin_client, customer, critical_workflow, unchanged):
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-0-workflow": critical_workflow.pk,
                 f"{prefix}-0-email": "false", f"{prefix}-0-customer": customer.pk})
    with unchanged():
        response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert "Critical workflows" in response.content.decode()


def test_workflow_admin_creates_through_the_service_when_staff_adds_one(admin_client, tenant):
    response = admin_client.post("/admin/subscribers/workflow/add/", {
        "tenant": tenant.pk, "identifier": "Welcome Mail", "slug": "welcome-mail", "name": "Welcome",
        "channels": '["email"]', "defaults": "{}", "tags": "[]", "description": "",
    })
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    assert Workflow.objects.get().identifier == "Welcome Mail"
