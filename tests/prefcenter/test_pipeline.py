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
