"""Writes for compliance: SMS keywords change SMS consent; erasure deletes a person and
pseudonymises their ledger history. Each is atomic and leaves its ledger events in the
same transaction (docs/compliance.md)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance import sms
from compliance.models import SmsSettings
from customers.models import Customer
from customers.services import SUBJECT, customer_delete, customer_update
from prefcenter import ledger
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent, Tenant
from prefcenter.translations import language_candidates

PSEUDONYM_PREFIX = "erased:"
REDACTED = "[erased]"
# Ledger fields whose values are personal data (contact points, names, links): redacted on erasure.
# Consent values (opt-outs, channel switches, digests) and who/when/source/ip stay as proof.
PERSONAL_FIELDS: tuple[str, ...] = ("email", "phone", "first_name", "last_name", "detail_url", "timezone")


def pseudonym(*, tenant: Tenant, external_id: str) -> str:
    """The keyed hash that stands for an erased customer's external id in the ledger.

    HMAC-SHA256 with PREFCENTER_PSEUDONYM_KEY over (tenant uuid, external id): the same
    person in the same tenant always maps to the same value, so a later access request
    with the original id still finds the history, while the ledger alone does not reveal it.
    """
    key = settings.PREFCENTER_PSEUDONYM_KEY.encode()
    mac = hmac.new(key, f"{tenant.uuid}\x00{external_id}".encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{mac}"


@dataclass(frozen=True)
class ErasedIdentity:
    """The customer as the erasure event names it: their old integer id and their pseudonym."""

    id: int
    external_id: str


@dataclass(frozen=True)
class Erasure:
    external_id: str
    pseudonym: str
    customer_deleted: bool
    events_pseudonymised: int
    checksum_before: str
    checksum_after: str
    erased_at: str


def customer_erase(*, tenant: Tenant, external_id: str, actor: Actor) -> Erasure:
    """GDPR Art. 17: delete the customer (their preferences cascade) and pseudonymise their ledger rows.

    Apps that keep copies of the person's ledger data (webhook deliveries) hear of it through
    `ledger.erasure_announce`, in the same transaction, and pseudonymise their rows the same way.

    Works also for a customer deleted earlier whose history is still in the ledger. The
    erasure event (subject `customer`, field `erased`) records how many rows were rewritten and
    the customer's history checksum before and after, so the one sanctioned rewrite of the
    append-only ledger is itself on the record. Unknown everywhere → 404, nothing written.
    """
    alias = pseudonym(tenant=tenant, external_id=external_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(tenant=tenant, external_id=external_id).first()
        rows = ConsentEvent.objects.filter(tenant=tenant, customer_external_id=external_id)
        if customer is None and not rows.exists():
            raise PrefCenterError("Not found.", code="not_found", status=404)
        if customer is not None:
            customer_id = customer.id  # delete() clears the instance's pk
            customer_delete(customer=customer, actor=actor)
        else:
            customer_id = rows.order_by("-id").values_list("customer_id", flat=True).first()
        erased = ledger.ErasedCustomer(
            tenant=tenant,
            external_id=external_id,
            pseudonym=alias,
            redacted=REDACTED,
            actor_aliases={f"customer:{external_id}": f"customer:{alias}"},
            redact_actor_sources=(ConsentEvent.SOURCE_SMS_KEYWORD,),
            personal_values=_personal_values(external_id=external_id, customer=customer, rows=rows),
        )
        _count, before = ledger.events_checksum(rows)
        rewritten = rows.pseudonymise(
            pseudonym=alias,
            redact_fields=PERSONAL_FIELDS,
            redacted=REDACTED,
            actor_aliases=dict(erased.actor_aliases),
            redact_actor_sources=erased.redact_actor_sources,
        )
        _count, after = ledger.events_checksum(ConsentEvent.objects.filter(tenant=tenant, customer_external_id=alias))
        erased_at = timezone.now().isoformat()
        ledger.record(
            tenant=tenant,
            customer=ErasedIdentity(id=customer_id, external_id=alias),
            subject=SUBJECT,
            changes={
                "erased": (
                    None,
                    {"events_pseudonymised": rewritten, "checksum_before": before, "checksum_after": after},
                )
            },
            actor=actor,
        )
        _admin_log_forget(erased=erased, customer_id=customer_id)
        # Copies elsewhere (webhook deliveries, customer-bound API keys, stored idempotent replies) forget the
        # person in this transaction too, each app its own (prefcenter/ledger.py erasure listeners).
        ledger.erasure_announce(erased)
    return Erasure(
        external_id=external_id,
        pseudonym=alias,
        customer_deleted=customer is not None,
        events_pseudonymised=rewritten,
        checksum_before=before,
        checksum_after=after,
        erased_at=erased_at,
    )


# The ledger fields whose values name or reach the person; listeners remove them from free text.
IDENTIFYING_FIELDS: tuple[str, ...] = ("email", "phone", "first_name", "last_name")


def _personal_values(*, external_id: str, customer: Customer | None, rows) -> tuple[str, ...]:
    """The external id and every email, phone and name the person had: on their row and in their history."""
    values = {external_id}
    if customer is not None:
        values.update(getattr(customer, field) or "" for field in IDENTIFYING_FIELDS)
    for old, new in rows.filter(field__in=IDENTIFYING_FIELDS).values_list("old_value", "new_value"):
        values.update(value for value in (old, new) if isinstance(value, str))
    return tuple(sorted(value for value in values if value))


def _admin_log_forget(*, erased: ledger.ErasedCustomer, customer_id: int | None) -> int:
    """The admin's change history names edited objects (`object_repr`): the entries about the person's customer
    row, preferences and profile ("<name> (<external id>) · …") keep what and when, with the person's values
    replaced by the marker."""
    mentions = Q(object_repr__contains=f"({erased.external_id})") | Q(object_repr=erased.external_id)
    mentions |= Q(object_repr__startswith=f"{erased.external_id} · ")
    if customer_id is not None:
        mentions |= Q(content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer_id))
    entries = list(LogEntry.objects.filter(mentions).only("id", "object_repr", "change_message"))
    for entry in entries:
        entry.object_repr = erased.scrub(entry.object_repr)
        entry.change_message = erased.scrub(entry.change_message)
    if entries:
        LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])
    return len(entries)


@dataclass(frozen=True)
class SmsReply:
    status: int
    text: str | None
    intent: str
    customers_changed: int


def sms_tenant(*, to_number: str) -> SmsSettings:
    settings_row = SmsSettings.objects.select_related("tenant").filter(inbound_number=to_number).first()
    if settings_row is None:
        raise PrefCenterError("No tenant receives SMS on this number.", code="not_found", status=404)
    return settings_row


def sms_keyword_receive(
    *, sms_settings: SmsSettings, from_number: str, body: str, message_sid: str, actor: Actor
) -> SmsReply:
    """Apply an inbound message's keyword to every customer of the tenant with that phone number.

    STOP-class words set `sms_opt_out`, START-class words clear it (the number's owner speaks for
    the number, so every customer row with it follows); HELP answers without a change; a message
    with both stop and start words changes nothing and says so; a message with no keyword gets no
    reply. A stop or start from a number no customer has is a 404 and nothing is written. Each change
    is a ledger event with source `sms_keyword` whose actor names the number and quotes the message.
    """
    tenant = sms_settings.tenant
    intent = sms.keyword_intent(body)
    customers = list(Customer.objects.filter(tenant=tenant, phone=from_number).select_related("tenant").order_by("id"))
    language = _language(customers)
    brand, support = tenant.public_name, tenant.support_url or sms_settings.inbound_number

    def text(kind: str) -> str:
        return sms.reply_text(kind, language=language, overrides=sms_settings.messages, brand=brand, support=support)

    if intent == sms.NONE:
        return SmsReply(200, None, intent, 0)
    if intent in (sms.HELP, sms.AMBIGUOUS):
        return SmsReply(200, text(intent), intent, 0)
    if not customers:
        return SmsReply(404, text("unknown_sender"), intent, 0)
    quoted = " ".join(body.split())
    label = f'sms {from_number}: "{quoted}"'
    if len(label) > 300:
        label = label[:298] + '…"'
    keyed = replace(
        actor, label=label, source=ConsentEvent.SOURCE_SMS_KEYWORD, request_id=message_sid[:64] or actor.request_id
    )
    changed = 0
    with transaction.atomic():
        for customer in customers:
            before = customer.sms_opt_out
            after = customer_update(customer=customer, actor=keyed, sms_opt_out=intent == sms.STOP)
            changed += after.sms_opt_out != before
    return SmsReply(200, text(intent), intent, changed)


def _language(customers: list[Customer]) -> str:
    shipped = {code for code, _name in settings.LANGUAGES}
    for customer in customers:
        for candidate in language_candidates(customer.locale):
            if candidate in shipped:
                return candidate
    return settings.LANGUAGE_CODE


def erasure_summary(erasure: Erasure) -> dict[str, Any]:
    return {
        "external_id": erasure.external_id,
        "pseudonym": erasure.pseudonym,
        "customer_deleted": erasure.customer_deleted,
        "events_pseudonymised": erasure.events_pseudonymised,
        "checksum_before": erasure.checksum_before,
        "checksum_after": erasure.checksum_after,
        "erased_at": erasure.erased_at,
    }
