"""The customers tests use the foundation's admin fixtures."""

from tests.prefcenter.conftest import form_data, staff_user, superuser  # noqa: F401
