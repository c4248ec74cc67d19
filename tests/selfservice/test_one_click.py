"""RFC 8058 one-click unsubscribe: POST with `List-Unsubscribe=One-Click`, no cookies, no CSRF token."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart

from customers.services import customer_revoke_links
from messaging.models import CategoryPreference
from messaging.services import category_update
from prefcenter.models import ConsentEvent
from selfservice.links import PURPOSE_PREFERENCES, PURPOSE_UNSUBSCRIBE, LinkScope, link_token
from subscribers.models import WorkflowPreference
from subscribers.services.catalog import workflow_update
from tests.factories import make_category_preference
from tests.selfservice.catalog import SYSTEM, fresh
from tests.selfservice.helpers import tampered, token_issued_ago

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"
MAIL_CLIENT = {"HTTP_USER_AGENT": "ExampleMail/1.0"}


@pytest.fixture
def mail_client():
    """What a mailbox provider sends from: no cookies, CSRF enforced as in production."""
    return Client(enforce_csrf_checks=True)


def one_click(client, path, body=ONE_CLICK, content_type="application/x-www-form-urlencoded"):
    return client.post(path, body, content_type=content_type, **MAIL_CLIENT)


def scoped_path(person, scope):
    return f"/u/{link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE, scope=scope)}/"


def test_one_click_opts_out_of_email_with_a_200_when_posted_by_a_mail_client(mail_client, person, unsubscribe_path):
    response = one_click(mail_client, unsubscribe_path)
    assert response.status_code == HTTPStatus.OK  # never a redirect
    assert "You're unsubscribed" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert fresh(person).email_opt_out is True
    event = ConsentEvent.objects.get(customer_id=person.pk)
    assert (
        event.subject,
        event.field,
        event.old_value,
        event.new_value,
        event.source,
        event.actor,
        event.user_agent,
    ) == ("customer", "email_opt_out", False, True, "one_click", "customer:cust-7", "ExampleMail/1.0")


def test_one_click_accepts_a_multipart_body_when_the_mail_client_sends_one(mail_client, person, unsubscribe_path):
    body = encode_multipart("BoUnDaRy", {"List-Unsubscribe": "One-Click"})
    response = one_click(mail_client, unsubscribe_path, body, content_type="multipart/form-data; boundary=BoUnDaRy")
    assert response.status_code == HTTPStatus.OK
    assert fresh(person).email_opt_out is True
    assert MULTIPART_CONTENT.startswith("multipart/form-data")


def test_one_click_is_idempotent_when_posted_twice(mail_client, person, unsubscribe_path, unchanged):
    assert one_click(mail_client, unsubscribe_path).status_code == HTTPStatus.OK
    with unchanged():
        assert one_click(mail_client, unsubscribe_path).status_code == HTTPStatus.OK
    assert ConsentEvent.objects.filter(customer_id=person.pk).count() == 1


def test_get_shows_a_confirmation_and_changes_nothing_when_a_scanner_prefetches(
    client, person, unsubscribe_path, unchanged
):
    with unchanged():
        response = client.get(unsubscribe_path)
        head = client.head(unsubscribe_path)
    assert response.status_code == head.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Unsubscribe?" in html and "Acme Inc. will stop sending you non-essential email." in html
    assert 'name="List-Unsubscribe" value="One-Click"' in html
    assert response["Referrer-Policy"] == "same-origin" and response["X-Frame-Options"] == "DENY"


def test_confirmation_button_unsubscribes_when_pressed(person, unsubscribe_path):
    client = Client(enforce_csrf_checks=True)
    client.get(unsubscribe_path)
    response = client.post(unsubscribe_path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == HTTPStatus.OK
    assert fresh(person).email_opt_out is True
    assert "/p/" in response.content.decode()  # offers the full preference page


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/x-www-form-urlencoded"),
        ("List-Unsubscribe=Yes", "application/x-www-form-urlencoded"),
        ("list-unsubscribe=one-click", "application/x-www-form-urlencoded"),
        ('{"List-Unsubscribe": "One-Click"}', "application/json"),
        ("Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
    ],
)
def test_one_click_is_refused_and_nothing_written_when_the_body_is_wrong(
    mail_client, person, unsubscribe_path, unchanged, body, content_type
):
    with unchanged():
        response = one_click(mail_client, unsubscribe_path, body, content_type)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "nothing was changed" in response.content.decode()


def test_one_click_turns_off_one_channel_of_a_category_when_the_link_names_it(mail_client, person, catalog):
    make_category_preference(person, catalog.news, in_app_enabled=False, digest="hourly")
    path = scoped_path(person, LinkScope(kind="category", target_id=catalog.news.pk, channel="email"))
    assert "News and offers by email" in mail_client.get(path).content.decode()
    assert one_click(mail_client, path).status_code == HTTPStatus.OK
    row = CategoryPreference.objects.get(customer=person, category=catalog.news)
    assert (row.in_app_enabled, row.email_enabled, row.push_enabled, row.digest) == (False, False, True, "hourly")
    assert fresh(person).email_opt_out is False
    assert list(ConsentEvent.objects.filter(source="one_click").values_list("subject", "field", "new_value")) == [
        ("category:news", "email_enabled", False)
    ]


def test_one_click_creates_the_category_row_from_what_the_customer_had_when_there_was_none(
    mail_client, person, catalog
):
    path = scoped_path(person, LinkScope(kind="category", target_id=catalog.news.pk, channel="email"))
    one_click(mail_client, path)
    row = CategoryPreference.objects.get(customer=person, category=catalog.news)
    assert (row.in_app_enabled, row.email_enabled, row.push_enabled, row.digest) == (True, False, False, "daily")


def test_one_click_turns_off_one_channel_of_a_workflow_when_the_link_names_it(mail_client, person, catalog):
    path = scoped_path(person, LinkScope(kind="workflow", target_id=catalog.order_shipped.pk, channel="push"))
    assert one_click(mail_client, path).status_code == HTTPStatus.OK
    row = WorkflowPreference.objects.get(customer=person)
    assert (row.workflow, row.push, row.email) == (catalog.order_shipped, False, None)


def test_one_click_turns_a_channel_off_everywhere_when_the_link_names_only_a_channel(mail_client, person, catalog):
    path = scoped_path(person, LinkScope(kind="channel", channel="sms"))
    assert one_click(mail_client, path).status_code == HTTPStatus.OK
    row = WorkflowPreference.objects.get(customer=person, workflow=None)
    assert (row.sms, row.email, row.enabled) == (False, None, None)


def test_one_click_is_refused_and_nothing_written_when_the_workflow_became_critical(
    mail_client, person, catalog, unchanged
):
    path = scoped_path(person, LinkScope(kind="workflow", target_id=catalog.newsletter.pk, channel="email"))
    workflow_update(workflow=catalog.newsletter, actor=SYSTEM, critical=True)
    with unchanged():
        response = one_click(mail_client, path)
    assert response.status_code == HTTPStatus.CONFLICT


def test_one_click_is_refused_and_nothing_written_when_the_category_became_mandatory(
    mail_client, person, catalog, unchanged
):
    path = scoped_path(person, LinkScope(kind="category", target_id=catalog.orders.pk, channel="email"))
    category_update(category=catalog.orders, mandatory=True)
    with unchanged():
        assert one_click(mail_client, path).status_code == HTTPStatus.CONFLICT


def test_one_click_is_gone_and_nothing_written_when_the_workflow_was_deleted(mail_client, person, catalog, unchanged):
    path = scoped_path(person, LinkScope(kind="workflow", target_id=catalog.mentions.pk, channel="email"))
    catalog.mentions.delete()
    with unchanged():
        assert one_click(mail_client, path).status_code == HTTPStatus.GONE
        assert mail_client.get(path).status_code == HTTPStatus.GONE


def test_one_click_is_refused_and_nothing_written_when_the_link_is_tampered_with(
    mail_client, person, unsubscribe_path, unchanged
):
    with unchanged():
        response = one_click(mail_client, tampered(unsubscribe_path.rstrip("/")) + "/")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "How to get a new link" in response.content.decode()


# Issue 14 item 2: unsubscribe links do not expire by age (they used to answer 410 after
# PREFCENTER_LINK_MAX_AGE); only revocation through the link version stops them.
def test_one_click_still_works_when_the_link_is_older_than_the_preference_links_max_age(mail_client, person, settings):
    token = token_issued_ago(settings.PREFCENTER_LINK_MAX_AGE * 12 + 1, customer=person, purpose=PURPOSE_UNSUBSCRIBE)
    assert one_click(mail_client, f"/u/{token}/").status_code == HTTPStatus.OK
    assert fresh(person).email_opt_out is True


def test_unsubscribe_page_still_opens_when_the_link_is_a_year_old(person, settings):
    token = token_issued_ago(366 * 24 * 3600, customer=person, purpose=PURPOSE_UNSUBSCRIBE)
    response = Client().get(f"/u/{token}/")
    assert response.status_code == HTTPStatus.OK
    assert "Unsubscribe?" in response.content.decode()


def test_old_one_click_link_is_gone_and_nothing_written_when_the_links_were_revoked(
    mail_client, person, settings, unchanged
):
    token = token_issued_ago(settings.PREFCENTER_LINK_MAX_AGE + 1, customer=person, purpose=PURPOSE_UNSUBSCRIBE)
    customer_revoke_links(customer=person, actor=SYSTEM)
    with unchanged():
        assert one_click(mail_client, f"/u/{token}/").status_code == HTTPStatus.GONE
        assert Client().get(f"/u/{token}/").status_code == HTTPStatus.GONE


def test_preferences_link_still_expires_when_older_than_the_max_age(client, person, settings):
    token = token_issued_ago(settings.PREFCENTER_LINK_MAX_AGE + 1, customer=person, purpose=PURPOSE_PREFERENCES)
    assert client.get(f"/p/{token}/").status_code == HTTPStatus.GONE


def test_one_click_is_gone_and_nothing_written_when_the_links_were_revoked(
    mail_client, person, unsubscribe_path, unchanged
):
    customer_revoke_links(customer=person, actor=SYSTEM)
    with unchanged():
        assert one_click(mail_client, unsubscribe_path).status_code == HTTPStatus.GONE


def test_one_click_refuses_a_preferences_token_when_given_one(mail_client, person, unchanged):
    token = link_token(customer=person, purpose=PURPOSE_PREFERENCES)
    with unchanged():
        assert one_click(mail_client, f"/u/{token}/").status_code == HTTPStatus.BAD_REQUEST


# -- Undo on "You're unsubscribed" (issue 14 item 7) --------------------------------------------------


def undo_form(html: str) -> dict:
    from tests.forms import read_form

    return read_form(html).fields


def test_undo_puts_the_email_back_and_records_it_as_one_click_when_pressed(mail_client, person, unsubscribe_path):
    response = one_click(mail_client, unsubscribe_path)
    fields = undo_form(response.content.decode())
    assert fields["action"] == "undo"
    undone = mail_client.post(unsubscribe_path, fields, **MAIL_CLIENT)  # one click, no cookie, no CSRF token
    assert undone.status_code == HTTPStatus.OK
    assert "You're subscribed again" in undone.content.decode()
    assert fresh(person).email_opt_out is False
    assert list(
        ConsentEvent.objects.filter(customer_id=person.pk)
        .order_by("pk")
        .values_list("field", "old_value", "new_value", "source")
    ) == [("email_opt_out", False, True, "one_click"), ("email_opt_out", True, False, "one_click")]


def test_undo_restores_inherit_when_the_channel_switch_was_unset_before(mail_client, person, catalog):
    path = scoped_path(person, LinkScope(kind="workflow", target_id=catalog.order_shipped.pk, channel="push"))
    fields = undo_form(one_click(mail_client, path).content.decode())
    assert WorkflowPreference.objects.get(customer=person, workflow=catalog.order_shipped).push is False
    assert mail_client.post(path, fields).status_code == HTTPStatus.OK
    row = WorkflowPreference.objects.filter(customer=person, workflow=catalog.order_shipped).first()
    assert row is None or row.push is None  # back to inherit (a row left with nothing in it is removed)


def test_undo_keeps_an_earlier_opt_out_when_the_customer_had_already_unsubscribed(
    mail_client, person, unsubscribe_path
):
    one_click(mail_client, unsubscribe_path)
    fields = undo_form(one_click(mail_client, unsubscribe_path).content.decode())  # the second click replaced True
    mail_client.post(unsubscribe_path, fields)
    assert fresh(person).email_opt_out is True


def test_undo_is_refused_and_nothing_written_when_its_value_was_tampered_with(
    mail_client, person, unsubscribe_path, unchanged
):
    fields = undo_form(one_click(mail_client, unsubscribe_path).content.decode())
    with unchanged():
        response = mail_client.post(unsubscribe_path, {**fields, "undo": tampered(fields["undo"])})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_undo_is_refused_when_its_value_comes_from_another_link(
    mail_client, person, catalog, unsubscribe_path, unchanged
):
    other = scoped_path(person, LinkScope(kind="workflow", target_id=catalog.order_shipped.pk, channel="push"))
    fields = undo_form(one_click(mail_client, other).content.decode())
    with unchanged():
        assert mail_client.post(unsubscribe_path, fields).status_code == HTTPStatus.BAD_REQUEST
