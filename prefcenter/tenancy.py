"""Which tenant and which mode a request runs in.

- A tenant-bound credential uses its own tenant. A tenant header naming another
  tenant is a 404 (it is not this credential's to see).
- A platform credential must name a tenant with `TeamUp-Provider-ID` or
  `reach-tenant-id` (slug or id): missing is 400, unknown is 404.
- `Teamup-Request-Mode: customer|provider` is required when the credential allows both;
  sent, it must name one of them (an empty value is a 400, not "absent").
  Customer mode binds the request to one customer (its external id).
"""

from __future__ import annotations

from dataclasses import dataclass

from prefcenter.authentication import Credential, find_tenant, tenant_header
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import MODE_CUSTOMER, MODE_PROVIDER, MODES, ConsentEvent, Tenant

MODE_HEADER = "HTTP_TEAMUP_REQUEST_MODE"


@dataclass(frozen=True)
class RequestContext:
    tenant: Tenant
    mode: str
    customer_external_id: str
    credential: Credential
    actor: Actor

    @property
    def is_customer_mode(self) -> bool:
        return self.mode == MODE_CUSTOMER


def resolve_tenant(request, credential: Credential) -> Tenant:
    named = tenant_header(request)
    if credential.tenant is not None:
        if named and named not in (credential.tenant.slug, str(credential.tenant.pk)):
            raise PrefCenterError("Tenant not found.", code="tenant_not_found", status=404)
        return credential.tenant
    if not named:
        raise PrefCenterError(
            "This credential reaches several tenants: name one with the TeamUp-Provider-ID or reach-tenant-id header.",
            code="tenant_required",
            status=400,
            errors={"TeamUp-Provider-ID": ["This header is required for platform credentials."]},
        )
    tenant = find_tenant(named)
    if tenant is None:
        raise PrefCenterError("Tenant not found.", code="tenant_not_found", status=404)
    return tenant


def resolve_mode(request, credential: Credential) -> str:
    sent = MODE_HEADER in request.META
    raw = request.META.get(MODE_HEADER, "").strip().lower()
    if sent and raw not in MODES:  # an empty header is not an absent one: it names no mode
        raise PrefCenterError(
            "Teamup-Request-Mode must be 'customer' or 'provider'.",
            errors={"Teamup-Request-Mode": [f"'{raw}' is not one of: customer, provider."]},
        )
    if not raw:
        if len(credential.modes) > 1:
            raise PrefCenterError(
                "This credential may act in customer or provider mode: say which with the Teamup-Request-Mode header.",
                code="mode_required",
                errors={"Teamup-Request-Mode": ["This header is required for this credential."]},
            )
        if not credential.modes:
            raise PrefCenterError("This credential allows no request mode.", code="permission_denied", status=403)
        raw = next(iter(credential.modes))
    if raw not in credential.modes:
        raise PrefCenterError(f"This credential may not act in {raw} mode.", code="permission_denied", status=403)
    if raw == MODE_CUSTOMER and not credential.customer_external_id:
        raise PrefCenterError(
            "This credential is not bound to a customer, so it cannot act in customer mode.",
            code="permission_denied",
            status=403,
        )
    return raw


def resolve_context(request, credential: Credential) -> RequestContext:
    tenant = resolve_tenant(request, credential)
    mode = resolve_mode(request, credential)
    return RequestContext(
        tenant=tenant,
        mode=mode,
        customer_external_id=credential.customer_external_id if mode == MODE_CUSTOMER else "",
        credential=credential,
        actor=Actor.from_request(request, label=credential.label, source=ConsentEvent.SOURCE_API),
    )


__all__ = ["MODE_CUSTOMER", "MODE_PROVIDER", "RequestContext", "resolve_context"]
