"""Foundation models: tenants, API credentials, the consent ledger, idempotency records.

These sit at the bottom of the dependency graph: nothing here imports an app above.
Customers are referred to by id and external id (no foreign key) so that the
ledger outlives the rows it speaks about, which is what makes it proof.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from prefcenter.branding import validate_accent_color
from prefcenter.channels import default_channel_map

SCOPES: tuple[str, ...] = (
    "customers:read",
    "customers:write",
    "messaging:read",
    "messaging:update",
    "subscribers:read",
    "subscribers:write",
    "catalog:write",
    "links:create",
    "deliveries:evaluate",
    "ledger:read",
    "webhooks:manage",
)

# What a customer acting for themself may do (customer JWTs carry this set unless
# they name a narrower `scope` claim).
CUSTOMER_SCOPES: tuple[str, ...] = (
    "customers:read",
    "customers:write",
    "messaging:read",
    "messaging:update",
    "subscribers:read",
    "subscribers:write",
)

MODE_PROVIDER = "provider"
MODE_CUSTOMER = "customer"
MODES: tuple[str, ...] = (MODE_PROVIDER, MODE_CUSTOMER)


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(48)


def validate_phone_region(value: str) -> None:
    """A region the `phonenumbers` library knows (ISO 3166 alpha-2, upper case)."""
    if value and value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"'{value}' is not a region phone numbers are known for (ISO 3166, e.g. US, GB, DE).")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name zoneinfo knows (`Europe/Berlin`)."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationError(f"Unknown time zone '{value}' (an IANA name, e.g. Europe/Berlin).") from exc


def default_schedule_channels() -> list[str]:
    """Where schedules and quiet hours apply unless the tenant says otherwise: the interrupting channels."""
    return ["sms", "chat", "push"]


def validate_schedule_channels(value: object) -> None:
    """A list of distinct channel names."""
    from prefcenter.channels import CHANNELS

    if not isinstance(value, list) or any(not isinstance(c, str) or c not in CHANNELS for c in value):
        raise ValidationError(f"A list of channels among {', '.join(CHANNELS)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Channels must not repeat.")


def new_catalog_revision() -> uuid.UUID:
    return uuid.uuid4()


class Tenant(models.Model):
    """A company that keeps its customers' notification choices here.

    `slug` or the integer `id` names it in the `TeamUp-Provider-ID` and
    `reach-tenant-id` headers; `uuid` is Reach's businessId. `channel_defaults` is the
    last layer of resolution: what a channel does when no one has chosen.
    """

    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    jwt_secret = models.CharField(
        max_length=128, default=new_jwt_secret, help_text="HS256 secret that signs this tenant's customer JWTs."
    )
    channel_defaults = models.JSONField(default=default_channel_map)
    default_phone_region = models.CharField(
        max_length=2, blank=True, default="US", validators=[validate_phone_region],
        help_text="Two-letter region (ISO 3166) of phone numbers typed without a country code in the admin, "
        "e.g. US for (415) 555-0199. Empty: only +country numbers are accepted. Stored numbers are always E.164.",
    )
    default_timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="IANA time zone of customers who have none (e.g. Europe/Berlin): their schedule and quiet "
        "hours are read in it.",
    )
    schedule_channels = models.JSONField(
        default=default_schedule_channels, blank=True, validators=[validate_schedule_channels],
        help_text="Channels on which customers' schedules and quiet hours hold deliveries back "
        "(default: sms, chat, push; not email, not in_app). Critical workflows ignore them.",
    )
    catalog_revision = models.UUIDField(
        default=new_catalog_revision,
        editable=False,
        help_text="A new value on every change to this tenant's workflows or categories: the key of the "
        "in-process catalog cache (subscribers/catalog.py).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Branding of the self-service pages (prefcenter/branding.py says the rules).
    display_name = models.CharField(
        max_length=200, blank=True, help_text="The name customers see on the self-service pages; empty: the name."
    )
    accent_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_accent_color],
        help_text="Buttons, links and switches on the self-service pages, as #rrggbb; dark enough for white text "
        "on it (contrast 4.5:1). Empty: the default blue.",
    )
    support_url = models.URLField(
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text="A help or contact page linked from the self-service pages (https://…).",
    )
    logo_sha256 = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the uploaded logo (TenantLogo): its URL, so a new logo is a new URL.",
    )
    webhook_event_types = models.JSONField(
        default=list, blank=True, editable=False,
        help_text="Event types some enabled webhook endpoint of this tenant hears (kept by webhooks/services.py). "
        "Loaded with the tenant, it spares a tenant without webhooks any outbox query on a consent change.",
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug

    @property
    def public_name(self) -> str:
        """What customers call the tenant: the display name, else the name."""
        return self.display_name or self.name or self.slug


class TenantLogo(models.Model):
    """A tenant's logo for the self-service pages: the image bytes, stored in the database.

    In the database rather than MEDIA so that any number of stateless app hosts serve it with
    no shared volume, and backups hold it. Kept apart from `Tenant` so that loading a tenant
    (every request does) never loads the image. PNG, JPEG or WebP, at most 256 KB, checked by
    their magic bytes (prefcenter/branding.py); served at `/assets/logos/<sha256>`.
    """

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="logo")
    content_type = models.CharField(max_length=20)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"logo of {self.tenant_id} ({self.content_type}, {len(self.data)} bytes)"


class TenantMembership(models.Model):
    """Binds a staff user to the one tenant whose data they may see in the admin."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_membership")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"


KEY_PREFIX = "pc_"


def hash_key(raw_key: str) -> str:
    """API keys are 256-bit random strings, so a fast unsalted SHA-256 is safe to store and look up."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A secret that a tenant's backend (or a platform operator) calls the API with.

    Stored hashed and shown once. `tenant` empty means platform-wide: such a key must
    name its tenant in a header on every request. `scopes` deny by default. A key that
    allows customer mode is bound to one customer by external id.
    """

    name = models.CharField(max_length=100, blank=True)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    allow_provider = models.BooleanField(default=True)
    allow_customer = models.BooleanField(default=False)
    customer_external_id = models.CharField(
        max_length=255, blank=True, help_text="For customer mode: the external id of the only customer it may act for."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name or 'key'} ({self.prefix}…)"

    @classmethod
    def generate(cls) -> tuple[str, str, str]:
        """A new raw key, its display prefix and its hash. The raw key is never stored."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        return (raw, *cls.derive(raw))

    @staticmethod
    def derive(raw: str) -> tuple[str, str]:
        """The display prefix and the stored hash of a raw key."""
        return raw[: len(KEY_PREFIX) + 8], hash_key(raw)

    @property
    def modes(self) -> frozenset[str]:
        modes = set()
        if self.allow_provider:
            modes.add(MODE_PROVIDER)
        if self.allow_customer:
            modes.add(MODE_CUSTOMER)
        return frozenset(modes)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class ConsentEventQuerySet(models.QuerySet):
    """The ledger is append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("The consent ledger is append-only.")

    def delete(self):
        raise PermissionError("The consent ledger is append-only.")

    _raw_delete = delete

    def pseudonymise(
        self,
        *,
        pseudonym: str,
        redact_fields: tuple[str, ...],
        redacted: str,
        actor_aliases: dict[str, str],
        redact_actor_sources: tuple[str, ...],
    ) -> int:
        """The ledger's one sanctioned rewrite, for erasure (GDPR Art. 17; docs/compliance.md).

        Replaces the external id with its keyed pseudonym, the values of personal-data fields with
        a marker, actor labels that name the person with their alias (`actor_aliases`) and the actor
        of events from `redact_actor_sources` (an SMS sender's number) with the marker; what/when/
        source/ip and the consent values stay as proof. Only the erasure service calls it,
        in the transaction that records the erasure event (which carries the checksums before and after).
        """
        # Redact first: the caller's filter usually names the external id this rewrite replaces.
        rows = self.filter(field__in=redact_fields)
        super(ConsentEventQuerySet, rows.filter(old_value__isnull=False)).update(old_value=redacted)
        super(ConsentEventQuerySet, rows.filter(new_value__isnull=False)).update(new_value=redacted)
        for label, alias in actor_aliases.items():
            super(ConsentEventQuerySet, self.filter(actor=label)).update(actor=alias)
        super(ConsentEventQuerySet, self.filter(source__in=redact_actor_sources)).update(actor=redacted)
        return super().update(customer_external_id=pseudonym)


class ConsentEvent(models.Model):
    """One changed value of one customer's consent: who, what, old → new, when, how.

    Written by services in the same transaction as the change (prefcenter/ledger.py).
    Never updated or deleted; kept when the customer is deleted.
    """

    SOURCE_API = "api"
    SOURCE_ADMIN = "admin"
    SOURCE_PAGE = "page"
    SOURCE_ONE_CLICK = "one_click"
    SOURCE_SYSTEM = "system"
    SOURCE_IMPORT = "import"  # a CSV import (staff console: manage.py import_customers or the admin's upload)
    SOURCE_SMS_KEYWORD = "sms_keyword"  # an inbound SMS such as STOP (compliance/sms.py)
    SOURCES = [
        (s, s)
        for s in (
            SOURCE_API, SOURCE_ADMIN, SOURCE_PAGE, SOURCE_ONE_CLICK, SOURCE_SYSTEM, SOURCE_IMPORT, SOURCE_SMS_KEYWORD
        )
    ]

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="consent_events")
    customer_id = models.BigIntegerField(db_index=True)
    customer_external_id = models.CharField(max_length=255)
    subject = models.CharField(
        max_length=300,
        help_text="What changed: 'customer', 'category:<key>', 'workflow:<identifier>', or '…:*' (global).",
    )
    field = models.CharField(max_length=64)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    actor = models.CharField(max_length=300)
    source = models.CharField(max_length=16, choices=SOURCES)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["tenant", "customer_id", "id"]),
            # The staff console's daily opt-out/opt-in counts read one tenant's events by time (console/dashboard.py).
            models.Index(fields=["tenant", "created_at"], name="consent_event_tenant_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_external_id} {self.subject}.{self.field}: {self.old_value!r} → {self.new_value!r}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The consent ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The consent ledger is append-only.")


class IdempotencyRecord(models.Model):
    """The stored outcome of a request sent with an `idempotency-key` header.

    Scoped to tenant and credential; written in the same transaction as the change it
    protects, so a rolled-back request leaves no record. See prefcenter/idempotency.py.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    credential = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "credential", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.credential} {self.key} → {self.status_code}"
