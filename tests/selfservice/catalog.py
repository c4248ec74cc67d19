"""A small, realistic catalog shared by the self-service, evaluation and browser tests."""

from __future__ import annotations

from dataclasses import dataclass

from customers.models import Customer
from messaging.models import Category
from prefcenter.models import Tenant
from subscribers.models import Workflow
from tests.factories import SYSTEM, make_category, make_workflow

__all__ = ["SYSTEM", "Catalog", "fresh", "make_catalog"]


@dataclass
class Catalog:
    account: Category
    orders: Category
    news: Category
    password_reset: Workflow
    order_shipped: Workflow
    newsletter: Workflow
    product_tips: Workflow
    mentions: Workflow


def make_catalog(tenant: Tenant) -> Catalog:
    account = make_category(
        tenant,
        "account",
        name="Account and security",
        mandatory=True,
        description="Sign-in alerts and changes to your account.",
    )
    orders = make_category(tenant, "orders", name="Orders and deliveries", description="Updates about what you bought.")
    news = make_category(
        tenant,
        "news",
        name="News and offers",
        default_push=False,
        default_digest="daily",
        description="Product news, tips and the occasional offer.",
    )
    return Catalog(
        account=account,
        orders=orders,
        news=news,
        password_reset=make_workflow(
            tenant,
            "password-reset",
            name="Password reset",
            category=account,
            critical=True,
            channels=["email", "sms"],
        ),
        order_shipped=make_workflow(
            tenant,
            "order-shipped",
            name="Order shipped",
            category=orders,
            channels=["email", "sms", "in_app", "push"],
            description="When your parcel leaves our warehouse.",
        ),
        newsletter=make_workflow(tenant, "newsletter", name="Monthly newsletter", category=news, channels=["email"]),
        product_tips=make_workflow(
            tenant,
            "product-tips",
            name="Product tips",
            category=news,
            channels=["in_app", "push"],
            defaults={"push": False},
        ),
        mentions=make_workflow(tenant, "mentions", name="Mentions", channels=["in_app", "email", "chat"]),
    )


def fresh(customer: Customer) -> Customer:
    return Customer.objects.select_related("tenant").get(pk=customer.pk)
