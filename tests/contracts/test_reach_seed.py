"""Seed 003 (Reach "Patch Customer Resource"), replayed: request shape, envelopes, defaults, twins.

Quotes from the seed are the contract; every documented field, key and default is asserted.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.conf import settings

from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_customer
from tests.prefcenter.envelopes import reach_error, reach_not_found

PATH = "/api/resources/customers/{externalId}"
COLLECTION = "/api/resources/customers"

# Seed: requestBody.data properties (every documented field).
SEED_DATA_FIELDS = (
    "customerId",
    "email",
    "phone",
    "firstName",
    "lastName",
    "emailOptOut",
    "smsOptOut",
    "customerDetailUrl",
    "createdAt",
)
# Seed: responses.200 ... result.required
SEED_RESULT_REQUIRED = (
    "id",
    "schema_definition_id",
    "schemaDefinitionId",
    "platform_id",
    "platformId",
    "business_id",
    "businessId",
    "resource_external_id",
    "resourceExternalId",
    "created_at",
    "createdAt",
    "updated_at",
    "updatedAt",
    "data",
)
# Seed: result.data.required
SEED_DATA_REQUIRED = ("customerId", "firstName", "lastName", "createdAt")

FULL_PATCH = {
    "data": {
        "customerId": "cust-1",
        "email": "grace@example.com",
        "phone": "+14155550123",
        "firstName": "Grace",
        "lastName": "Hopper",
        "emailOptOut": True,
        "smsOptOut": False,
        "customerDetailUrl": "https://crm.example.com/customers/cust-1",
        "createdAt": "2024-01-02T03:04:05Z",
    }
}


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def expected_result(customer: Customer, data: dict) -> dict:
    """A result as the seed documents it, built from the stored row (twins equal their camelCase).

    The schema definition ids are checked apart (split_schema_ids): a stable uuid per tenant.
    """
    customer.refresh_from_db()
    return {
        "id": str(customer.uuid),
        "platform_id": settings.PREFCENTER_PLATFORM_ID,
        "platformId": settings.PREFCENTER_PLATFORM_ID,
        "business_id": str(customer.tenant.uuid),
        "businessId": str(customer.tenant.uuid),
        "resource_external_id": customer.external_id,
        "resourceExternalId": customer.external_id,
        "created_at": iso(customer.created_at),
        "createdAt": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "updatedAt": iso(customer.updated_at),
        "data": data,
    }


def split_schema_ids(result: dict) -> tuple[str, dict]:
    """Pops both schema definition ids, asserts they are the same uuid, returns it and the rest."""
    rest = dict(result)
    twin, camel = rest.pop("schema_definition_id"), rest.pop("schemaDefinitionId")
    assert twin == camel
    uuid.UUID(camel)
    return camel, rest


# --------------------------------------------------------------------------- PATCH (the seed's operation)


def test_patch_replays_seed_request_with_every_documented_field_when_customer_exists(api, customer):
    response = api.patch(PATH.format(externalId="cust-1"), FULL_PATCH, format="json")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {"success", "message", "data"}
    assert body["success"] is True
    assert body["message"] == "Customer updated successfully"
    assert set(body["data"]) == {"result", "included"}
    assert body["data"]["included"] == []
    result = body["data"]["result"]
    assert set(SEED_RESULT_REQUIRED) <= set(result)
    assert set(SEED_DATA_REQUIRED) <= set(result["data"])
    _, rest = split_schema_ids(result)
    assert rest == expected_result(customer, dict(FULL_PATCH["data"]))


def test_patch_stores_every_documented_field_when_replayed(api, customer):
    api.patch(PATH.format(externalId="cust-1"), FULL_PATCH, format="json")

    customer.refresh_from_db()
    assert (
        customer.email,
        customer.phone,
        customer.first_name,
        customer.last_name,
        customer.email_opt_out,
        customer.sms_opt_out,
        customer.detail_url,
        iso(customer.source_created_at),
    ) == (
        "grace@example.com",
        "+14155550123",
        "Grace",
        "Hopper",
        True,
        False,
        "https://crm.example.com/customers/cust-1",
        "2024-01-02T03:04:05Z",
    )


def test_patch_is_incremental_when_only_one_field_is_sent(api, customer):
    response = api.patch(PATH.format(externalId="cust-1"), {"data": {"lastName": "Byron"}}, format="json")

    customer.refresh_from_db()
    assert response.status_code == HTTPStatus.OK
    assert (customer.first_name, customer.last_name, customer.email) == ("Ada", "Byron", "ada@example.com")
    assert response.json()["data"]["result"]["data"] == {
        "customerId": "cust-1",
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Byron",
        "emailOptOut": False,
        "smsOptOut": True,
        "createdAt": iso(customer.created_at),
    }


def test_schema_definition_id_is_stable_per_tenant_when_customers_differ(
    api, tenant, customer, other_tenant, client_for
):
    make_customer(tenant, "cust-2")
    make_customer(other_tenant, "cust-1")
    other = client_for(make_api_key(other_tenant)[1])

    first = api.get(PATH.format(externalId="cust-1")).json()["data"]["result"]["schemaDefinitionId"]
    second = api.get(PATH.format(externalId="cust-2")).json()["data"]["result"]["schemaDefinitionId"]
    foreign = other.get(PATH.format(externalId="cust-1")).json()["data"]["result"]["schemaDefinitionId"]

    assert first == second
    assert first != foreign


def test_patch_accepts_empty_data_when_nothing_changes(api, customer):
    before = ConsentEvent.objects.count()

    response = api.patch(PATH.format(externalId="cust-1"), {"data": {}}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["success"] is True
    assert ConsentEvent.objects.count() == before


def test_patch_is_400_when_data_is_missing(api, customer, unchanged):
    with unchanged():
        response = api.patch(PATH.format(externalId="cust-1"), {}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        "Invalid input: data: This field is required.", ["data: This field is required."]
    )


def test_patch_is_400_when_customer_id_differs_from_path(api, customer, unchanged):
    with unchanged():
        response = api.patch(PATH.format(externalId="cust-1"), {"data": {"customerId": "cust-2"}}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        "customerId does not match the externalId in the path; external ids cannot be changed.",
        ["data.customerId: Must equal the externalId in the path."],
    )


# --------------------------------------------------------------------------- ignoreUnknownFields


def test_unknown_fields_are_400_listing_them_when_ignore_unknown_fields_is_false(api, customer, unchanged):
    body = {"data": {"firstName": "Grace", "favouriteColour": "blue", "shoeSize": 42}, "meta": {}}

    with unchanged():
        default = api.patch(PATH.format(externalId="cust-1"), body, format="json")
        explicit = api.patch(PATH.format(externalId="cust-1") + "?ignoreUnknownFields=false", body, format="json")

    expected = reach_error(
        "Unknown fields: meta, data.favouriteColour, data.shoeSize. "
        "Set ignoreUnknownFields=true to accept and ignore them.",
        ["meta: Unknown field.", "data.favouriteColour: Unknown field.", "data.shoeSize: Unknown field."],
    )
    for response in (default, explicit):
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json() == expected


def test_unknown_fields_are_accepted_not_saved_when_ignore_unknown_fields_is_true(api, customer):
    body = {"data": {"firstName": "Grace", "favouriteColour": "blue"}}

    response = api.patch(PATH.format(externalId="cust-1") + "?ignoreUnknownFields=true", body, format="json")

    customer.refresh_from_db()
    assert response.status_code == HTTPStatus.OK
    assert customer.first_name == "Grace"
    assert "favouriteColour" not in response.json()["data"]["result"]["data"]
    assert list(ConsentEvent.objects.filter(customer_id=customer.pk).values_list("field", flat=True)) == ["first_name"]


def test_ignore_unknown_fields_null_means_false_when_sent(api, customer, unchanged):
    """The seed documents the parameter as nullable with default false."""
    with unchanged():
        response = api.patch(
            PATH.format(externalId="cust-1") + "?ignoreUnknownFields=null", {"data": {"x": 1}}, format="json"
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_ignore_unknown_fields_is_400_when_not_a_boolean(api, customer, unchanged):
    with unchanged():
        response = api.patch(
            PATH.format(externalId="cust-1") + "?ignoreUnknownFields=maybe", {"data": {}}, format="json"
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        "ignoreUnknownFields must be true or false.", ["ignoreUnknownFields: Must be true or false."]
    )


def test_unknown_fields_still_validate_known_ones_when_ignored(api, customer, unchanged):
    with unchanged():
        response = api.patch(
            PATH.format(externalId="cust-1") + "?ignoreUnknownFields=true",
            {"data": {"smsOptOut": "yes", "extra": 1}},
            format="json",
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == ["data.smsOptOut: Must be a boolean (true or false)."]


# --------------------------------------------------------------------------- validation and 404 envelopes


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"smsOptOut": "yes"}, ["data.smsOptOut: Must be a boolean (true or false)."]),
        ({"emailOptOut": 1}, ["data.emailOptOut: Must be a boolean (true or false)."]),
        ({"smsOptOut": None}, ["data.smsOptOut: This field may not be null."]),
        ({"firstName": 123}, ["data.firstName: Must be a string."]),
        ({"email": "not-an-email"}, ["data.email: Enter a valid email address."]),
        ({"phone": "4155550123"}, ["data.phone: Enter a phone number in E.164 format, e.g. +14155550123."]),
        ({"lastName": "x" * 151}, ["data.lastName: Ensure this field has no more than 150 characters."]),
        ({"customerDetailUrl": "javascript:alert(1)"}, ["data.customerDetailUrl: Enter a valid http(s) URL."]),
        (
            {"smsOptOut": "yes", "firstName": 123},
            ["data.firstName: Must be a string.", "data.smsOptOut: Must be a boolean (true or false)."],
        ),
    ],
)
def test_validation_is_400_in_reach_envelope_when_a_field_is_wrong(api, customer, unchanged, data, errors):
    with unchanged():
        response = api.patch(PATH.format(externalId="cust-1"), {"data": data}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body == {"success": False, "message": body["message"], "errors": errors}
    assert body["message"].startswith("Invalid input: " + errors[0])


def test_validation_is_400_when_data_is_not_an_object(api, customer, unchanged):
    with unchanged():
        response = api.patch(PATH.format(externalId="cust-1"), {"data": ["firstName"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["success"] is False
    assert response.json()["errors"][0].startswith("data.non_field_errors: Invalid data.")


def test_validation_is_400_when_body_is_not_an_object(api, customer, unchanged):
    with unchanged():
        response = api.patch(PATH.format(externalId="cust-1"), ["data"], format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        "The request body must be an object with a 'data' object.", ["body: Must be an object."]
    )


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_customer_is_404_in_reach_envelope_when_addressed(api, customer, unchanged, method):
    with unchanged():
        response = getattr(api, method)(PATH.format(externalId="nobody"), {"data": {"firstName": "X"}}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == reach_not_found("Customer 'nobody' not found.")


def test_another_tenants_customer_is_404_when_addressed_by_external_id(api, other_tenant, unchanged):
    make_customer(other_tenant, "theirs")

    with unchanged():
        response = api.patch(PATH.format(externalId="theirs"), {"data": {"firstName": "X"}}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == reach_not_found("Customer 'theirs' not found.")


# --------------------------------------------------------------------------- POST create, GET, DELETE


def test_post_creates_customer_with_seed_defaults_when_opt_outs_are_absent(api, tenant):
    body = {"data": {"customerId": "new-1", "firstName": "Alan", "lastName": "Turing"}}

    response = api.post(COLLECTION, body, format="json")

    customer = Customer.objects.get(tenant=tenant, external_id="new-1")
    assert response.status_code == HTTPStatus.CREATED
    payload = response.json()
    assert (payload["success"], payload["message"], payload["data"]["included"]) == (
        True,
        "Customer created successfully",
        [],
    )
    _, rest = split_schema_ids(payload["data"]["result"])
    assert rest == expected_result(
        customer,
        {
            "customerId": "new-1",
            "firstName": "Alan",
            "lastName": "Turing",
            "emailOptOut": False,
            "smsOptOut": True,
            "createdAt": iso(customer.created_at),
        },
    )
    assert (customer.email_opt_out, customer.sms_opt_out) == (False, True)


def test_post_creates_customer_with_every_documented_field_when_given(api, tenant):
    body = {"data": {**FULL_PATCH["data"], "customerId": "new-2"}}

    response = api.post(COLLECTION, body, format="json")

    customer = Customer.objects.get(tenant=tenant, external_id="new-2")
    assert response.status_code == HTTPStatus.CREATED
    _, rest = split_schema_ids(response.json()["data"]["result"])
    assert rest == expected_result(customer, body["data"])


def test_post_is_400_when_customer_id_is_missing(api, tenant, unchanged):
    with unchanged():
        response = api.post(COLLECTION, {"data": {"firstName": "Alan"}}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        "Invalid input: data.customerId: This field is required.", ["data.customerId: This field is required."]
    )


def test_post_is_409_when_customer_id_already_exists(api, customer, unchanged):
    with unchanged():
        response = api.post(COLLECTION, {"data": {"customerId": "cust-1", "firstName": "Dup"}}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == reach_error(
        "A customer with external id 'cust-1' already exists.", ["data.customerId: Already exists in this tenant."]
    )


def test_post_creates_when_the_same_customer_id_exists_in_another_tenant(api, other_tenant, tenant):
    make_customer(other_tenant, "shared-id")

    response = api.post(COLLECTION, {"data": {"customerId": "shared-id"}}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert Customer.objects.filter(external_id="shared-id").count() == 2


def test_post_rejects_unknown_fields_unless_ignored_when_creating(api, tenant, unchanged):
    body = {"data": {"customerId": "new-3", "nickname": "Al"}}

    with unchanged():
        refused = api.post(COLLECTION, body, format="json")
    accepted = api.post(COLLECTION + "?ignoreUnknownFields=true", body, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["errors"] == ["data.nickname: Unknown field."]
    assert accepted.status_code == HTTPStatus.CREATED
    assert "nickname" not in accepted.json()["data"]["result"]["data"]


def test_get_answers_the_success_envelope_when_customer_exists(api, customer):
    response = api.get(PATH.format(externalId="cust-1"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["success"], body["message"], body["data"]["included"]) == (True, "Customer retrieved successfully", [])
    _, rest = split_schema_ids(body["data"]["result"])
    assert rest == expected_result(
        customer,
        {
            "customerId": "cust-1",
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "emailOptOut": False,
            "smsOptOut": True,
            "createdAt": iso(customer.created_at),
        },
    )


def test_delete_removes_customer_and_answers_the_envelope_when_customer_exists(api, customer):
    expected_data = {
        "customerId": "cust-1",
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "emailOptOut": False,
        "smsOptOut": True,
        "createdAt": iso(customer.created_at),
    }
    expected = expected_result(customer, expected_data)

    response = api.delete(PATH.format(externalId="cust-1"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["success"], body["message"], body["data"]["included"]) == (True, "Customer deleted successfully", [])
    _, rest = split_schema_ids(body["data"]["result"])
    assert rest == expected
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert api.get(PATH.format(externalId="cust-1")).status_code == HTTPStatus.NOT_FOUND
    deleted = ConsentEvent.objects.get(customer_id=customer.pk, field="deleted")
    assert (deleted.old_value, deleted.new_value, deleted.source) == (False, True, "api")


def test_external_id_with_special_characters_round_trips_when_url_encoded(api, tenant):
    api.post(COLLECTION, {"data": {"customerId": "user@example.com:42"}}, format="json")

    response = api.get(PATH.format(externalId="user%40example.com%3A42"))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"]["result"]["resourceExternalId"] == "user@example.com:42"
