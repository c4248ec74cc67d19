"""Which error envelope a route answers in has one home (prefcenter/exceptions.envelope_of): a 404 from
inside DRF (an unknown object) and from outside it (an unknown route under the same prefix) agree."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from prefcenter.exceptions import DEFAULT, NOVU, REACH, envelope_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        ("/api/resources/customers/x", REACH),
        ("/v2/subscribers/x", NOVU),
        ("/api/v2/customers/1", DEFAULT),
        ("/v1/messaging/categories/x", DEFAULT),
        ("/api/resourcesx/", DEFAULT),
    ],
)
def test_envelope_of_names_the_route_envelope_when_asked(path, envelope):
    assert envelope_of(path) == envelope


@pytest.mark.parametrize(
    ("known_route", "unknown_route", "keys"),
    [
        ("/api/resources/customers/nobody", "/api/resources/nothing-here", {"success", "message", "data"}),
        ("/v2/subscribers/nobody", "/v2/nothing-here", {"statusCode", "timestamp", "path", "message", "code"}),
        ("/api/v2/customers/999999", "/api/v2/nothing-here", {"detail", "code", "status", "errors", "request_id"}),
    ],
)
def test_404_answers_the_same_envelope_when_raised_inside_or_outside_drf(api, known_route, unknown_route, keys):
    inside, outside = api.get(known_route), api.get(unknown_route)
    assert (inside.status_code, outside.status_code) == (HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND)
    assert set(inside.json()) == set(outside.json()) == keys
