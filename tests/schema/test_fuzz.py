"""Schema fuzzing: Schemathesis against our own /api/schema/, in-process (WSGI), authenticated.

Every operation: no 5xx, status codes and response bodies as the schema documents them.
Examples per operation: SCHEMATHESIS_MAX_EXAMPLES (default 25).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_customer

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
TENANT_HEADERS = {"teamup-provider-id", "reach-tenant-id", "teamup-request-mode"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _load_schema():
    # Generating the schema touches no database, so it can be loaded at collection time.
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()


@pytest.fixture
def in_test_transaction():
    """Calls go through the real WSGI handler, which closes "obsolete" connections at each request;
    inside the test's transaction that would close it (as Django's own test client avoids, so do we)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(tenant, in_test_transaction):
    for n in range(3):
        make_customer(tenant, f"fuzz-{n}", phone="+14155550100", sms_opt_out=False)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_operation_conforms_to_schema_when_fuzzed(case, provider_key, fuzz_data):
    # Keep the tenant and mode headers out half the time, so most cases reach the handlers.
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() not in TENANT_HEADERS}
    case.call_and_validate(headers={"Authorization": f"Token {provider_key}"}, checks=CHECKS)
