"""Admin for the foundation, and the tenant scoping every app's admin inherits.

- toolkit: what every app's admin builds on: tenant scoping (staff users belong to one tenant
  through TenantMembership and see only its rows; superusers see all), the one way to show and
  edit values (Yes/No/Inherit, channel checkboxes, tags), and ServiceAdmin (edits go through
  services with the staff user as actor, source "admin"; service refusals become form errors);
- foundation: the foundation's own models (tenants, memberships, API keys, the consent ledger).
"""

from prefcenter.admin import foundation  # noqa: F401  (registers the foundation's admin pages)
