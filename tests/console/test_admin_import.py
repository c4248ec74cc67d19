"""The admin's import: upload → preview (a dry run, nothing written) → confirm (applied once), one tenant only."""

from __future__ import annotations

from http import HTTPStatus

from django.core.files.uploadedfile import SimpleUploadedFile

from console.models import CustomerImport
from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.factories import make_customer

UPLOAD = "/admin/console/import/"


def upload(client, text: str, **extra):
    return client.post(UPLOAD, {"file": SimpleUploadedFile("people.csv", text.encode(), "text/csv"), **extra})


def test_upload_previews_without_writing_when_the_file_is_valid(client, staff_user, tenant, unchanged):
    make_customer(tenant, "ada", email="ada@old.test")
    client.force_login(staff_user)

    response = upload(client, "external_id,email\nada,ada@new.test\nbob,bob@x.test\n")

    assert response.status_code == HTTPStatus.FOUND
    preview_url = response["Location"]
    with unchanged():
        preview = client.get(preview_url)
    body = preview.content.decode()
    assert preview.status_code == HTTPStatus.OK
    assert 'id="count-created">1<' in body and 'id="count-updated">1<' in body
    assert "ada@old.test → ada@new.test" in body
    assert 'id="console-confirm"' in body


def test_confirm_applies_the_file_once_through_the_ledger_when_posted_twice(client, staff_user, tenant):
    client.force_login(staff_user)
    preview_url = upload(client, "external_id,email_opt_out\nada,true\n")["Location"]

    first = client.post(preview_url)
    second = client.post(preview_url, follow=True)

    assert first.status_code == HTTPStatus.OK
    assert "Imported: 1 created, 0 updated, 0 unchanged." in first.content.decode()
    assert second.status_code == HTTPStatus.OK
    assert "This file was imported at" in second.content.decode()
    assert Customer.objects.filter(tenant=tenant, external_id="ada", email_opt_out=True).count() == 1
    events = ConsentEvent.objects.filter(customer_external_id="ada", field="created")
    assert [(e.source, e.actor) for e in events] == [("import", "staff:acme-staff")]


def test_preview_lists_errors_and_confirm_leaves_the_bad_batch_out_when_a_line_is_bad(client, staff_user, tenant):
    client.force_login(staff_user)
    preview_url = upload(client, "external_id,sms_opt_out\nada,true\nbob,perhaps\n")["Location"]

    preview = client.get(preview_url).content.decode()
    client.post(preview_url)

    assert 'id="count-errors">1<' in preview
    assert "sms_opt_out: &#x27;perhaps&#x27; is not a boolean" in preview
    assert "lines 2\u20133" in preview
    assert not Customer.objects.exists()


def test_preview_shows_the_file_error_and_writes_nothing_when_the_header_is_unusable(client, staff_user, tenant,
                                                                                     unchanged):
    client.force_login(staff_user)
    preview_url = upload(client, "external_id,emial\nada,x\n")["Location"]

    with unchanged():
        response = client.get(preview_url)
        confirm = client.post(preview_url)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Unknown columns: emial" in response.content.decode()
    assert confirm.status_code == HTTPStatus.BAD_REQUEST


def test_upload_refuses_a_file_that_is_not_utf8_when_sent(client, staff_user, tenant):
    client.force_login(staff_user)

    response = client.post(UPLOAD, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\xfa", "text/csv")})

    assert response.status_code == HTTPStatus.OK
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not CustomerImport.objects.exists()


def test_staff_cannot_see_or_confirm_another_tenants_upload_when_guessing_its_id(client, staff_user, superuser,
                                                                                tenant, other_tenant):
    theirs = CustomerImport.objects.create(tenant=other_tenant, uploaded_by=superuser, filename="globex.csv",
                                           content="external_id,email\nglobex-1,secret@globex.test\n")
    client.force_login(staff_user)

    preview = client.get(f"{UPLOAD}{theirs.pk}/")
    confirm = client.post(f"{UPLOAD}{theirs.pk}/")

    assert preview.status_code == HTTPStatus.NOT_FOUND and confirm.status_code == HTTPStatus.NOT_FOUND
    assert "secret@globex.test" not in preview.content.decode()
    assert not Customer.objects.exists()


def test_staff_upload_imports_into_its_own_tenant_when_it_names_another(client, staff_user, tenant, other_tenant):
    client.force_login(staff_user)

    preview_url = upload(client, "external_id\nada\n", tenant=other_tenant.pk)["Location"]
    client.post(preview_url)

    assert list(Customer.objects.values_list("tenant__slug", "external_id")) == [("acme", "ada")]


def test_superuser_chooses_the_tenant_when_uploading(client, superuser, tenant, other_tenant):
    client.force_login(superuser)

    missing = client.post(UPLOAD, {"file": SimpleUploadedFile("p.csv", b"external_id\nada\n", "text/csv")})
    preview_url = upload(client, "external_id\nada\n", tenant=other_tenant.pk)["Location"]
    client.post(preview_url)

    assert "This field is required" in missing.content.decode()
    assert list(Customer.objects.values_list("tenant__slug", "external_id")) == [("globex", "ada")]


def test_import_pages_refuse_staff_without_customer_permissions_when_opened(client, staff_user):
    staff_user.user_permissions.clear()
    client.force_login(staff_user)

    assert client.get(UPLOAD).status_code == HTTPStatus.FORBIDDEN


def test_import_pages_send_anonymous_visitors_to_the_login_when_opened(client, db):
    response = client.get(UPLOAD)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_customer_changelist_links_to_import_export_and_dashboard_when_staff_opens_it(client, staff_user, tenant):
    make_customer(tenant, "ada")
    client.force_login(staff_user)

    body = client.get("/admin/customers/customer/").content.decode()

    assert 'href="/admin/console/import/"' in body
    assert 'href="/admin/console/export/"' in body
    assert 'href="/admin/console/dashboard/"' in body
    assert "export_customers_csv" in body
