"""Tenant branding and catalog translations on the self-service pages (issue 14, item 9).

The tenant's display name, logo (uploaded in the admin, stored in the database, served by the
app), accent colour and support link; category and workflow names and descriptions per
language, edited in the admin and shown in the customer's language, else the tenant's text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from messaging.models import Category
from messaging.services import category_update
from prefcenter.branding import LOGO_MAX_BYTES, contrast_ratio, validate_accent_color, validate_logo
from prefcenter.exceptions import PrefCenterError
from prefcenter.logos import tenant_logo_set
from prefcenter.models import Tenant, TenantLogo
from prefcenter.translations import validate_translations
from selfservice import shell
from subscribers.catalog import tenant_catalog
from subscribers.models import Workflow
from subscribers.services.catalog import workflow_update
from tests.forms import form_values, read_form
from tests.prefcenter.conftest import superuser
from tests.selfservice.catalog import SYSTEM
from tests.selfservice.helpers import submission
from tests.selfservice.images import GIF, JPEG_HEAD, SVG, WEBP_HEAD, png

__all__ = ["superuser"]  # a fixture borrowed from the admin tests

STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def speaking(customer: Customer, locale: str) -> None:
    Customer.objects.filter(pk=customer.pk).update(locale=locale)


def text_of(response) -> str:
    return html.unescape(response.content.decode()).replace("\u00a0", " ")


def tenant_change(client, tenant: Tenant, **changes):
    page = client.get(f"/admin/prefcenter/tenant/{tenant.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    return client.post(f"/admin/prefcenter/tenant/{tenant.pk}/change/", form_values(page, **changes))


def as_row(tenant: Tenant) -> dict:
    return Tenant.objects.filter(pk=tenant.pk).values().get()


# ------------------------------------------------------------------------------- the accent colour


@pytest.mark.parametrize("value", ["#7a1f5c", "#1D4ED8", "#000000", ""])
def test_accent_colour_is_accepted_when_it_is_hex_and_dark_enough(value):
    validate_accent_color(value)


@pytest.mark.parametrize("value", ["7a1f5c", "#7a1f5", "#7a1f5cc", "#ggg000", "red", "#fff", "rgb(0,0,0)"])
def test_accent_colour_is_refused_when_it_is_not_six_digit_hex(value):
    with pytest.raises(ValidationError) as caught:
        validate_accent_color(value)
    assert caught.value.code == "invalid"


@pytest.mark.parametrize("value", ["#ffff00", "#ffffff", "#7cb9e8", "#ff6b6b"])
def test_accent_colour_is_refused_when_white_text_on_it_would_be_unreadable(value):
    with pytest.raises(ValidationError) as caught:
        validate_accent_color(value)
    assert caught.value.code == "low_contrast"
    assert "at least 4.5:1" in caught.value.messages[0]


def test_contrast_ratio_matches_wcag_when_black_meets_white():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#1d4ed8", "#ffffff"), 2) == 6.7


def test_accent_colour_change_is_refused_in_the_admin_when_too_light_and_nothing_is_written(
    client, superuser, tenant
):
    client.force_login(superuser)
    before = as_row(tenant)
    response = tenant_change(client, tenant, accent_color="#ffff00", display_name="Renamed")
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert "is too light" in response.content.decode()
    assert as_row(tenant) == before


def test_page_wears_the_accent_colour_when_the_tenant_has_one(
    client, superuser, tenant, catalog, person, page_path
):
    client.force_login(superuser)
    response = tenant_change(client, tenant, accent_color="#7a1f5c")
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(page_path)
    css = STYLE.search(page.content.decode()).group(1)
    assert css.endswith(":root{--brand:#7a1f5c;--on:#7a1f5c}\n")
    # The CSP allows exactly this stylesheet, and still only it.
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = page["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}';" in policy
    assert "script-src 'self';" in policy and "default-src 'none'" in policy and "unsafe" not in policy


def test_page_keeps_the_default_blue_when_the_tenant_has_no_accent(client, catalog, person, page_path):
    page = client.get(page_path)
    css = STYLE.search(page.content.decode()).group(1)
    assert "--brand: #1d4ed8;" in css and "--brand:#" not in css
    assert shell.stylesheet().csp_hash in page["Content-Security-Policy"]


# ------------------------------------------------------------------------------- name and support link


def test_page_names_the_tenant_by_its_display_name_when_one_is_set(
    client, tenant, catalog, person, page_path, unsubscribe_path
):
    Tenant.objects.filter(pk=tenant.pk).update(display_name="Acme Shop", support_url="https://help.example.com/a?b=1")
    text = text_of(client.get(page_path))
    assert "<title>Notification preferences · Acme Shop</title>" in text
    assert "Choose what Acme Shop sends you, and how." in text
    assert "Acme Shop notification preferences." in text
    assert "Acme Inc." not in text
    assert '<a class="support" href="https://help.example.com/a?b=1" rel="noopener noreferrer">Help</a>' in text
    assert "Acme Shop will stop sending you" in text_of(client.get(unsubscribe_path))


def test_page_uses_the_tenant_name_and_no_help_link_when_no_branding_is_set(client, catalog, person, page_path):
    text = text_of(client.get(page_path))
    assert "Choose what Acme Inc. sends you, and how." in text
    assert 'class="support"' not in text
    assert '<span class="logo" aria-hidden="true">A</span>' in text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.com/", "not a url", "data:text/html,hi"])
def test_support_link_is_refused_when_it_is_not_a_web_address(client, superuser, tenant, url):
    client.force_login(superuser)
    before = as_row(tenant)
    response = tenant_change(client, tenant, support_url=url)
    assert response.status_code == HTTPStatus.OK
    assert "errorlist" in response.content.decode()
    assert as_row(tenant) == before


# ------------------------------------------------------------------------------- the logo


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_logo_is_stored_and_served_when_a_png_is_uploaded_in_the_admin(
    client, superuser, tenant, catalog, person, page_path
):
    client.force_login(superuser)
    image = png(40, 20)
    response = tenant_change(client, tenant, logo_file=upload(image))
    assert response.status_code == HTTPStatus.FOUND
    digest = hashlib.sha256(image).hexdigest()
    assert Tenant.objects.get(pk=tenant.pk).logo_sha256 == digest
    logo = TenantLogo.objects.get(tenant=tenant)
    assert (bytes(logo.data), logo.content_type, logo.sha256) == (image, "image/png", digest)

    served = client.get(f"/assets/logos/{digest}")
    assert served.status_code == HTTPStatus.OK
    assert served.content == image
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"

    page = client.get(page_path).content.decode()
    assert f'<img class="logo-image" src="/assets/logos/{digest}" alt="" height="36">' in page
    assert 'class="logo"' not in page


@pytest.mark.parametrize(
    ("data", "name", "claimed"),
    [
        (GIF, "logo.gif", "image/gif"),
        (SVG, "logo.svg", "image/svg+xml"),
        (SVG, "logo.png", "image/png"),  # an SVG that says it is a PNG
        (b"MZ\x90\x00 not an image at all", "logo.png", "image/png"),
    ],
    ids=["gif", "svg", "svg-named-png", "binary-named-png"],
)
def test_logo_is_refused_when_the_file_is_not_png_jpeg_or_webp(
    client, superuser, tenant, data, name, claimed
):
    client.force_login(superuser)
    before = as_row(tenant)
    response = tenant_change(client, tenant, logo_file=upload(data, name, claimed), display_name="New")
    assert response.status_code == HTTPStatus.OK
    assert "The logo must be a PNG, JPEG or WebP image." in text_of(response)
    assert as_row(tenant) == before
    assert not TenantLogo.objects.exists()


def test_logo_is_refused_when_larger_than_256_kb_and_nothing_is_written(client, superuser, tenant):
    client.force_login(superuser)
    before = as_row(tenant)
    big = png() + b"\x00" * (LOGO_MAX_BYTES + 1 - len(png()))
    response = tenant_change(client, tenant, logo_file=upload(big))
    assert response.status_code == HTTPStatus.OK
    assert "The logo is 256 KB; at most 256 KB is allowed." in text_of(response)
    assert as_row(tenant) == before
    assert not TenantLogo.objects.exists()


def test_logo_of_exactly_256_kb_is_accepted_when_uploaded(tenant):
    exact = png() + b"\x00" * (LOGO_MAX_BYTES - len(png()))
    tenant_logo_set(tenant=tenant, data=exact)
    assert len(TenantLogo.objects.get(tenant=tenant).data) == LOGO_MAX_BYTES


@pytest.mark.parametrize(("data", "kind"), [(png(), "image/png"), (JPEG_HEAD, "image/jpeg"), (WEBP_HEAD, "image/webp")])
def test_logo_type_is_read_from_the_bytes_when_checked(data, kind):
    assert validate_logo(data) == kind


def test_logo_service_refuses_an_empty_file_and_writes_nothing(tenant):
    with pytest.raises(ValidationError):
        tenant_logo_set(tenant=tenant, data=b"")
    assert not TenantLogo.objects.exists()
    assert as_row(tenant)["logo_sha256"] == ""


def test_logo_is_gone_when_removed_in_the_admin(client, superuser, tenant, catalog, person, page_path):
    client.force_login(superuser)
    tenant_logo_set(tenant=tenant, data=png())
    digest = Tenant.objects.get(pk=tenant.pk).logo_sha256
    response = tenant_change(client, tenant, remove_logo="on")
    assert response.status_code == HTTPStatus.FOUND
    assert not TenantLogo.objects.exists()
    assert Tenant.objects.get(pk=tenant.pk).logo_sha256 == ""
    assert client.get(f"/assets/logos/{digest}").status_code == HTTPStatus.NOT_FOUND
    assert '<img class="logo-image"' not in client.get(page_path).content.decode()


def test_a_new_logo_gets_a_new_url_when_replaced(tenant):
    tenant_logo_set(tenant=tenant, data=png(rgb=(1, 2, 3)))
    first = Tenant.objects.get(pk=tenant.pk).logo_sha256
    tenant_logo_set(tenant=tenant, data=png(rgb=(4, 5, 6)))
    second = Tenant.objects.get(pk=tenant.pk).logo_sha256
    assert first != second
    assert TenantLogo.objects.count() == 1
    assert TenantLogo.objects.get().sha256 == second


@pytest.mark.parametrize("path", ["/assets/logos/" + "0" * 64, "/assets/logos/xyz", "/assets/logos/" + "A" * 64])
def test_logo_route_answers_404_when_no_logo_has_that_hash(client, db, path):
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


def test_page_costs_no_extra_query_when_the_tenant_has_a_logo(
    client, tenant, catalog, person, page_path, django_assert_max_num_queries
):
    tenant_logo_set(tenant=tenant, data=png())
    Tenant.objects.filter(pk=tenant.pk).update(accent_color="#7a1f5c", display_name="Acme Shop")
    with django_assert_max_num_queries(8):
        assert client.get(page_path).status_code == HTTPStatus.OK


# ------------------------------------------------------------------------------- the script


def test_page_script_is_served_by_the_app_when_the_page_links_it(client, catalog, person, page_path):
    page = client.get(page_path).content.decode()
    url = shell.script_url()
    assert f'<script src="{url}" defer' in page
    served = client.get(url)
    assert served.status_code == HTTPStatus.OK
    assert served["Content-Type"] == "text/javascript; charset=utf-8"
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"beforeunload" in served.content


def test_page_script_answers_404_when_its_version_is_not_the_current_one(client):
    assert client.get("/assets/selfservice/page.0000000000000000.js").status_code == HTTPStatus.NOT_FOUND


# ------------------------------------------------------------------------------- catalog translations

NEWS = {
    "fr": {"name": "Actualités et offres", "description": "Nouveautés, conseils et offres."},
    "de": {"name": "Neuigkeiten und Angebote"},  # no German description: the tenant's text is shown
}
NEWSLETTER = {"fr": {"name": "Lettre mensuelle", "description": "Une fois par mois."}}


@pytest.fixture
def translated(catalog):
    category_update(category=catalog.news, actor=SYSTEM, translations=NEWS)
    workflow_update(workflow=catalog.newsletter, actor=SYSTEM, translations=NEWSLETTER)
    return catalog


@pytest.mark.parametrize("locale", ["fr", "fr-CA"])
def test_page_shows_the_catalog_in_french_when_the_customer_reads_french(client, translated, person, page_path, locale):
    speaking(person, locale)
    text = text_of(client.get(page_path))
    assert "Actualités et offres" in text and "Nouveautés, conseils et offres." in text
    assert "Lettre mensuelle" in text and "Une fois par mois." in text
    assert "News and offers" not in text and "Monthly newsletter" not in text
    assert "Orders and deliveries" in text  # not translated: the tenant's text


def test_page_falls_back_to_the_tenant_text_when_a_language_lacks_a_field(client, translated, person, page_path):
    speaking(person, "de")
    text = text_of(client.get(page_path))
    assert "Neuigkeiten und Angebote" in text
    assert "Product news, tips and the occasional offer." in text  # no German description
    assert "Monthly newsletter" in text  # no German name


def test_page_shows_the_tenant_text_when_the_page_is_english(client, translated, person, page_path):
    text = text_of(client.get(page_path))
    assert "News and offers" in text and "Monthly newsletter" in text
    assert "Actualités" not in text and "Neuigkeiten" not in text


def test_shared_catalog_keeps_the_tenant_text_when_a_french_page_was_shown(client, translated, person, page_path):
    speaking(person, "fr")
    client.get(page_path)
    cached = {entry.workflow.identifier: entry.workflow for entry in tenant_catalog(person.tenant).entries}
    assert cached["newsletter"].name == "Monthly newsletter"
    assert cached["newsletter"].category.name == "News and offers"
    speaking(person, "en")
    assert "Monthly newsletter" in text_of(client.get(page_path))


def test_saved_changes_are_listed_in_french_when_the_page_is_french(client, translated, person, page_path):
    speaking(person, "fr")
    form = read_form(client.get(page_path).content.decode())
    response = client.post(page_path, submission(form, **{f"w{translated.newsletter.pk}_email": False}), follow=True)
    assert "Lettre mensuelle · E-mail" in text_of(response)


def test_translations_are_saved_when_edited_in_the_admin(client, superuser, catalog):
    client.force_login(superuser)
    url = f"/admin/messaging/category/{catalog.news.pk}/change/"
    page = client.get(url)
    assert 'name="name_fr"' in page.content.decode() and 'name="description_de"' in page.content.decode()
    response = client.post(url, form_values(page, name_fr="  Actualités  ", description_de="Produktneuigkeiten."))
    assert response.status_code == HTTPStatus.FOUND
    assert Category.objects.get(pk=catalog.news.pk).translations == {
        "fr": {"name": "Actualités"},
        "de": {"description": "Produktneuigkeiten."},
    }
    # The form shows them back, and emptying them removes them.
    page = client.get(url)
    assert 'value="Actualités"' in page.content.decode()
    client.post(url, form_values(page, name_fr="", description_de=""))
    assert Category.objects.get(pk=catalog.news.pk).translations == {}

    url = f"/admin/subscribers/workflow/{catalog.newsletter.pk}/change/"
    response = client.post(url, form_values(client.get(url), name_de="Monatlicher Rundbrief"))
    assert response.status_code == HTTPStatus.FOUND
    assert Workflow.objects.get(pk=catalog.newsletter.pk).translations == {"de": {"name": "Monatlicher Rundbrief"}}


def test_translation_is_refused_in_the_admin_when_too_long_and_nothing_is_written(
    client, superuser, catalog
):
    client.force_login(superuser)
    url = f"/admin/messaging/category/{catalog.news.pk}/change/"
    before = Category.objects.filter(pk=catalog.news.pk).values().get()
    response = client.post(url, form_values(client.get(url), name_fr="x" * 201, description="Changed"))
    assert response.status_code == HTTPStatus.OK
    assert Category.objects.filter(pk=catalog.news.pk).values().get() == before


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"es": {"name": "Noticias"}},
        {"en": {"name": "News"}},
        {"fr": "Actualités"},
        {"fr": {"title": "Actualités"}},
        {"fr": {"name": ""}},
        {"fr": {"name": "   "}},
        {"fr": {"name": 3}},
        {"fr": {"name": "x" * 201}},
        {"de": {"description": "x" * 2001}},
        {"de": {"name": "a\x00b"}},
    ],
)
def test_translations_are_refused_when_not_language_to_name_and_description(value):
    with pytest.raises(ValidationError):
        validate_translations(value)


def test_category_service_refuses_bad_translations_and_writes_nothing(catalog):
    before = Category.objects.filter(pk=catalog.news.pk).values().get()
    with pytest.raises(PrefCenterError):
        category_update(category=catalog.news, actor=SYSTEM, translations={"xx": {"name": "?"}})
    assert Category.objects.filter(pk=catalog.news.pk).values().get() == before


def test_workflow_service_refuses_bad_translations_and_writes_nothing(catalog):
    before = Workflow.objects.filter(pk=catalog.newsletter.pk).values().get()
    with pytest.raises(PrefCenterError):
        workflow_update(workflow=catalog.newsletter, actor=SYSTEM, translations={"fr": {"name": ""}})
    assert Workflow.objects.filter(pk=catalog.newsletter.pk).values().get() == before


def test_translations_stay_out_of_the_api_when_a_category_is_read(api, catalog):
    body = api.get(f"/v1/messaging/categories/{catalog.news.key}").json()
    assert "translations" not in str(body)
