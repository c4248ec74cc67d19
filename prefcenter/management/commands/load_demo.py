import importlib
import importlib.util
import logging
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from prefcenter.credentials import api_key_create
from prefcenter.models import SCOPES, ApiKey, Tenant, TenantMembership, hash_key

DEMO_TENANT = "acme"
DEMO_KEY = "pc_demo_acme_provider_key_do_not_use_in_production"
DEMO_STAFF = ("staff", "staff-demo-password")
DEMO_ADMIN = ("admin", "admin-demo-password")
STAFF_APPS = ("customers", "messaging", "subscribers", "prefcenter", "webhooks")


def project_apps() -> list:
    """The project's own installed apps (not Django's or third-party ones), in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if Path(config.path).is_relative_to(settings.BASE_DIR)]


@contextmanager
def services_at_warning(names: list[str]):
    """The services log each catalog row they create at INFO ("category acme/billing created by demo"),
    which operators want and a newcomer reading `make run` does not: while the demo loads, the project's
    loggers pass warnings and errors only. `load_demo -v 2` keeps them."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def demo_modules() -> list:
    """The `demo` module of every installed app that has one, in INSTALLED_APPS order (lower layers first).

    The registry is the app list itself: an app takes part by shipping `<app>/demo.py` with
    `load(tenant)` (create its demo rows, idempotently) and/or `describe(tenant) -> list[str]` (lines
    to print at the end, e.g. where to click). This command imports no app above the foundation.
    """
    modules = []
    for config in project_apps():
        name = f"{config.name}.demo"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


class Command(BaseCommand):
    help = "Load demo data (idempotent): tenant 'acme', customers, catalog, a staff login, a superuser and an API key."

    @transaction.atomic
    def handle(self, *args, **options):
        tenant, _ = Tenant.objects.get_or_create(slug=DEMO_TENANT, defaults={"name": "Acme Inc."})
        demos = demo_modules()
        quiet = [config.name for config in project_apps()] if options["verbosity"] < 2 else []
        with services_at_warning(quiet):
            for demo in demos:
                if hasattr(demo, "load"):
                    demo.load(tenant)

        if not ApiKey.objects.filter(key_hash=hash_key(DEMO_KEY)).exists():
            api_key_create(tenant=tenant, scopes=list(SCOPES), name="demo provider key", raw_key=DEMO_KEY)

        users = get_user_model()
        admin = users.objects.filter(username=DEMO_ADMIN[0]).first()
        if admin is None:
            users.objects.create_superuser(DEMO_ADMIN[0], "admin@example.com", DEMO_ADMIN[1])
        staff = users.objects.filter(username=DEMO_STAFF[0]).first()
        if staff is None:
            staff = users.objects.create_user(DEMO_STAFF[0], "staff@example.com", DEMO_STAFF[1], is_staff=True)
        staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APPS))
        TenantMembership.objects.update_or_create(user=staff, defaults={"tenant": tenant})

        self.stdout.write(f"Demo tenant: {tenant.slug} (id {tenant.pk})")
        self.stdout.write(f"Admin (superuser): {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}")
        self.stdout.write(f"Staff (tenant {tenant.slug} only): {DEMO_STAFF[0]} / {DEMO_STAFF[1]}")
        self.stdout.write(f"API key (all scopes, provider mode): {DEMO_KEY}")
        for demo in demos:
            for line in getattr(demo, "describe", lambda tenant: [])(tenant):
                self.stdout.write(line)
