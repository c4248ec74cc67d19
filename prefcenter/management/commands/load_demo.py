from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

import customers.demo
import messaging.demo
import subscribers.demo
from customers.models import Customer
from prefcenter.credentials import api_key_create
from prefcenter.models import SCOPES, ApiKey, Tenant, TenantMembership, hash_key
from prefcenter.selfservice.links import links_issue

DEMO_TENANT = "acme"
DEMO_KEY = "pc_demo_acme_provider_key_do_not_use_in_production"
DEMO_STAFF = ("staff", "staff-demo-password")
DEMO_ADMIN = ("admin", "admin-demo-password")
STAFF_APPS = ("customers", "messaging", "subscribers", "prefcenter", "webhooks")


class Command(BaseCommand):
    help = "Load demo data (idempotent): tenant 'acme', customers, catalog, a staff login, a superuser and an API key."

    @transaction.atomic
    def handle(self, *args, **options):
        tenant, _ = Tenant.objects.get_or_create(slug=DEMO_TENANT, defaults={"name": "Acme Inc."})
        customers.demo.load(tenant)
        messaging.demo.load(tenant)
        subscribers.demo.load(tenant)

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
        ada = Customer.objects.select_related("tenant").get(tenant=tenant, external_id="cust-ada")
        self.stdout.write(f"Self-service page of cust-ada (signed link): {links_issue(customer=ada).preferences_url}")
