"""Compliance endpoints: the consent export and erasure (API key scopes), and the SMS provider webhook."""

from __future__ import annotations

import csv
import io
import json
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers
from rest_framework.response import Response

from compliance import sms
from compliance.selectors import HISTORY_FIELDS, consent_export
from compliance.services import customer_erase, erasure_summary, sms_keyword_receive, sms_tenant
from customers.selectors import customer_get
from customers.services import customer_delete
from customers.validators import normalize_e164
from prefcenter.exceptions import PrefCenterError
from prefcenter.handlers import api_error_response
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from prefcenter.renderers import JSONRenderer
from prefcenter.views import PrefCenterAPIView

CSV_COLUMNS: tuple[str, ...] = ("kind", *HISTORY_FIELDS)


class ConsentCSVRenderer(renderers.BaseRenderer):
    """The export as one CSV table: `current` rows (subject, field, value now), then every ledger
    `event`, then a `checksum` row (events counted in `id`, sha256 in `new_value`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        current = data.get("current") or {}
        for subject, field, value in _current_cells(current):
            writer.writerow({"kind": "current", "subject": subject, "field": field, "new_value": _cell(value)})
        for event in data["history"]:
            row = {key: _cell(value) if key in ("old_value", "new_value") else value for key, value in event.items()}
            writer.writerow({"kind": "event", **row})
        checksum = data["checksum"]
        writer.writerow({"kind": "checksum", "id": checksum["events"], "new_value": f"sha256:{checksum['value']}"})
        return out.getvalue().encode()


def _cell(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _current_cells(current: dict[str, Any]):
    for field, value in (current.get("customer") or {}).items():
        yield "customer", field, value
    for pref in current.get("categories") or []:
        for field, value in pref.items():
            if field != "category":
                yield f"category:{pref['category'] or '*'}", field, value
    for pref in current.get("workflows") or []:
        for field, value in pref.items():
            if field != "workflow":
                yield f"workflow:{pref['workflow'] or '*'}", field, value


class ConsentExportView(PrefCenterAPIView):
    """`GET /v1/customers/{external_id}/consent`: current choices, full history and its checksum."""

    renderer_classes = [JSONRenderer, ConsentCSVRenderer]
    scopes = {"GET": ("ledger:read",)}
    # A tool for the tenant's staff (it shows staff actors and request addresses): customer mode is a 403.
    provider_only_actions = ("get",)

    def get_serializer_class(self):
        return None  # a fixed document: `fields`/`expand` select nothing here and are ignored

    @extend_schema(
        operation_id="customers_consent_export",
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={200: dict},
        summary="Consent record of one customer (GDPR Art. 7(1), 15, 20)",
    )
    def get(self, request, external_id: str) -> Response:
        self.check_customer_access(external_id)
        export = consent_export(tenant=self.tenant, external_id=external_id)
        headers = {
            "X-Consent-Checksum": f"sha256={export['checksum']['value']}",
            "X-Consent-Events": str(export["checksum"]["events"]),
        }
        if request.accepted_renderer.format == "csv":
            headers["Content-Disposition"] = 'attachment; filename="consent.csv"'
        return Response(export, headers=headers)

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are answered in the project's JSON envelope even when CSV was asked for.
        if getattr(self.request, "accepted_renderer", None) is None or self.request.accepted_renderer.format == "csv":
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


class CustomerErasureView(PrefCenterAPIView):
    """`DELETE /v1/customers/{external_id}?erase=true`: erasure (GDPR Art. 17); without `erase`, a plain delete."""

    scopes = {"DELETE": ("customers:write",)}
    provider_only_actions = ("delete",)

    def get_serializer_class(self):
        return None  # a fixed document: `fields`/`expand` select nothing here and are ignored

    @extend_schema(
        operation_id="customers_erase",
        parameters=[OpenApiParameter("erase", bool, default=False)],
        responses={200: dict, 204: None},
        summary="Delete a customer; with erase=true also pseudonymise their ledger history",
    )
    def delete(self, request, external_id: str) -> Response:
        erase = _parse_bool(request.query_params.get("erase"))
        if erase:
            erasure = customer_erase(tenant=self.tenant, external_id=external_id, actor=self.actor)
            return Response(erasure_summary(erasure))
        customer_delete(customer=customer_get(tenant=self.tenant, external_id=external_id), actor=self.actor)
        return Response(status=HTTPStatus.NO_CONTENT)


def _parse_bool(raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise PrefCenterError("erase must be true or false.", errors={"erase": ["Must be true or false."]})


def _twiml_response(text: str | None, status: int = HTTPStatus.OK) -> HttpResponse:
    return HttpResponse(sms.twiml(text), status=status, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """`POST /v1/sms/inbound`: a provider's inbound-message webhook (Twilio's form fields From, To, Body).

    The tenant is the one whose SMS settings hold the `To` number. Refusals that concern the
    webhook itself (missing fields, unknown `To`, bad signature) answer the project's JSON
    error envelope; replies meant for the texter answer TwiML (docs/compliance.md).
    """
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return api_error_response(
            request, 415, "Send the provider's form: application/x-www-form-urlencoded.", "unsupported_media_type"
        )
    form = request.POST
    missing = [name for name in ("From", "To") if not form.get(name, "").strip()]
    if missing:
        return api_error_response(request, 400, f"Missing field(s): {', '.join(missing)}.", "invalid")
    try:
        to_number = normalize_e164(form["To"].strip())
        from_number = normalize_e164(form["From"].strip())
    except ValidationError:
        return api_error_response(request, 400, "From and To must be phone numbers in E.164 format.", "invalid")
    try:
        settings_row = sms_tenant(to_number=to_number)
    except PrefCenterError as exc:
        return api_error_response(request, exc.status_code, exc.message, exc.code)
    if settings_row.auth_token:
        signature = request.headers.get("X-Twilio-Signature", "")
        params = [(key, value) for key in form for value in form.getlist(key)]
        url = request.build_absolute_uri()
        if not signature or not sms.signature_valid(
            url=url, params=params, auth_token=settings_row.auth_token, signature=signature
        ):
            return api_error_response(
                request, 403, "Missing or invalid X-Twilio-Signature; nothing was changed.", "invalid_signature"
            )
    actor = Actor.from_request(request, label="sms", source=ConsentEvent.SOURCE_SMS_KEYWORD)
    reply = sms_keyword_receive(
        sms_settings=settings_row,
        from_number=from_number,
        body=form.get("Body", ""),
        message_sid=form.get("MessageSid", "") or form.get("SmsSid", ""),
        actor=actor,
    )
    return _twiml_response(reply.text, reply.status)
