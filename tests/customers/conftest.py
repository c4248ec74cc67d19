"""The customers tests use the foundation's admin fixtures."""

from tests.prefcenter.conftest import staff_user, superuser  # noqa: F401
