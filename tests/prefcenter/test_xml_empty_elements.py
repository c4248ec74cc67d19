"""An empty XML element clears a text field, is null where only null is allowed, and is refused elsewhere."""

from __future__ import annotations

from http import HTTPStatus

from messaging.models import CategoryPreference
from prefcenter.models import ConsentEvent
from prefcenter.parsers import SafeXMLParser, XMLEmpty
from tests.factories import make_customer

TEAMUP = "/api/v2/customers"
REACH = "/api/resources/customers"


def parse(xml: str):
    import io

    return SafeXMLParser().parse(io.BytesIO(xml.encode()))


def test_parser_reads_an_empty_element_as_an_empty_string_when_self_closing_or_not():
    data = parse("<root><a/><b></b><c>x</c><items><list-item/><list-item>y</list-item></items></root>")
    assert data == {"a": "", "b": "", "c": "x", "items": ["", "y"]}
    assert isinstance(data["a"], XMLEmpty) and isinstance(data["b"], XMLEmpty)
    assert not isinstance(data["c"], XMLEmpty)


def test_teamup_patch_clears_text_fields_with_their_ledger_events_when_xml_elements_are_empty(api, customer):
    response = api.patch(
        f"{TEAMUP}/{customer.pk}", "<root><first_name/><last_name></last_name></root>",
        content_type="application/xml",
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert (response.json()["first_name"], response.json()["last_name"]) == ("", "")
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("", "")
    changes = ConsentEvent.objects.filter(customer_id=customer.pk, field__in=["first_name", "last_name"])
    assert sorted((e.field, e.old_value, e.new_value) for e in changes) == [
        ("first_name", "Ada", ""), ("last_name", "Lovelace", ""),
    ]


def test_reach_patch_clears_a_text_field_when_its_xml_element_is_empty(api, customer):
    response = api.patch(
        f"{REACH}/{customer.external_id}", "<root><data><lastName/></data></root>", content_type="application/xml"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    customer.refresh_from_db()
    assert customer.last_name == ""


def test_empty_xml_element_is_refused_and_nothing_written_when_the_field_is_a_boolean(api, customer, unchanged):
    with unchanged():
        response = api.patch(f"{TEAMUP}/{customer.pk}", "<root><sms_opt_out/></root>", content_type="application/xml")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"sms_opt_out": ["Must be a boolean (true or false)."]}


def test_empty_xml_category_sets_the_global_default_when_put_on_messaging(api, tenant):
    make_customer(tenant, "cust-x")
    response = api.put(
        "/v1/messaging/preferences", "<root><category/><email_enabled>false</email_enabled></root>",
        content_type="application/xml", HTTP_PREFCENTER_CUSTOMER="cust-x",
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["category"] is None
    row = CategoryPreference.objects.get(customer__external_id="cust-x")
    assert (row.category, row.email_enabled) == (None, False)


def test_empty_json_string_is_still_refused_when_the_field_may_be_null_but_not_blank(api, tenant, unchanged):
    make_customer(tenant, "cust-y")
    with unchanged():
        response = api.put(
            "/v1/messaging/preferences", {"category": "", "email_enabled": False}, format="json",
            HTTP_PREFCENTER_CUSTOMER="cust-y",
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"category": ["This field may not be blank."]}
