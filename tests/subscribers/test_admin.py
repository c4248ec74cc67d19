"""Admin: workflow preferences inline on the customer save through the services (ledger source admin)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from prefcenter.channels import CHANNELS
from prefcenter.models import ConsentEvent
from subscribers.models import Workflow, WorkflowPreference
from tests.factories import make_workflow_preference
from tests.prefcenter.conftest import staff_user  # noqa: F401

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
    row = make_workflow_preference(customer, workflow, push=False)
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
        "channels": ["email"], "defaults_sms": "false", "tags": "welcome, onboarding, welcome", "description": "",
    })
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    saved = Workflow.objects.get()
    assert saved.identifier == "Welcome Mail"
    # Issue 12: checkboxes, Inherit/Yes/No per channel and comma-separated tags, stored as the JSON the API serves.
    assert (saved.channels, saved.defaults, saved.tags) == (["email"], {"sms": False}, ["welcome", "onboarding"])


def test_workflow_admin_shows_a_field_error_when_the_identifier_exists(
    client, staff_user, workflow, unchanged  # noqa: F811
):
    """Issue 12: a duplicate identifier escaped save_model as a 500 (the staff form has no tenant field)."""
    client.force_login(staff_user)
    with unchanged():
        response = client.post("/admin/subscribers/workflow/add/", {
            "identifier": workflow.identifier, "slug": "another-slug", "name": "Again", "description": "",
            "channels": ["email"], "tags": "",
        })
    assert response.status_code == HTTPStatus.OK
    errors = response.context["adminform"].form.errors
    assert errors["identifier"] == ["The identifier and the slug must be unique in this tenant."]


def test_inline_refuses_a_second_row_when_the_workflow_already_has_one(admin_client, customer, workflow, unchanged):
    """Issue 12: the new row (SMS unset) silently overwrote the existing SMS True, and History said nothing."""
    row = make_workflow_preference(customer, workflow, sms=True)
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-0-id": row.pk, f"{prefix}-TOTAL_FORMS": 2, f"{prefix}-1-workflow": workflow.pk,
                 f"{prefix}-1-email": "false",
                 f"{prefix}-1-customer": customer.pk})
    with unchanged():
        response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "Only one row per workflow: workflow &#x27;order-shipped&#x27; appears twice." in response.content.decode()
    assert WorkflowPreference.objects.get().sms is True


def test_inline_refuses_a_second_global_row_when_one_exists(admin_client, customer, unchanged):
    row = make_workflow_preference(customer, None, push=False)
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-0-id": row.pk, f"{prefix}-TOTAL_FORMS": 2, f"{prefix}-1-email": "false",
                 f"{prefix}-1-customer": customer.pk})
    with unchanged():
        response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "the global switch appears twice" in response.content.decode()


def test_history_says_what_changed_when_an_inline_row_is_added_changed_and_deleted(admin_client, customer, workflow):
    from django.contrib.admin.models import LogEntry

    other = Workflow.objects.create(tenant=customer.tenant, identifier="welcome", slug="welcome", name="Welcome",
                                    channels=["email", "sms"])
    kept = make_workflow_preference(customer, workflow, sms=True)
    gone = make_workflow_preference(customer, other, email=False)
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-0-id": kept.pk, f"{prefix}-1-id": gone.pk})
    data[f"{prefix}-0-sms"] = "false"
    data[f"{prefix}-1-DELETE"] = "on"
    data.update({f"{prefix}-TOTAL_FORMS": 3, f"{prefix}-2-email": "false", f"{prefix}-2-customer": customer.pk})
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    message = LogEntry.objects.get(object_id=str(customer.pk)).get_change_message()
    assert "No fields changed" not in message
    assert "Added workflow preference" in message and "(global)" in message
    assert "Changed Sms for workflow preference" in message and "order-shipped" in message
    assert "Deleted workflow preference" in message and "welcome" in message


def test_receive_panel_is_the_evaluation_engines_answer_when_the_customer_page_opens(
    client, staff_user, api, tenant, other_tenant, customer, workflow  # noqa: F811
):
    """Issue 12: every workflow x channel with the deciding layer and digest, as POST /v1/deliveries/evaluate says."""
    from customers.admin import CustomerAdmin
    from subscribers.admin import receive_panel

    news = Workflow.objects.create(tenant=tenant, identifier="weekly-news", slug="weekly-news", name="Weekly news",
                                   channels=["email", "push"])
    Workflow.objects.create(tenant=other_tenant, identifier="globex-only", slug="globex-only", name="Globex only",
                            channels=["email"])
    make_workflow_preference(customer, workflow, email=False)
    make_workflow_preference(customer, None, push=False)
    client.force_login(staff_user)

    response = client.get(f"/admin/customers/customer/{customer.pk}/change/")

    assert response.status_code == HTTPStatus.OK
    panels = {panel["title"]: panel["html"] for panel in response.context["customer_panels"]}
    assert list(panels) == ["What this customer will receive", "Consent history"]
    html = panels["What this customer will receive"]
    assert "Globex only" not in html and "globex-only" not in html
    assert any(panel.render is receive_panel for panel in CustomerAdmin.customer_panels)
    for flow in (workflow, news):
        body = {"workflow": flow.identifier, "recipients": [customer.external_id], "channels": list(CHANNELS)}
        answer = api.post("/v1/deliveries/evaluate", body, format="json").json()["results"][0]["channels"]
        cells = html.split(f"{flow.identifier}", 1)[1].split("</tr>", 1)[0].split("<td>")[1:]
        assert len(cells) == len(CHANNELS)
        for channel, cell in zip(CHANNELS, cells, strict=True):
            decision = answer[channel]
            if decision["reason"] == "not_applicable":
                assert "not used" in cell
                continue
            assert ("Yes" if decision["allowed"] else "No") in cell, (channel, cell)
            assert decision["reason"].replace("_", " ") in cell, (channel, cell)
            assert (f"digest {decision['digest']}" in cell) is (channel == "email" and decision["allowed"])
    shipped_row = html.split("order-shipped", 1)[1].split("</tr>", 1)[0]
    assert "workflow preference" in shipped_row  # email off by the workflow row
    news_row = html.split("weekly-news", 1)[1].split("</tr>", 1)[0]
    assert "global preference" in news_row and "digest instant" in news_row


def test_inline_saves_when_a_row_moves_to_another_workflow_and_a_new_row_takes_its_old_one(
    admin_client, customer, workflow
):
    """Clear(A) + set(B) + set(A) was one bulk update naming A twice: the service refused it and the admin
    answered 500. The set of A replaces every value, so the clear of A is dropped."""
    other = Workflow.objects.create(tenant=customer.tenant, identifier="welcome", slug="welcome", name="Welcome",
                                    channels=["email", "sms"])
    row = make_workflow_preference(customer, workflow, sms=True)
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-0-id": row.pk, f"{prefix}-0-workflow": other.pk, f"{prefix}-TOTAL_FORMS": 2,
                 f"{prefix}-1-workflow": workflow.pk, f"{prefix}-1-push": "false", f"{prefix}-1-customer": customer.pk})
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    rows = {r.workflow.identifier: (r.sms, r.push) for r in WorkflowPreference.objects.filter(customer=customer)}
    assert rows == {"welcome": (True, None), "order-shipped": (None, False)}


def test_inline_service_refusal_is_shown_on_the_inline_when_the_saver_is_refused(
    admin_client, customer, workflow, unchanged, monkeypatch
):
    """Whatever a saver's service refuses comes back as the inline's error, with nothing written (never a 500)."""
    from customers.admin import CustomerAdmin
    from prefcenter.exceptions import PrefCenterError

    def refused(request, formset, actor):
        raise PrefCenterError("Refused by the service.", errors={"preferences.0.workflowId": ["Nope."]})

    monkeypatch.setitem(CustomerAdmin.formset_savers, WorkflowPreference, refused)
    url, data, prefix = change_form_data(admin_client, customer)
    data.update({f"{prefix}-TOTAL_FORMS": 1, f"{prefix}-0-workflow": workflow.pk, f"{prefix}-0-email": "false",
                 f"{prefix}-0-customer": customer.pk, "first_name": "Changed too"})
    with unchanged():
        response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Refused by the service." in html and "Nope." in html
