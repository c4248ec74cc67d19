"""`page` and `page_size` are positive integers (prefcenter/pagination.py), as the schema says."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.prefcenter.envelopes import api_error

LIST = "/api/v2/customers"


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("value", ["null", "0", "-1", "abc", "1.5", "", "last", "²"])
def test_pagination_parameter_is_400_when_not_a_positive_integer(api, customer, name, value):
    response = api.get(LIST, {name: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid",
        f"{name} must be a positive integer.",
        {name: [f"Must be a positive integer; got '{value}'."]},
    )


def test_page_size_is_used_when_a_positive_integer(api, customer):
    response = api.get(LIST, {"page_size": "1", "page": "1"})

    assert response.status_code == HTTPStatus.OK
    assert [item["external_id"] for item in response.json()["results"]] == ["cust-1"]
