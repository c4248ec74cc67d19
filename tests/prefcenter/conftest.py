"""Fixtures for the foundation tests (re-used by tests/customers): admin users bound to a tenant."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from prefcenter.models import TenantMembership


@pytest.fixture
def staff_user(tenant):
    """A staff user of tenant `acme` with every model permission of the project's apps."""
    user = get_user_model().objects.create_user("acme-staff", "staff@acme.test", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "prefcenter", "messaging", "subscribers"])
    )
    TenantMembership.objects.create(user=user, tenant=tenant)
    return user


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")
