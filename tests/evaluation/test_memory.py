"""A finished evaluation is freed by reference counting, not left to the cyclic garbage collector.

DRF links a view, its request and its response in reference cycles; an evaluation's request and
answer are megabytes (10,000 recipients, their results, the rendered bytes), and a worker that
allocates little between collections kept many of them (docs/bench.md, issue 16).
"""

from __future__ import annotations

import gc
import json
import weakref
from http import HTTPStatus

from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from tests.evaluation.conftest import make_many

URL = "/v1/deliveries/evaluate"


def test_evaluation_answer_is_freed_without_the_collector_when_the_server_drops_the_response(
    provider_key, catalog, tenant
):
    make_many(tenant, 3)
    body = json.dumps({"workflow": "newsletter", "recipients": ["bulk-0", "bulk-1", "x"]})
    environ = RequestFactory().post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {provider_key}"
    ).environ
    handler = WSGIHandler()  # as gunicorn calls Django: nothing kept after the response is written
    gc.collect()
    gc.disable()
    try:
        response = handler.get_response(handler.request_class(environ))
        assert response.status_code == HTTPStatus.OK
        assert len(json.loads(response.content)["results"]) == 2
        answer = weakref.ref(response)  # its data (the results) and its rendered bytes
        del response
        assert answer() is None
    finally:
        gc.enable()
