"""The SSRF guard (webhooks/destinations.py): endpoint URLs on non-public addresses are refused at registration
(API and admin, nothing written) and again at delivery, where the connection goes to the vetted address."""

from __future__ import annotations

import socket
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from customers.services import customer_update
from prefcenter.ledger import Actor
from tests.webhooks.test_delivery import POLICY
from webhooks import destinations
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import deliver_due, endpoint_create

PUBLIC = "93.184.215.14"

# Every kind of URL the guard refuses, by what it is. Names in "*.resolves-*.test" resolve through the `dns` fixture.
REFUSED = {
    "loopback IPv4": "http://127.0.0.1/hooks",
    "loopback IPv4, other": "http://127.8.9.10:8080/hooks",
    "private 10/8": "http://10.0.0.7/hooks",
    "private 172.16/12": "https://172.16.5.4/hooks",
    "private 192.168/16": "http://192.168.1.1/hooks",
    "shared address space 100.64/10": "http://100.64.0.1/hooks",
    "link-local (cloud metadata)": "http://169.254.169.254/latest/meta-data/",
    "multicast IPv4": "http://224.0.0.1/hooks",
    "reserved IPv4": "http://240.0.0.1/hooks",
    "broadcast": "http://255.255.255.255/hooks",
    "unspecified IPv4": "http://0.0.0.0/hooks",
    "documentation range": "http://192.0.2.10/hooks",
    "loopback IPv6": "http://[::1]/hooks",
    "unspecified IPv6": "http://[::]/hooks",
    "link-local IPv6": "http://[fe80::1]/hooks",
    "unique local IPv6": "http://[fd00::1]/hooks",
    "site-local IPv6": "http://[fec0::1]/hooks",
    "multicast IPv6": "http://[ff02::1]/hooks",
    "IPv4-mapped IPv6 loopback": "http://[::ffff:127.0.0.1]/hooks",
    "IPv4-mapped IPv6 metadata": "http://[::ffff:169.254.169.254]/hooks",
    "6to4 of loopback": "http://[2002:7f00:1::1]/hooks",
    "NAT64 of a private address": "http://[64:ff9b::a00:1]/hooks",
    "decimal IPv4": "http://2130706433/hooks",
    "hex IPv4": "http://0x7f000001/hooks",
    "octal IPv4": "http://0177.0.0.1/hooks",
    "short IPv4": "http://127.1/hooks",
    "localhost": "http://localhost:8000/hooks",
    "LOCALHOST with a trailing dot": "http://LOCALHOST./hooks",
    "a *.localhost name": "https://api.localhost/hooks",
    "a name resolving to loopback": "https://loop.resolves-private.test/hooks",
    "a name resolving to a private IPv6": "https://ula.resolves-private.test/hooks",
    "a name with one private answer among public ones": "https://mixed.resolves-private.test/hooks",
    "ftp scheme": "ftp://files.example.com/hooks",
    "file scheme": "file:///etc/passwd",
    "gopher scheme": "gopher://hooks.example.com/_POST",
    "javascript scheme": "javascript:alert(1)",
    "credentials in the URL": "https://user:secret@hooks.example.com/hooks",
    "a user name in the URL": "https://user@hooks.example.com/hooks",
}

ANSWERS = {
    "loop.resolves-private.test": ["127.0.0.1"],
    "ula.resolves-private.test": ["fd12:3456::1"],
    "mixed.resolves-private.test": [PUBLIC, "10.1.2.3"],
    "hooks.example.com": [PUBLIC],
    "crm.example": [PUBLIC],
}


class FakeDns:
    """Stands in for DNS (outside our control): host → addresses; unknown names do not resolve."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = dict(answers)
        self.asked: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.answers[host]
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    fake = FakeDns(ANSWERS)
    monkeypatch.setattr(destinations, "getaddrinfo", fake)
    return fake


@pytest.fixture
def webhook_staff(staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    return staff_user


# -- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
def test_url_is_refused_with_a_reason_when_its_host_is_not_public(url, dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False

    errors = destinations.url_errors(url)

    assert len(errors) == 1 and errors[0], url
    with pytest.raises(destinations.DestinationRefused):
        destinations.destination_vet(url)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/prefcenter", "http://hooks.example.com:8080/x?y=1", f"https://{PUBLIC}/h"]
)
def test_url_is_accepted_when_its_host_is_public(url, dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False

    assert destinations.url_errors(url) == []
    assert destinations.destination_vet(url).addresses == (PUBLIC,)


def test_url_is_accepted_at_registration_when_its_name_does_not_resolve_yet(dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False

    assert destinations.url_errors("https://not-yet.example.net/h") == []
    assert dns.asked == ["not-yet.example.net"]
    with pytest.raises(OSError):  # at delivery: a failed lookup, retried like any network error
        destinations.destination_vet("https://not-yet.example.net/h")


def test_refusal_names_the_address_and_its_kind_when_a_name_resolves_privately(dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False

    assert destinations.url_errors("https://mixed.resolves-private.test/h") == [
        "Refused: mixed.resolves-private.test resolves to 10.1.2.3, a private address; "
        "webhooks are sent to public addresses only."
    ]
    assert destinations.url_errors("http://[::ffff:127.0.0.1]/") == [
        "Refused: ::ffff:127.0.0.1 is a loopback address (embedded 127.0.0.1); "
        "webhooks are sent to public addresses only."
    ]


def test_private_addresses_are_allowed_but_not_schemes_or_credentials_when_the_setting_is_on(dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = True

    for url in ("http://127.0.0.1:9/h", "http://localhost/h", "https://loop.resolves-private.test/h"):
        assert destinations.url_errors(url) == [], url
    for url in ("ftp://127.0.0.1/h", "http://u:p@127.0.0.1/h"):
        assert destinations.url_errors(url), url


def test_setting_is_off_when_not_configured():
    from config import settings as project_settings

    assert project_settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE is False


# -- registration: API and admin, nothing written ---------------------------------------------


@pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
def test_api_answers_400_on_url_and_writes_nothing_when_the_url_is_refused(url, api, tenant, dns, settings, unchanged):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False

    with unchanged():
        response = api.post("/v1/webhooks", {"url": url, "event_types": ["customer.deleted"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["url"]
    assert body["errors"]["url"][0]
    tenant.refresh_from_db()
    assert tenant.webhook_event_types == []


def test_api_names_the_private_answer_when_a_registered_name_resolves_to_it(api, dns, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False
    url = "https://loop.resolves-private.test/hooks"

    response = api.post("/v1/webhooks", {"url": url, "event_types": ["customer.deleted"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {
        "url": [
            "Refused: loop.resolves-private.test resolves to 127.0.0.1, a loopback address; "
            "webhooks are sent to public addresses only."
        ]
    }


@pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
def test_admin_shows_a_url_error_and_writes_nothing_when_the_url_is_refused(
    url, client, webhook_staff, tenant, dns, settings, unchanged
):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(webhook_staff)

    with unchanged():
        response = client.post(
            "/admin/webhooks/webhookendpoint/add/",
            {"url": url, "description": "", "event_types": ["customer.deleted"], "enabled": "on"},
        )

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    form = response.context["adminform"].form
    assert list(form.errors) == ["url"], form.errors


def test_admin_refuses_a_private_url_when_an_existing_endpoint_is_changed_to_it(client, webhook_staff, tenant, dns):
    endpoint = endpoint_create(tenant=tenant, url="https://hooks.example.com/h", event_types=["customer.deleted"])
    client.force_login(webhook_staff)

    response = client.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/",
        {"url": "http://169.254.169.254/", "description": "", "event_types": ["customer.deleted"], "enabled": "on"},
    )

    assert response.status_code == HTTPStatus.OK
    assert "public addresses only" in str(response.context["adminform"].form.errors["url"])
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/h"


# -- delivery: checked again, connected to the vetted address ---------------------------------


def opt_out(customer) -> None:
    customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)


def test_delivery_fails_without_contact_when_the_name_resolves_to_loopback_by_then(
    tenant, customer, receiver, dns, settings, clock
):
    """DNS rebinding: public when registered, loopback at delivery. The receiver on loopback hears nothing."""
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://rebind.example.com:{port}/hooks"
    dns.answers["rebind.example.com"] = [PUBLIC]
    endpoint = endpoint_create(tenant=tenant, url=url, event_types=["customer.opted_out"])
    opt_out(customer)
    dns.answers["rebind.example.com"] = ["127.0.0.1"]

    assert deliver_due(clock=clock, policy=POLICY) == 1
    clock.advance(days=1)
    assert deliver_due(clock=clock, policy=POLICY) == 0  # failed: not retried

    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, None)
    assert delivery.last_error == (
        "Refused: rebind.example.com resolves to 127.0.0.1, a loopback address; "
        "webhooks are sent to public addresses only."
    )


def test_delivery_fails_without_contact_when_a_stored_url_is_private(tenant, customer, receiver, settings, clock):
    """An endpoint stored before the guard (or written around it) is still refused at delivery."""
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=receiver.url, event_types=["customer.opted_out"])
    tenant.webhook_event_types = ["customer.opted_out"]
    tenant.save(update_fields=["webhook_event_types"])
    opt_out(customer)

    assert deliver_due(clock=clock, policy=POLICY) == 1

    assert receiver.received == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("Refused: 127.0.0.1 is a loopback address")


def test_delivery_connects_to_the_vetted_address_and_sends_the_name_when_the_host_is_a_name(
    tenant, customer, receiver, dns, clock
):
    """`receiver.test` exists only in the fake DNS: the POST reaching the receiver shows the connection went to the
    address the guard vetted, and not to a second lookup by the system resolver."""
    port = receiver.url.split(":")[2].split("/")[0]
    dns.answers["receiver.test"] = ["127.0.0.1"]
    url = f"http://receiver.test:{port}/hooks?via=name"
    endpoint_create(tenant=tenant, url=url, event_types=["customer.opted_out"])
    opt_out(customer)
    asked_before = len(dns.asked)

    assert deliver_due(clock=clock, policy=POLICY) == 1

    assert dns.asked[asked_before:] == ["receiver.test"]  # resolved once, at delivery
    [received] = receiver.received
    assert received.headers["host"] == f"receiver.test:{port}"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_delivery_retries_when_the_name_does_not_resolve(tenant, customer, dns, clock, settings):
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = False
    endpoint_create(tenant=tenant, url="https://gone.example.net/h", event_types=["customer.opted_out"])
    opt_out(customer)

    assert deliver_due(clock=clock, policy=POLICY) == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("gaierror")
