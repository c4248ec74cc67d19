"""The tenant at a glance: opt-out rates per channel and per category, opt-outs/opt-ins per day.

Rates are decided by the resolution engine, not re-derived: `layer_counts`
(subscribers/selectors/) groups every customer by the layers the rules read, in two
grouped queries, and `resolve()` is asked once per group. A customer counts as opted out of a
channel when the decision is "blocked" for a reason that is their own choice (Novu's
`subscriber` source: a hard opt-out, a global switch, a category preference, the messaging
default, digest off), not when the catalog's defaults leave it off.

- Per channel: the customer's global block (`GLOBAL_WORKFLOW`: every channel, no workflow
  default), i.e. the Novu `global` answer.
- Per category: a workflow of that category on each messaging channel (in_app, email, push)
  with no defaults of its own; a mandatory category is never opted out of.

Per day, from the ledger (UTC days, the last `DAYS`): an opt-out is a change that turns a
channel off: a channel or master switch (`enabled`, `email`, … of a workflow preference;
`in_app_enabled`, … of a category preference) set to false from anything else, or a hard
opt-out (`email_opt_out`/`sms_opt_out`) set from false to true. An opt-in is the reverse:
false → true for a switch, true → false for a hard opt-out. A customer's creation with its
default opt-outs and a preference reset to "inherit" are neither.

Finished days come from `ConsentDailyCount` (written by `manage.py refresh_consent_rollup`),
the rest (today, and days not rolled up) are counted from the ledger with the
(tenant, created_at) index, so the chart is always complete and current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from console.models import ConsentDailyCount
from messaging.models import CHANNEL_COLUMNS, Category
from prefcenter.channels import CHANNELS, MESSAGING_CHANNELS
from prefcenter.models import ConsentEvent, Tenant
from subscribers.catalog import category_facts
from subscribers.resolution import GLOBAL_WORKFLOW, SUBSCRIBER_REASONS, CustomerLayers, WorkflowFacts, resolve
from subscribers.selectors.bulk import layer_counts

DAYS = 90
HARD_OPT_OUT_FIELDS = ("email_opt_out", "sms_opt_out")
SWITCH_FIELDS = ("enabled", *CHANNELS, *CHANNEL_COLUMNS.values())
_SWITCH = Q(field__in=SWITCH_FIELDS) & (Q(subject__startswith="workflow:") | Q(subject__startswith="category:"))
_HARD = Q(subject="customer", field__in=HARD_OPT_OUT_FIELDS)
OPT_OUT = (_SWITCH & Q(new_value=False) & (Q(old_value__isnull=True) | Q(old_value=True))) | (
    _HARD & Q(old_value=False) & Q(new_value=True)
)
OPT_IN = (_SWITCH & Q(old_value=False) & Q(new_value=True)) | (_HARD & Q(old_value=True) & Q(new_value=False))


@dataclass(frozen=True)
class Rate:
    label: str
    opted_out: int
    total: int

    @property
    def ratio(self) -> float:
        return self.opted_out / self.total if self.total else 0.0


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    opt_outs: int
    opt_ins: int


def _opted_out(facts: WorkflowFacts, groups: list[tuple[CustomerLayers, int]], channel: str) -> int:
    out = 0
    for layers, count in groups:
        decision = resolve(facts, layers)[channel]
        if not decision.allowed and decision.reason in SUBSCRIBER_REASONS:
            out += count
    return out


def opt_out_rates(*, tenant: Tenant) -> tuple[int, list[Rate], list[tuple[Category, list[Rate]]]]:
    """(customers, per channel rates, per category: its rates on in_app/email/push), in 3 queries."""
    categories = list(Category.objects.filter(tenant=tenant).order_by("key"))
    counts = layer_counts(tenant=tenant, category_ids=[c.pk for c in categories])
    total = counts.customers
    per_channel = [
        Rate(channel, _opted_out(GLOBAL_WORKFLOW, counts.global_groups, channel), total) for channel in CHANNELS
    ]
    per_category = []
    for category in categories:
        facts = category_facts(category)
        groups = counts.category_groups[category.pk]
        per_category.append(
            (category, [Rate(channel, _opted_out(facts, groups, channel), total) for channel in MESSAGING_CHANNELS])
        )
    return total, per_channel, per_category


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def ledger_day_counts(*, tenant: Tenant, since: dt.date, until: dt.date | None = None) -> dict[dt.date, DayCount]:
    """Opt-outs and opt-ins per UTC day from the ledger itself, `since` ≤ day < `until` (1 grouped query)."""
    events = ConsentEvent.objects.filter(tenant=tenant, created_at__gte=_day_start(since))
    if until is not None:
        events = events.filter(created_at__lt=_day_start(until))
    rows = (
        events.filter(OPT_OUT | OPT_IN)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(opt_outs=Count("id", filter=OPT_OUT), opt_ins=Count("id", filter=OPT_IN))
        .order_by("day")
    )
    return {row["day"]: DayCount(row["day"], row["opt_outs"], row["opt_ins"]) for row in rows}


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def daily_counts(*, tenant: Tenant, days: int = DAYS) -> list[DayCount]:
    """The last `days` UTC days, today included, oldest first: the rollup where it exists, else the ledger."""
    end = today()
    start = end - dt.timedelta(days=days - 1)
    rolled = {
        row.day: DayCount(row.day, row.opt_outs, row.opt_ins)
        for row in ConsentDailyCount.objects.filter(tenant=tenant, day__gte=start, day__lt=end)
    }
    all_days = [start + dt.timedelta(days=n) for n in range(days)]
    missing = [day for day in all_days if day not in rolled]
    live = ledger_day_counts(tenant=tenant, since=missing[0]) if missing else {}
    return [rolled.get(day) or live.get(day) or DayCount(day, 0, 0) for day in all_days]


def consent_rollup_refresh(*, tenant: Tenant, days: int = DAYS) -> int:
    """Write the counts of the last `days` finished UTC days (before today) for `tenant`; returns the days written.

    Idempotent: a day is recomputed from the ledger and its row replaced. Days with no event get
    a zero row, so the dashboard knows they are done.
    """
    end = today()
    start = end - dt.timedelta(days=days)
    counts = ledger_day_counts(tenant=tenant, since=start, until=end)
    now = timezone.now()
    rows = []
    for n in range(days):
        day = start + dt.timedelta(days=n)
        count = counts.get(day) or DayCount(day, 0, 0)
        rows.append(
            ConsentDailyCount(tenant=tenant, day=day, opt_outs=count.opt_outs, opt_ins=count.opt_ins, computed_at=now)
        )
    with transaction.atomic():
        ConsentDailyCount.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["tenant", "day"], update_fields=["opt_outs", "opt_ins",
                                                                                         "computed_at"],
        )
    return len(rows)
