"""Novu's official Python SDK (`novu-py`) against a live prefcenter: every subscribers, subscriber
preferences and workflows call a migrating user makes, unmodified (issue 13).

The SDK validates every answer against its generated models, so a call that returns at all proves
the body follows Novu's DTO; error statuses must raise the SDK's typed errors, not a
ResponseValidationError. The SDK retries 408/409/429/5XX with backoff for up to an hour by default:
the one call that must answer 409 (failIfExists) passes `retries=NO_RETRY`, and no other call may.
"""

from __future__ import annotations

import pytest
from novu_py import Novu, models
from novu_py.utils import BackoffStrategy, RetryConfig

from customers.models import Customer
from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile, Workflow, WorkflowPreference
from tests.factories import make_api_key, make_customer, make_workflow

pytestmark = pytest.mark.django_db(transaction=True)

NO_RETRY = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)
CHANNELS = ("email", "sms", "in_app", "chat", "push")


@pytest.fixture
def novu(live_server, tenant):
    # What a migrating user writes: their key and prefcenter's base URL instead of api.novu.co.
    return Novu(secret_key=make_api_key(tenant)[1], server_url=live_server.url, timeout_ms=20_000)


@pytest.fixture
def ada(tenant):
    return make_customer(tenant, "ada", email="ada@example.com", phone="+14155550101", first_name="Ada",
                         last_name="Lovelace", sms_opt_out=False)


# -- subscribers ------------------------------------------------------------------------------


def test_create_answers_novu_subscriber_when_subscriber_is_new(novu, tenant):
    result = novu.subscribers.create(create_subscriber_request_dto={
        "subscriber_id": "grace", "email": "grace@example.com", "first_name": "Grace", "phone": "+14155550123",
        "avatar": "https://img.example/grace.png", "data": {"plan": "pro", "seats": 3}, "locale": "en-US",
        "timezone": "Europe/Paris",
    }).result

    customer = Customer.objects.get(external_id="grace")
    assert result.id == f"{customer.pk:024x}"
    assert (result.subscriber_id, result.email, result.first_name, result.phone) == (
        "grace", "grace@example.com", "Grace", "+14155550123")
    assert result.last_name is None  # unset: null, never ""
    assert (result.avatar, result.data) == ("https://img.example/grace.png", {"plan": "pro", "seats": 3})
    assert result.organization_id == tenant.uuid.hex[:24] and len(result.environment_id) == 24
    assert result.deleted is False
    assert SubscriberProfile.objects.get(customer=customer).data == {"plan": "pro", "seats": 3}


def test_create_updates_the_subscriber_when_subscriber_exists(novu, ada):
    result = novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": "ada", "first_name": "Augusta"})

    assert (result.result.subscriber_id, result.result.first_name, result.result.email) == (
        "ada", "Augusta", "ada@example.com")
    assert Customer.objects.count() == 1
    assert Customer.objects.get().first_name == "Augusta"


def test_create_raises_conflict_and_changes_nothing_when_fail_if_exists(novu, ada):
    with pytest.raises(models.SubscriberResponseDtoError) as error:
        novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": "ada", "first_name": "Other"},
                                fail_if_exists=True, retries=NO_RETRY)

    assert error.value.raw_response.status_code == 409
    assert error.value.data.subscriber_id == "ada" and error.value.data.first_name == "Ada"
    assert Customer.objects.get().first_name == "Ada"


def test_retrieve_patch_and_delete_work_when_subscriber_exists(novu, ada):
    assert novu.subscribers.retrieve(subscriber_id="ada").result.email == "ada@example.com"

    patched = novu.subscribers.patch(subscriber_id="ada", patch_subscriber_request_dto={
        "last_name": None, "avatar": "https://img.example/ada.png", "data": {"vip": True}}).result
    assert (patched.first_name, patched.last_name, patched.avatar, patched.data) == (
        "Ada", None, "https://img.example/ada.png", {"vip": True})
    assert Customer.objects.get().last_name == ""

    deleted = novu.subscribers.delete(subscriber_id="ada").result
    assert (deleted.acknowledged, deleted.status) == (True, "deleted")
    assert not Customer.objects.exists()


def test_search_filters_by_email_phone_name_and_subscriber_id_when_asked(novu, tenant, ada):
    make_customer(tenant, "alan", email="alan@turing.example", phone="+14155550199", first_name="Alan",
                  last_name="Turing")

    def ids(**query):
        return [s.subscriber_id for s in novu.subscribers.search(request=query).result.data]

    assert ids(email="turing.example") == ["alan"]
    assert ids(phone="0101") == ["ada"]
    assert ids(name="ada love") == ["ada"]
    assert ids(subscriber_id="alan") == ["alan"]
    assert ids() == ["alan", "ada"]  # newest first


def test_search_walks_pages_with_novu_cursors_when_more_than_a_page(novu, tenant):
    for i in range(5):
        make_customer(tenant, f"s-{i}")
    seen, after = [], None
    while True:
        request = {"limit": 2, "order_direction": models.QueryParamOrderDirection.ASC, "include_cursor": True}
        page = novu.subscribers.search(request={**request, **({"after": after} if after else {})}).result
        assert page.total_count == 5 and page.total_count_capped is False
        seen += [s.subscriber_id for s in page.data]
        if page.next is None:
            break
        after = page.next
    assert seen == [f"s-{i}" for i in range(5)]

    # `after` is s-3's cursor (it fetched the last page): the page before s-3.
    back = novu.subscribers.search(request={"limit": 2, "order_direction": "ASC", "before": after}).result
    assert [s.subscriber_id for s in back.data] == ["s-1", "s-2"]
    assert back.previous is not None and back.next is not None


# -- subscriber preferences ---------------------------------------------------------------------


@pytest.fixture
def catalog(tenant):
    return {
        "digest": make_workflow(tenant, "weekly-digest", channels=["email", "in_app"]),
        "reset": make_workflow(tenant, "password-reset", channels=["email"], critical=True),
    }


def test_list_filters_by_criticality_when_sdk_sends_it(novu, ada, catalog):
    def identifiers(**kwargs):
        return [w.workflow.identifier for w in novu.subscribers.preferences.list(subscriber_id="ada", **kwargs)
                .result.workflows]

    assert identifiers() == ["weekly-digest"]  # the SDK's default: nonCritical
    assert identifiers(criticality=models.Criticality.CRITICAL) == ["password-reset"]
    assert identifiers(criticality=models.Criticality.ALL) == ["weekly-digest", "password-reset"]


def test_update_changes_global_and_one_workflow_when_sdk_patches(novu, ada, catalog):
    result = novu.subscribers.preferences.update(
        subscriber_id="ada", patch_subscriber_preferences_dto={"channels": {"chat": False}}).result
    assert result.global_.channels.chat is False

    result = novu.subscribers.preferences.update(subscriber_id="ada", patch_subscriber_preferences_dto={
        "channels": {"email": False}, "workflow_id": "weekly-digest"}).result
    [digest] = [w for w in result.workflows if w.workflow.identifier == "weekly-digest"]
    assert (digest.channels.email, digest.channels.in_app) == (False, True)
    assert WorkflowPreference.objects.get(workflow=catalog["digest"]).email is False


def test_update_stores_and_answers_the_schedule_when_sent(novu, ada, catalog):
    schedule = {"is_enabled": True, "weekly_schedule": {
        "monday": {"is_enabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]},
        "sunday": {"is_enabled": False}}}

    result = novu.subscribers.preferences.update(
        subscriber_id="ada", patch_subscriber_preferences_dto={"schedule": schedule}).result

    assert result.global_.schedule.is_enabled is True
    assert result.global_.schedule.weekly_schedule.monday.hours[0].start == "09:00 AM"
    stored = SubscriberProfile.objects.get(customer__external_id="ada").schedule
    assert stored["weeklySchedule"]["sunday"] == {"isEnabled": False}
    assert ConsentEvent.objects.filter(field="schedule").count() == 1
    listed = novu.subscribers.preferences.list(subscriber_id="ada").result
    assert listed.global_.schedule.weekly_schedule.monday.is_enabled is True


def test_bulk_update_answers_novu_preference_items_when_sdk_sends_several(novu, ada, catalog):
    other = make_workflow(ada.tenant, "news", channels=["email", "push"])

    result = novu.subscribers.preferences.bulk_update(subscriber_id="ada", bulk_update_subscriber_preferences_dto={
        "preferences": [{"workflow_id": "weekly-digest", "channels": {"in_app": False}},
                        {"workflow_id": f"{other.pk:024x}", "channels": {"push": False}}]}).result

    assert [(item.level, item.workflow.identifier) for item in result] == [
        ("template", "weekly-digest"), ("template", "news")]
    assert result[0].channels.in_app is False and result[1].channels.push is False
    assert result[1].workflow.id == f"{other.pk:024x}" and result[1].workflow.critical is False


# -- workflows ----------------------------------------------------------------------------------


def test_workflow_create_maps_steps_and_preferences_when_sdk_creates(novu):
    result = novu.workflows.create(create_workflow_dto={
        "name": "Welcome", "workflow_id": "welcome", "tags": ["onboarding"], "active": True, "severity": "high",
        "steps": [{"name": "Welcome email", "type": "email", "control_values": {"subject": "Hi", "body": "…"}},
                  {"name": "Wait", "type": "delay"}, {"name": "Bell", "type": "in_app"}],
        "preferences": {"user": {"all": {"enabled": True, "read_only": True},
                                 "channels": {"email": {"enabled": False}}}},
    }).result

    workflow = Workflow.objects.get(identifier="welcome")
    assert result.id == f"{workflow.pk:024x}" and result.workflow_id == "welcome"
    assert [(s.step_id, s.type) for s in result.steps] == [
        ("welcome-email", "email"), ("wait", "delay"), ("bell", "in_app")]
    assert result.steps[0].control_values.subject == "Hi"
    assert workflow.channels == ["email", "in_app"]  # the steps' channel types
    assert (workflow.critical, workflow.defaults) == (True, {"email": False})  # readOnly → critical
    assert result.preferences.user.all.read_only is True
    assert result.preferences.user.channels["email"].enabled is False
    assert (result.status, result.severity, result.origin) == ("ACTIVE", "high", "external")


def test_workflow_get_update_patch_and_delete_work_when_workflow_exists(novu, tenant):
    workflow = make_workflow(tenant, "order-shipped", channels=["email", "sms"], description="")

    got = novu.workflows.get(workflow_id="order-shipped").result
    assert [s.type for s in got.steps] == ["email", "sms"] and got.description is None
    assert novu.workflows.get(workflow_id=got.id).result.workflow_id == "order-shipped"

    updated = novu.workflows.update(workflow_id="order-shipped", update_workflow_dto={
        "name": "Order shipped", "steps": [{"name": "Push", "type": "push"}],
        "preferences": {"workflow": {"all": {"enabled": False}, "channels": {"push": {"enabled": True}}}},
    }).result
    assert updated.name == "Order shipped" and [s.type for s in updated.steps] == ["push"]
    workflow.refresh_from_db()
    assert workflow.channels == ["push"]
    assert workflow.defaults == {"email": False, "sms": False, "in_app": False, "chat": False, "push": True}

    patched = novu.workflows.patch(workflow_id="order-shipped", patch_workflow_dto={
        "active": False, "tags": ["orders"], "is_translation_enabled": True}).result
    assert (patched.status, patched.tags, patched.is_translation_enabled) == ("INACTIVE", ["orders"], True)

    novu.workflows.delete(workflow_id="order-shipped")
    assert not Workflow.objects.exists()


def test_workflow_list_searches_and_pages_when_sdk_lists(novu, tenant):
    for name in ("Order shipped", "Order delivered", "Weekly digest"):
        make_workflow(tenant, name.lower().replace(" ", "-"), name=name)

    everything = novu.workflows.list(request={}).result
    assert everything.total_count == 3
    assert [w.workflow_id for w in everything.workflows] == ["weekly-digest", "order-delivered", "order-shipped"]

    orders = novu.workflows.list(request={"query": "order", "limit": 1, "offset": 1}).result
    assert orders.total_count == 2
    assert [w.workflow_id for w in orders.workflows] == ["order-shipped"]
    assert orders.workflows[0].step_type_overviews == list(CHANNELS)


# -- errors: the SDK's typed errors -------------------------------------------------------------


def test_bad_input_raises_the_typed_400_when_sdk_sends_it(novu, ada):
    with pytest.raises(models.ErrorDto) as error:
        novu.subscribers.patch(subscriber_id="ada", patch_subscriber_request_dto={"email": "not-an-email"})
    assert error.value.data.status_code == 400 and error.value.data.path == "/v2/subscribers/ada"
    assert Customer.objects.get().email == "ada@example.com"


def test_bad_key_raises_the_typed_401_when_sdk_calls(live_server, ada):
    novu = Novu(secret_key="pc_not-a-key", server_url=live_server.url)
    with pytest.raises(models.ErrorDto) as error:
        novu.subscribers.retrieve(subscriber_id="ada")
    assert error.value.data.status_code == 401


def test_unknown_subscriber_raises_the_typed_404_when_sdk_asks(novu, tenant):
    with pytest.raises(models.ErrorDto) as error:
        novu.subscribers.retrieve(subscriber_id="nobody")
    assert (error.value.data.status_code, error.value.data.message) == (404, "Subscriber 'nobody' not found.")


def test_reused_idempotency_key_raises_the_typed_422_when_body_differs(novu, ada):
    novu.subscribers.patch(subscriber_id="ada", patch_subscriber_request_dto={"first_name": "A"},
                           idempotency_key="key-1")
    with pytest.raises(models.ValidationErrorDto) as error:
        novu.subscribers.patch(subscriber_id="ada", patch_subscriber_request_dto={"first_name": "B"},
                               idempotency_key="key-1")
    assert error.value.data.status_code == 422
    assert error.value.data.errors["idempotency-key"].messages[0].startswith("Already used with a different request")
    assert Customer.objects.get().first_name == "A"
