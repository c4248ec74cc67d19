"""Scopes, deny by default: every view names the scopes each action needs."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from prefcenter.exceptions import PrefCenterError


class HasScopes(BasePermission):
    """Grants a request only if its credential holds every scope the view asks for."""

    def has_permission(self, request, view) -> bool:
        required = view.get_required_scopes(request)
        held = getattr(request.user, "scopes", frozenset())
        missing = [scope for scope in required if scope not in held]
        if missing:
            raise PrefCenterError(
                f"Missing permission: {', '.join(missing)}. "
                "The role behind your API key or agent must grant every one of these permissions.",
                code="permission_denied",
                status=403,
                errors={"scopes": [f"Requires {scope}." for scope in missing]},
            )
        return True
