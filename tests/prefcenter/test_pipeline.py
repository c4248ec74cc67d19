"""The base view extends DRF's request pipeline through super() (NetBox's BaseViewSet), never by copying it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from rest_framework.views import APIView

from prefcenter.models import IdempotencyRecord
from prefcenter.views import PrefCenterViewMixin

pytestmark = pytest.mark.django_db


def test_base_view_keeps_drf_dispatch_when_subclassed():
    assert "dispatch" not in vars(PrefCenterViewMixin)
    assert "initialize_request" not in vars(PrefCenterViewMixin)
    assert PrefCenterViewMixin.initial is not APIView.initial  # extended, calling super()


def test_method_not_allowed_stores_nothing_when_sent_with_an_idempotency_key(api, unchanged):
    """The guard wraps exactly the handler DRF picks, here DRF's 405: answered, never stored."""
    with unchanged():
        response = api.put("/v2/subscribers", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-405")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not IdempotencyRecord.objects.exists()


def test_throttle_and_idempotency_name_a_customer_token_alike_when_it_calls(tenant, other_tenant, client_for):
    """Credential identity has one home (Credential.identity): the throttle's bucket and the idempotency
    record's scope both carry the token's tenant and `sub`, so equal `sub`s of two tenants never share either."""
    from types import SimpleNamespace

    from messaging.services import category_create
    from prefcenter.authentication import Credential
    from prefcenter.throttling import CredentialRateThrottle
    from tests.factories import make_customer, make_customer_token

    scopes = {}
    for owner in (tenant, other_tenant):
        category_create(tenant=owner, key="marketing", name="Marketing")
        make_customer(owner, "same-sub")
        client = client_for(make_customer_token(owner, "same-sub"), scheme="Bearer")
        response = client.put(
            "/v1/messaging/preferences", {"category": "marketing", "email_enabled": False}, format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
        assert response.status_code == HTTPStatus.OK, response.json()
        scopes[owner.pk] = IdempotencyRecord.objects.get(tenant=owner).credential

    for owner in (tenant, other_tenant):
        credential = Credential(kind="jwt", label="t", tenant=owner, scopes=frozenset(), modes=frozenset(),
                                customer_external_id="same-sub")
        bucket = CredentialRateThrottle().get_cache_key(SimpleNamespace(user=credential, META={}), None)
        assert scopes[owner.pk] == credential.identity == f"jwt:{owner.pk}:same-sub"
        assert bucket.endswith(credential.identity)
