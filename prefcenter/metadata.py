"""OPTIONS answers: what the endpoint renders and parses, never the object (no lookup, no 500)."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class PrefCenterMetadata(SimpleMetadata):
    def determine_actions(self, request, view) -> dict:
        return {}
