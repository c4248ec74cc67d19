"""How prefcenter's rows are named in Novu's DTOs: stable string ids and Novu's vocabulary.

Novu identifies documents by 24-hex ObjectIds. prefcenter's rows have integer keys, so a
subscriber's or workflow's `_id` is its key written as 24 hex digits: stable, a string,
and read back without a lookup (a cursor, a `workflowId` given as `_id`). The tenant is
Novu's organization and environment at once; both ids derive from the tenant's uuid.
"""

from __future__ import annotations

import re
import uuid

from prefcenter.models import Tenant

_NOVU_ID = re.compile(r"^[0-9a-f]{24}$")

# Novu step types prefcenter stores and answers. A channel step makes the workflow use that channel;
# the others (digest, delay, custom) are stored and answered only.
ACTION_STEP_TYPES = ("digest", "delay", "custom")


def novu_id(pk: int) -> str:
    return f"{pk:024x}"


def pk_of_novu_id(value: str) -> int | None:
    """The integer key a Novu `_id` names, or None when `value` is not one."""
    if not _NOVU_ID.match(value):
        return None
    pk = int(value, 16)
    return pk if 0 < pk < 2**63 else None


def organization_id(tenant: Tenant) -> str:
    return tenant.uuid.hex[:24]


def environment_id(tenant: Tenant) -> str:
    return uuid.uuid5(tenant.uuid, "environment").hex[:24]
