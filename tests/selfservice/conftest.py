"""Fixtures for the self-service tests (defined in tests/selfservice/fixtures.py, shared with tests/browser)."""

from tests.selfservice.fixtures import catalog, page_path, person, unsubscribe_path

__all__ = ["catalog", "page_path", "person", "unsubscribe_path"]
