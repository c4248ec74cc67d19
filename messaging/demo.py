"""Demo data of the messaging app for `manage.py load_demo` (idempotent)."""

from __future__ import annotations

from prefcenter.models import Tenant


def load(tenant: Tenant) -> None:
    return None
