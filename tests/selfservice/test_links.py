"""Signed links: the issuing API, the token's contents and life, the management command."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers.services import customer_revoke_links
from selfservice import links
from selfservice.links import PURPOSE_PREFERENCES, PURPOSE_UNSUBSCRIBE, link_token, link_verify
from tests.factories import make_api_key, make_customer, make_customer_token
from tests.selfservice.catalog import SYSTEM
from tests.selfservice.helpers import payload_of, tampered, token_issued_ago

pytestmark = pytest.mark.django_db


def url(external_id: str = "cust-7") -> str:
    return f"/v1/customers/{external_id}/preference-links"


def token_of(link: str, prefix: str) -> str:
    assert link.startswith(prefix)
    return link[len(prefix) :].rstrip("/")


# ------------------------------------------------------------------------------- the API


def test_links_are_issued_with_rfc8058_headers_when_no_scope_is_given(api, person, settings):
    settings.PREFCENTER_BASE_URL = "https://prefs.acme.test"
    before = timezone.now()
    response = api.post(url(), {}, format="json")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {"preferences_url", "unsubscribe_url", "expires_at", "headers"}
    assert body["headers"] == {
        "List-Unsubscribe": f"<{body['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    page = token_of(body["preferences_url"], "https://prefs.acme.test/p/")
    unsubscribe = token_of(body["unsubscribe_url"], "https://prefs.acme.test/u/")
    assert link_verify(page, purpose=PURPOSE_PREFERENCES).customer == person
    grant = link_verify(unsubscribe, purpose=PURPOSE_UNSUBSCRIBE)
    assert (grant.customer, grant.scope) == (person, None)
    expires = parse_datetime(body["expires_at"])
    assert before + timedelta(days=30) - timedelta(seconds=2) <= expires <= timezone.now() + timedelta(days=30)


def test_links_carry_no_personal_data_when_decoded(api, person):
    body = api.post(url(), {}, format="json").json()
    for link, purpose in (
        (body["preferences_url"], PURPOSE_PREFERENCES),
        (body["unsubscribe_url"], PURPOSE_UNSUBSCRIBE),
    ):
        token = link.rsplit("/", 2)[-2]
        assert payload_of(token, purpose) == {"t": person.tenant_id, "c": person.pk, "v": 1}
        for secret in (person.email, person.external_id, person.phone, "grace"):
            assert secret.lower() not in token.lower()


def test_unsubscribe_link_is_narrowed_when_a_category_and_channel_are_given(api, person, catalog):
    body = api.post(url(), {"category": "news", "channel": "push"}, format="json").json()
    token = body["unsubscribe_url"].rsplit("/", 2)[-2]
    assert payload_of(token, PURPOSE_UNSUBSCRIBE)["s"] == ["k", catalog.news.pk, "push"]
    assert "s" not in payload_of(body["preferences_url"].rsplit("/", 2)[-2], PURPOSE_PREFERENCES)


def test_unsubscribe_link_is_narrowed_when_a_workflow_is_given(api, person, catalog):
    body = api.post(url(), {"workflow": "order-shipped"}, format="json").json()
    grant = link_verify(body["unsubscribe_url"].rsplit("/", 2)[-2], purpose=PURPOSE_UNSUBSCRIBE)
    assert grant.scope == links.LinkScope(kind="workflow", target_id=catalog.order_shipped.pk, channel="email")


def test_unsubscribe_link_turns_a_channel_off_everywhere_when_only_a_channel_is_given(api, person, catalog):
    body = api.post(url(), {"channel": "sms"}, format="json").json()
    grant = link_verify(body["unsubscribe_url"].rsplit("/", 2)[-2], purpose=PURPOSE_UNSUBSCRIBE)
    assert grant.scope == links.LinkScope(kind="channel", target_id=None, channel="sms")


def test_link_lifetime_follows_the_setting_when_it_is_changed(api, person, settings):
    settings.PREFCENTER_LINK_MAX_AGE = 3600
    expires = parse_datetime(api.post(url(), {}, format="json").json()["expires_at"])
    assert timezone.now() + timedelta(minutes=58) < expires <= timezone.now() + timedelta(hours=1)


def test_links_cost_a_fixed_number_of_queries_when_issued(api, person, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert api.post(url(), {"workflow": "newsletter"}, format="json").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"category": "account"}, "category"),  # mandatory
        ({"category": "news", "channel": "sms"}, "channel"),  # a category has no SMS switch
        ({"workflow": "nope"}, "workflow"),
        ({"workflow": "password-reset"}, "workflow"),  # critical
        ({"workflow": "newsletter", "channel": "push"}, "channel"),  # not used by the workflow
        ({"workflow": "newsletter", "category": "news"}, "workflow"),
        ({"channel": "fax"}, "channel"),
        ({"channel": 1}, "channel"),
        ({"category": 12}, "category"),
        ({"workflow": None}, "workflow"),
        ({"scope": "news"}, "scope"),
    ],
)
def test_links_are_refused_with_the_field_named_when_the_scope_is_bad(api, person, catalog, unchanged, body, field):
    with unchanged():
        response = api.post(url(), body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


def test_links_are_refused_when_the_body_is_not_an_object(api, person, unchanged):
    with unchanged():
        response = api.post(url(), ["news"], format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_links_are_not_found_when_the_customer_is_unknown_or_another_tenants(api, other_tenant, unchanged):
    make_customer(other_tenant, "theirs")
    with unchanged():
        assert api.post(url("nobody"), {}, format="json").status_code == HTTPStatus.NOT_FOUND
        assert api.post(url("theirs"), {}, format="json").status_code == HTTPStatus.NOT_FOUND


def test_links_are_forbidden_when_the_key_lacks_the_scope(client_for, tenant, person):
    _key, raw = make_api_key(tenant, scopes=["customers:read"])
    assert client_for(raw).post(url(), {}, format="json").status_code == HTTPStatus.FORBIDDEN


def test_links_are_forbidden_in_customer_mode_when_the_customer_asks_for_their_own(client_for, tenant, person):
    token = make_customer_token(tenant, person.external_id)
    assert client_for(token, scheme="Bearer").post(url(), {}, format="json").status_code == HTTPStatus.FORBIDDEN


def test_links_need_authentication_when_called_anonymously(client, person):
    response = client.post(url(), {}, content_type="application/json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"].startswith("application/json")


# ------------------------------------------------------------------------------- verification


def test_token_is_refused_when_tampered_with(person):
    token = link_token(customer=person, purpose=PURPOSE_PREFERENCES)
    with pytest.raises(links.InvalidLink):
        link_verify(tampered(token), purpose=PURPOSE_PREFERENCES)


def test_token_is_refused_when_used_for_the_other_purpose(person):
    token = link_token(customer=person, purpose=PURPOSE_PREFERENCES)
    with pytest.raises(links.InvalidLink):
        link_verify(token, purpose=PURPOSE_UNSUBSCRIBE)


def test_token_is_expired_when_older_than_the_max_age(person, settings):
    settings.PREFCENTER_LINK_MAX_AGE = 3600
    token = token_issued_ago(3601, customer=person, purpose=PURPOSE_PREFERENCES)
    with pytest.raises(links.ExpiredLink):
        link_verify(token, purpose=PURPOSE_PREFERENCES)
    assert link_verify(
        token_issued_ago(3500, customer=person, purpose=PURPOSE_PREFERENCES), purpose=PURPOSE_PREFERENCES
    )


def test_token_is_revoked_when_the_customer_links_are_revoked(person):
    token = link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE)
    customer_revoke_links(customer=person, actor=SYSTEM)
    with pytest.raises(links.RevokedLink):
        link_verify(token, purpose=PURPOSE_UNSUBSCRIBE)


def test_token_is_revoked_when_the_customer_is_deleted(person):
    token = link_token(customer=person, purpose=PURPOSE_PREFERENCES)
    person.delete()
    with pytest.raises(links.RevokedLink):
        link_verify(token, purpose=PURPOSE_PREFERENCES)


def test_token_does_not_cross_tenants_when_the_payload_names_another_tenant(person, other_tenant):
    from django.core import signing

    forged = signing.dumps({"t": other_tenant.pk, "c": person.pk, "v": 1}, salt=links.SALTS[PURPOSE_PREFERENCES])
    with pytest.raises(links.RevokedLink):
        link_verify(forged, purpose=PURPOSE_PREFERENCES)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        {"t": 1, "c": "2", "v": 1},
        {"t": 1, "c": 2},
        {"t": 1, "c": 2, "v": 1, "s": ["x", 1, "email"]},
        {"t": 1, "c": 2, "v": 1, "s": ["c", 5, "email"]},
        {"t": 1, "c": 2, "v": 1, "s": ["k", None, "email"]},
    ],
)
def test_token_is_refused_when_a_signed_payload_is_malformed(person, payload):
    from django.core import signing

    token = signing.dumps(payload, salt=links.SALTS[PURPOSE_UNSUBSCRIBE])
    with pytest.raises(links.InvalidLink):
        link_verify(token, purpose=PURPOSE_UNSUBSCRIBE)


# ------------------------------------------------------------------------------- the command


def test_command_prints_the_preferences_url_alone_on_its_last_line(person, capsys, settings):
    settings.PREFCENTER_BASE_URL = "https://prefs.acme.test"
    call_command("preference_link", "--tenant", "acme", "--customer", "cust-7")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("https://prefs.acme.test/p/")
    assert link_verify(token_of(last, "https://prefs.acme.test/p/"), purpose=PURPOSE_PREFERENCES).customer == person


@pytest.mark.parametrize(("tenant_slug", "external_id"), [("nope", "cust-7"), ("acme", "nobody")])
def test_command_fails_clearly_when_the_tenant_or_customer_is_unknown(person, tenant_slug, external_id):
    with pytest.raises(CommandError):
        call_command("preference_link", "--tenant", tenant_slug, "--customer", external_id)
