"""PUT/GET/DELETE /v1/messaging/preferences: the caller's category preferences (seed 001)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import CategoryPreference
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_category, make_category_preference, make_customer, make_customer_token
from tests.messaging.conftest import PREFERENCES_URL, body_of, category_body, events_for

# ----------------------------------------------------------------------------- PUT: create and replace


def test_put_creates_global_default_when_category_omitted(as_customer, customer):
    response = as_customer("put", PREFERENCES_URL, {"email_enabled": False, "digest": "daily"})

    assert response.status_code == HTTPStatus.OK
    preference = CategoryPreference.objects.get(customer=customer)
    assert preference.category is None
    assert response.json() == body_of(preference)
    assert response.json()["category"] is None
    assert response.json()["email_enabled"] is False
    assert response.json()["digest"] == "daily"


def test_put_creates_global_default_when_category_is_null(as_customer, customer):
    response = as_customer("put", PREFERENCES_URL, {"category": None, "push_enabled": False})

    assert response.status_code == HTTPStatus.OK
    preference = CategoryPreference.objects.get(customer=customer, category__isnull=True)
    assert response.json() == body_of(preference)


def test_put_creates_category_preference_when_category_given(as_customer, customer, marketing):
    response = as_customer(
        "put", PREFERENCES_URL,
        {"category": "marketing", "in_app_enabled": True, "email_enabled": False, "push_enabled": True,
         "digest": "hourly"},
    )

    assert response.status_code == HTTPStatus.OK
    preference = CategoryPreference.objects.get(customer=customer, category=marketing)
    assert response.json() == body_of(preference)
    assert (preference.in_app_enabled, preference.email_enabled, preference.push_enabled, preference.digest) == (
        True, False, True, "hourly"
    )


def test_put_takes_category_channel_defaults_when_booleans_omitted(as_customer, customer, marketing):
    response = as_customer("put", PREFERENCES_URL, {"category": "marketing"})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    # marketing: default_in_app false, default_email true, default_push false; digest defaults to instant
    # (the seed's documented default), not the category's default digest.
    assert (body["in_app_enabled"], body["email_enabled"], body["push_enabled"], body["digest"]) == (
        False, True, False, "instant"
    )


def test_put_takes_tenant_channel_defaults_when_global_booleans_omitted(as_customer, customer, tenant):
    tenant.channel_defaults = {**tenant.channel_defaults, "push": False}
    tenant.save()

    response = as_customer("put", PREFERENCES_URL, {})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["category"], body["in_app_enabled"], body["email_enabled"], body["push_enabled"], body["digest"]) == (
        None, True, True, False, "instant"
    )


def test_put_replaces_every_field_when_sent_again_with_fewer_fields(as_customer, customer, marketing):
    as_customer("put", PREFERENCES_URL, {"category": "marketing", "in_app_enabled": True, "push_enabled": True,
                                         "email_enabled": False, "digest": "off"})

    response = as_customer("put", PREFERENCES_URL, {"category": "marketing", "email_enabled": True})

    body = response.json()
    assert (body["in_app_enabled"], body["email_enabled"], body["push_enabled"], body["digest"]) == (
        False, True, False, "instant"
    )
    assert CategoryPreference.objects.filter(customer=customer).count() == 1


def test_put_is_idempotent_when_same_body_sent_twice(as_customer, customer, marketing):
    body = {"category": "marketing", "in_app_enabled": True, "email_enabled": False, "push_enabled": False,
            "digest": "daily"}
    first = as_customer("put", PREFERENCES_URL, body)
    events_after_first = ConsentEvent.objects.count()

    second = as_customer("put", PREFERENCES_URL, body)

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.json() == first.json()
    assert CategoryPreference.objects.filter(customer=customer).count() == 1
    assert ConsentEvent.objects.count() == events_after_first


def test_put_records_one_event_per_changed_field_when_updating(as_customer, customer, marketing):
    as_customer("put", PREFERENCES_URL, {"category": "marketing", "email_enabled": True, "digest": "instant"})
    created = events_for(customer)

    as_customer("put", PREFERENCES_URL, {"category": "marketing", "email_enabled": False, "digest": "daily"})

    assert created == [
        ("category:marketing", "in_app_enabled", None, False),
        ("category:marketing", "email_enabled", None, True),
        ("category:marketing", "push_enabled", None, False),
        ("category:marketing", "digest", None, "instant"),
    ]
    assert events_for(customer)[len(created):] == [
        ("category:marketing", "email_enabled", True, False),
        ("category:marketing", "digest", "instant", "daily"),
    ]
    event = ConsentEvent.objects.order_by("-id").first()
    assert (event.source, event.customer_external_id) == ("api", "cust-1")
    assert event.actor.startswith("api_key:")


def test_put_records_global_subject_when_category_omitted(as_customer, customer):
    as_customer("put", PREFERENCES_URL, {"push_enabled": False})

    assert {subject for subject, *_ in events_for(customer)} == {"category:*"}


def test_put_accepts_xml_body_when_content_type_is_xml(api, customer, marketing):
    xml = (
        "<root><category>marketing</category><in_app_enabled>true</in_app_enabled>"
        "<email_enabled>false</email_enabled><push_enabled>true</push_enabled><digest>hourly</digest></root>"
    )
    response = api.put(PREFERENCES_URL, xml, content_type="application/xml", HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.OK, response.content
    preference = CategoryPreference.objects.get(customer=customer, category__key="marketing")
    assert response.json() == body_of(preference)
    assert (preference.in_app_enabled, preference.email_enabled, preference.push_enabled, preference.digest) == (
        True, False, True, "hourly"
    )


def test_put_answers_xml_when_format_is_xml(api, customer):
    response = api.put(
        f"{PREFERENCES_URL}?format=xml", {"email_enabled": False}, format="json", HTTP_PREFCENTER_CUSTOMER="cust-1"
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/xml")
    text = response.content.decode()
    preference = CategoryPreference.objects.get(customer=customer)
    assert f"<id>{preference.public_id}</id>" in text
    assert "<object>notification_preference</object>" in text
    assert "<category></category>" in text
    assert "<email_enabled>false</email_enabled>" in text
    assert "<in_app_enabled>true</in_app_enabled>" in text
    assert "<digest>instant</digest>" in text


def test_put_applies_fields_and_expand_when_asked(as_customer, customer, marketing):
    response = as_customer("put", f"{PREFERENCES_URL}?fields=id,category.key,category.mandatory,digest"
                                  "&expand=category", {"category": "marketing"})

    assert response.status_code == HTTPStatus.OK
    preference = CategoryPreference.objects.get(customer=customer)
    assert response.json() == {
        "id": str(preference.public_id), "category": {"key": "marketing", "mandatory": False}, "digest": "instant",
    }


# ----------------------------------------------------------------------------- mandatory categories


@pytest.mark.parametrize("field", ["in_app_enabled", "email_enabled", "push_enabled"])
def test_put_refuses_turning_channel_off_when_category_mandatory(as_customer, customer, billing, unchanged, field):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"category": "billing", field: False})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["errors"] == {field: ["Cannot be turned off: category 'billing' is mandatory."]}
    assert "cannot be turned off" in body["detail"]


def test_put_refuses_digest_off_when_category_mandatory(as_customer, customer, billing, unchanged):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"category": "billing", "digest": "off"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {
        "digest": ["Cannot be 'off': category 'billing' is mandatory, and digest 'off' turns its email off."]
    }


def test_put_accepts_digest_change_when_category_mandatory(as_customer, customer, billing):
    response = as_customer("put", PREFERENCES_URL, {"category": "billing", "digest": "daily"})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["digest"] == "daily"
    assert (response.json()["email_enabled"], response.json()["push_enabled"]) == (True, True)


def test_put_allows_global_off_when_some_category_is_mandatory(as_customer, customer, billing):
    response = as_customer("put", PREFERENCES_URL, {"email_enabled": False, "digest": "off"})

    assert response.status_code == HTTPStatus.OK


# ----------------------------------------------------------------------------- bad input: clear 4xx, nothing written


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"digest": "weekly"}, "digest", "'weekly' is not one of: instant, hourly, daily, off."),
        ({"digest": 1}, "digest", "Must be a string."),
        ({"digest": None}, "digest", "This field may not be null."),
        ({"email_enabled": "yes"}, "email_enabled", "Must be a boolean (true or false)."),
        ({"email_enabled": 1}, "email_enabled", "Must be a boolean (true or false)."),
        ({"push_enabled": None}, "push_enabled", "This field may not be null."),
        ({"in_app_enabled": []}, "in_app_enabled", "Must be a boolean (true or false)."),
        ({"category": 5}, "category", "Must be a string."),
        ({"category": ""}, "category", "This field may not be blank."),
        ({"channels": {"email": True}}, "channels", "Unknown field."),
        ({"digest": "daily", "customer": "cust-2"}, "customer", "Unknown field."),
    ],
)
def test_put_answers_400_naming_the_field_when_input_is_bad(as_customer, customer, marketing, unchanged,
                                                            body, field, message):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    payload = response.json()
    assert payload["errors"] == {field: [message]}
    assert payload["code"] == "invalid"
    assert payload["status"] == 400
    assert field in payload["detail"]


def test_put_answers_400_when_body_is_not_an_object(as_customer, customer, unchanged):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, [{"digest": "daily"}])

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "non_field_errors" in response.json()["errors"]


def test_put_answers_400_when_json_is_malformed(api, customer, unchanged):
    with unchanged():
        response = api.put(PREFERENCES_URL, "{not json", content_type="application/json",
                           HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/json")


def test_put_answers_400_when_xml_boolean_is_not_a_boolean(api, customer, unchanged):
    with unchanged():
        response = api.put(PREFERENCES_URL, "<root><email_enabled>yes</email_enabled></root>",
                           content_type="application/xml", HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"email_enabled": ["Must be a boolean (true or false)."]}


def test_put_answers_404_when_category_unknown(as_customer, customer, unchanged):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"category": "nope", "email_enabled": False})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"].startswith("Category 'nope' not found.")
    assert response.json()["errors"] == {"category": ["No category with key 'nope' in this tenant."]}


def test_put_answers_404_when_category_belongs_to_another_tenant(as_customer, customer, other_category, unchanged):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"category": other_category.key})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"].startswith(f"Category '{other_category.key}' not found.")


def test_put_answers_400_when_provider_mode_names_no_customer(api, customer, unchanged):
    with unchanged():
        response = api.put(PREFERENCES_URL, {"email_enabled": False}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "customer_required"
    assert body["errors"] == {"Prefcenter-Customer": ["This header is required in provider mode."]}
    assert "Prefcenter-Customer" in body["detail"]


def test_put_answers_404_when_provider_mode_names_unknown_customer(as_customer, customer, unchanged):
    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"email_enabled": False}, external_id="nobody")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"] == "Customer 'nobody' not found."


def test_put_answers_404_when_customer_belongs_to_another_tenant(as_customer, customer, other_tenant, unchanged):
    make_customer(other_tenant, "globex-only")

    with unchanged():
        response = as_customer("put", PREFERENCES_URL, {"email_enabled": False}, external_id="globex-only")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_put_answers_403_naming_permission_when_scope_missing(scoped_api, customer, unchanged):
    client = scoped_api(["messaging:read"])

    with unchanged():
        response = client.put(PREFERENCES_URL, {"email_enabled": False}, format="json",
                              HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.json()
    assert body["detail"] == (
        "Missing permission: messaging:update. "
        "The role behind your API key or agent must grant every one of these permissions."
    )
    assert body["errors"] == {"scopes": ["Requires messaging:update."]}


def test_put_answers_401_when_unauthenticated(client_for, customer, unchanged):
    with unchanged():
        response = client_for(None).put(PREFERENCES_URL, {"email_enabled": False}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"].startswith("application/json")


# ----------------------------------------------------------------------------- customer mode


def test_put_acts_for_own_customer_when_customer_mode(customer_api, customer, marketing):
    response = customer_api.put(PREFERENCES_URL, {"category": "marketing", "email_enabled": False}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == body_of(CategoryPreference.objects.get(customer=customer))


def test_put_accepts_own_external_id_in_header_when_customer_mode(customer_api, customer):
    response = customer_api.put(PREFERENCES_URL, {"email_enabled": False}, format="json",
                                HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.OK
    assert CategoryPreference.objects.filter(customer=customer).count() == 1


def test_put_answers_404_when_customer_mode_names_another_customer(customer_api, customer, other_customer,
                                                                   unchanged):
    with unchanged():
        response = customer_api.put(PREFERENCES_URL, {"email_enabled": False}, format="json",
                                    HTTP_PREFCENTER_CUSTOMER="cust-2")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"] == "Not found."


def test_put_acts_for_token_subject_when_customer_jwt(client_for, tenant, customer):
    client = client_for(make_customer_token(tenant, "cust-1"), scheme="Bearer")

    response = client.put(PREFERENCES_URL, {"push_enabled": False}, format="json")

    assert response.status_code == HTTPStatus.OK
    preference = CategoryPreference.objects.get(customer=customer)
    assert preference.push_enabled is False
    assert ConsentEvent.objects.filter(customer_id=customer.pk, actor__contains="cust-1").exists()


def test_put_answers_404_when_customer_jwt_names_a_deleted_customer(client_for, tenant, unchanged):
    client = client_for(make_customer_token(tenant, "ghost"), scheme="Bearer")

    with unchanged():
        response = client.put(PREFERENCES_URL, {"push_enabled": False}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND


# ----------------------------------------------------------------------------- GET list and detail


def test_list_returns_own_preferences_with_global_when_several_exist(as_customer, customer, other_customer,
                                                                     marketing, billing):
    global_row = make_category_preference(customer, None, push_enabled=False)
    marketing_row = make_category_preference(customer, marketing, digest="daily")
    make_category_preference(other_customer, marketing, email_enabled=False)

    response = as_customer("get", PREFERENCES_URL)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "count": 2, "next": None, "previous": None, "results": [body_of(global_row), body_of(marketing_row)],
    }


def test_list_filters_by_category_when_category_given(as_customer, customer, marketing, billing):
    make_category_preference(customer, None)
    billing_row = make_category_preference(customer, billing, digest="hourly")

    response = as_customer("get", f"{PREFERENCES_URL}?category=billing")

    assert response.json()["results"] == [body_of(billing_row)]


def test_list_returns_global_only_when_category_is_null(as_customer, customer, marketing):
    global_row = make_category_preference(customer, None)
    make_category_preference(customer, marketing)

    response = as_customer("get", f"{PREFERENCES_URL}?category=null")

    assert response.json()["results"] == [body_of(global_row)]


def test_list_answers_404_when_category_filter_unknown(as_customer, customer):
    response = as_customer("get", f"{PREFERENCES_URL}?category=nope")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"].startswith("Category 'nope' not found.")


def test_list_embeds_category_when_expanded(as_customer, customer, marketing):
    global_row = make_category_preference(customer, None)
    marketing_row = make_category_preference(customer, marketing)

    response = as_customer("get", f"{PREFERENCES_URL}?expand=category")

    assert response.json()["results"] == [
        body_of(global_row),
        body_of(marketing_row, category=category_body(marketing)),
    ]


def test_list_selects_fields_when_fields_given(as_customer, customer, marketing):
    row = make_category_preference(customer, marketing)

    response = as_customer("get", f"{PREFERENCES_URL}?fields=id,category,digest")

    assert response.json()["results"] == [{"id": str(row.public_id), "category": "marketing", "digest": "instant"}]


@pytest.mark.parametrize(
    ("query", "param"),
    [("fields=id,nope", "fields"), ("expand=customer", "expand"), ("fields=digest.x", "fields")],
)
def test_list_answers_400_when_selection_unknown(as_customer, customer, query, param):
    response = as_customer("get", f"{PREFERENCES_URL}?{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["errors"]) == [param]


def test_list_answers_xml_when_format_is_xml(as_customer, customer, marketing):
    row = make_category_preference(customer, marketing, email_enabled=False)

    response = as_customer("get", f"{PREFERENCES_URL}?format=xml")

    text = response.content.decode()
    assert response["Content-Type"].startswith("application/xml")
    assert "<count>1</count>" in text
    assert f"<list-item><id>{row.public_id}</id><object>notification_preference</object>" in text
    assert "<category>marketing</category>" in text


def test_list_runs_fixed_queries_when_rows_grow(as_customer, customer, tenant, django_assert_max_num_queries):
    categories = [make_category(tenant, f"cat-{n}") for n in range(12)]
    make_category_preference(customer, None)
    make_category_preference(customer, categories[0])

    with CaptureQueriesContext(connection) as few:
        assert as_customer("get", f"{PREFERENCES_URL}?expand=category").status_code == HTTPStatus.OK
    for category in categories[1:]:
        make_category_preference(customer, category)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_customer("get", f"{PREFERENCES_URL}?expand=category")

    assert response.json()["count"] == 13
    assert len(few.captured_queries) <= 6


def test_list_returns_own_rows_when_customer_mode(customer_api, customer, other_customer, marketing):
    own = make_category_preference(customer, marketing)
    make_category_preference(other_customer, marketing)
    make_category_preference(other_customer, None)

    response = customer_api.get(PREFERENCES_URL)

    assert response.json()["results"] == [body_of(own)]


def test_list_answers_403_naming_permission_when_read_scope_missing(scoped_api, customer):
    response = scoped_api(["messaging:update"]).get(PREFERENCES_URL, HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"].startswith("Missing permission: messaging:read.")


def test_retrieve_returns_preference_when_id_is_callers(as_customer, customer, marketing):
    row = make_category_preference(customer, marketing)

    response = as_customer("get", f"{PREFERENCES_URL}/{row.public_id}?expand=category")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == body_of(row, category=category_body(marketing))


def test_retrieve_answers_404_when_preference_is_another_customers(as_customer, customer, other_customer,
                                                                  customer_api):
    theirs = make_category_preference(other_customer, None)

    assert as_customer("get", f"{PREFERENCES_URL}/{theirs.public_id}").status_code == HTTPStatus.NOT_FOUND
    assert customer_api.get(f"{PREFERENCES_URL}/{theirs.public_id}").status_code == HTTPStatus.NOT_FOUND
    assert as_customer("get", f"{PREFERENCES_URL}/{theirs.public_id}", external_id="cust-2").status_code == 200


def test_retrieve_answers_404_when_preference_is_another_tenants(other_api, as_customer, customer, other_tenant):
    foreign = make_category_preference(make_customer(other_tenant, "cust-1"), None)

    response = as_customer("get", f"{PREFERENCES_URL}/{foreign.public_id}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert other_api.get(f"{PREFERENCES_URL}/{foreign.public_id}", HTTP_PREFCENTER_CUSTOMER="cust-1").status_code == 200


@pytest.mark.parametrize("bad_id", ["abc", "123", "00000000-0000-0000-0000-000000000000"])
def test_retrieve_answers_404_when_id_malformed_or_unknown(as_customer, customer, bad_id):
    response = as_customer("get", f"{PREFERENCES_URL}/{bad_id}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"] == f"Preference '{bad_id}' not found."


# ----------------------------------------------------------------------------- DELETE: back to inherited


def test_delete_removes_category_row_when_category_given(as_customer, customer, marketing):
    make_category_preference(customer, None)
    make_category_preference(customer, marketing, email_enabled=False)
    before = len(events_for(customer))

    response = as_customer("delete", f"{PREFERENCES_URL}?category=marketing")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert list(CategoryPreference.objects.filter(customer=customer).values_list("category", flat=True)) == [None]
    assert events_for(customer)[before:] == [
        ("category:marketing", "in_app_enabled", True, None),
        ("category:marketing", "email_enabled", False, None),
        ("category:marketing", "push_enabled", True, None),
        ("category:marketing", "digest", "instant", None),
    ]


@pytest.mark.parametrize("query", ["", "?category=null"])
def test_delete_removes_global_row_when_category_absent_or_null(as_customer, customer, marketing, query):
    make_category_preference(customer, None, push_enabled=False)
    make_category_preference(customer, marketing)

    response = as_customer("delete", f"{PREFERENCES_URL}{query}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert list(CategoryPreference.objects.filter(customer=customer).values_list("category__key", flat=True)) == [
        "marketing"
    ]
    assert ConsentEvent.objects.filter(subject="category:*", new_value__isnull=True).count() == 4


def test_delete_writes_nothing_when_no_preference_exists(as_customer, customer, marketing, unchanged):
    with unchanged():
        response = as_customer("delete", f"{PREFERENCES_URL}?category=marketing")

    assert response.status_code == HTTPStatus.NO_CONTENT


def test_delete_answers_404_when_category_unknown(as_customer, customer, unchanged):
    with unchanged():
        response = as_customer("delete", f"{PREFERENCES_URL}?category=nope")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_delete_answers_403_when_update_scope_missing(scoped_api, customer, unchanged):
    make_category_preference(customer, None)

    with unchanged():
        response = scoped_api(["messaging:read"]).delete(PREFERENCES_URL, HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "messaging:update" in response.json()["detail"]


def test_delete_answers_404_when_customer_mode_names_another_customer(customer_api, customer, other_customer,
                                                                      unchanged):
    make_category_preference(other_customer, None)

    with unchanged():
        response = customer_api.delete(PREFERENCES_URL, HTTP_PREFCENTER_CUSTOMER="cust-2")

    assert response.status_code == HTTPStatus.NOT_FOUND


# ----------------------------------------------------------------------------- queries and routing


def test_put_runs_fixed_queries_when_customer_has_many_preferences(as_customer, customer, tenant,
                                                                   django_assert_max_num_queries):
    categories = [make_category(tenant, f"cat-{n}") for n in range(15)]
    for category in categories:
        make_category_preference(customer, category)

    with django_assert_max_num_queries(11):
        created = as_customer("put", PREFERENCES_URL, {"digest": "daily"})
    with django_assert_max_num_queries(11):
        updated = as_customer("put", PREFERENCES_URL, {"category": "cat-7", "digest": "hourly"})
    with django_assert_max_num_queries(7):
        unchanged_put = as_customer("put", PREFERENCES_URL, {"category": "cat-7", "digest": "hourly"})

    assert created.status_code == updated.status_code == unchanged_put.status_code == HTTPStatus.OK


def test_route_answers_with_trailing_slash_when_given(as_customer, customer):
    assert as_customer("put", f"{PREFERENCES_URL}/", {"digest": "daily"}).status_code == HTTPStatus.OK
    assert as_customer("get", f"{PREFERENCES_URL}/").status_code == HTTPStatus.OK


@pytest.mark.parametrize("method", ["post", "patch"])
def test_collection_answers_405_when_method_unsupported(as_customer, customer, unchanged, method):
    with unchanged():
        response = as_customer(method, PREFERENCES_URL, {"digest": "daily"})

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("application/json")


def test_platform_key_reaches_tenant_when_header_names_it(client_for, tenant, customer):
    _, raw = make_api_key(None)
    client = client_for(raw, HTTP_TEAMUP_PROVIDER_ID="acme", HTTP_PREFCENTER_CUSTOMER="cust-1")

    response = client.put(PREFERENCES_URL, {"digest": "hourly"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert CategoryPreference.objects.get(customer=customer).digest == "hourly"
