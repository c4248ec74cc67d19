from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console: bulk CSV export/import and the tenant dashboard, on top of the domain apps.

    Nothing imports it. `ready()` hooks its pieces into the admin the domain apps registered
    (the export action and the links on the customer changelist), so their admin.py stay untouched.
    """

    name = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from console import admin_hooks

        admin_hooks.install()
