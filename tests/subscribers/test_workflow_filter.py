"""The workflow tag/category filter has one home (subscribers/selectors/workflows.py): the workflow list
and the Novu preferences GET answer the same workflows for the same `tags` and `category`."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.factories import make_category, make_customer, make_workflow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["", "tags=orders", "tags=orders,news", "tags=news&tags=orders", "tags=%20,orders", "category=news",
     "category=news&tags=orders", "category=", "category=unknown", "tags=unknown", "tags=,"],
)
def test_list_and_preferences_answer_the_same_workflows_when_filtered_alike(api, tenant, query):
    news = make_category(tenant, "news")
    make_workflow(tenant, "a", tags=["orders"])
    make_workflow(tenant, "b", tags=["news"], category=news)
    make_workflow(tenant, "c", tags=["orders", "news"])
    make_workflow(tenant, "d", tags=["orders"], category=news)
    make_workflow(tenant, "e")
    make_customer(tenant, "cust")

    listed = api.get(f"/v2/workflows?orderDirection=ASC&limit=100&{query}")
    preferences = api.get(f"/v2/subscribers/cust/preferences?criticality=all&{query}")

    assert listed.status_code == HTTPStatus.OK, listed.json()
    assert preferences.status_code == HTTPStatus.OK, preferences.json()
    in_list = [w["workflowId"] for w in listed.json()["workflows"]]
    in_preferences = [w["workflow"]["identifier"] for w in preferences.json()["workflows"]]
    assert in_list == in_preferences
