"""The sender's question, answered in bulk: may workflow W reach each of these customers, on which channels, how?

`POST /v1/deliveries/evaluate` loads every layer for up to 10,000 recipients in a fixed
number of queries (the workflow, then one joined read of the customers and their rows:
subscribers/selectors/) and asks
the resolution engine (subscribers/resolution.py) for each; it decides nothing itself.

`GET /v2/subscribers/{subscriberId}/preferences/explain?workflowId=…` shows, per channel,
every layer's value in rule order and which one decided.

Decisions where the issue left a choice:
- A requested channel the workflow does not use is answered, not refused: the engine says
  `not_applicable` (allowed false), which is the truth a sender needs. An unknown channel name is a 400.
- Duplicate recipients are answered once, in first-seen order; unknown ones are listed in
  `unknown_recipients` (first-seen order) and are not an error.
- Schedules and quiet hours (docs/schedules.md) time each allowed channel: `deliver_after` is null
  (send now) or the earliest UTC instant, and then `reason` names the holding rule (`quiet_hours`,
  `schedule`); a schedule that never allows blocks the channel (`schedule`). Every channel carries
  `deliver_after` (null when blocked), so the shape does not vary.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from datetime import timezone as tz
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from prefcenter.channels import CHANNELS
from prefcenter.selection import prune
from prefcenter.serializers import PrefCenterSerializer, RejectUnknownFieldsMixin, StrictCharField, UniqueListField
from prefcenter.views import PrefCenterAPIView
from subscribers import resolution, schedule
from subscribers.catalog import workflow_facts
from subscribers.selectors.recipients import shared_delivery_layers
from subscribers.selectors.workflows import workflow_get

MAX_RECIPIENTS = 10_000
EXTERNAL_ID_MAX_LENGTH = 255


# ---------------------------------------------------------------------- input and output


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": EXTERNAL_ID_MAX_LENGTH},
        "minItems": 1,
        "maxItems": MAX_RECIPIENTS,
    }
)
class RecipientListField(serializers.Field):
    """A list of 1 to 10,000 external ids (non-empty strings). Checked in one pass: it must stay fast at 10,000."""

    default_error_messages = {
        "not_a_list": "Must be a list of customer external ids.",
        "empty": "Must name at least one recipient.",
        "too_many": f"At most {MAX_RECIPIENTS:,} recipients per request; got {{count:,}}. Split the list.",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        if len(data) > MAX_RECIPIENTS:
            self.fail("too_many", count=len(data))
        if set(map(type, data)) == {str} and min(map(len, data)) > 0 and max(map(len, data)) <= EXTERNAL_ID_MAX_LENGTH:
            return data  # the common case, decided in passes at C speed; the loop below names the bad items
        errors: dict[int, list[str]] = {}
        for index, item in enumerate(data):
            if not isinstance(item, str):
                errors[index] = ["Must be a string."]
            elif not item or len(item) > EXTERNAL_ID_MAX_LENGTH:
                errors[index] = [f"Must be 1 to {EXTERNAL_ID_MAX_LENGTH} characters."]
            if len(errors) >= 20:
                break
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ChannelChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)


@extend_schema_field({"type": "string", "format": "date-time"})
class InstantField(serializers.Field):
    """An instant as RFC 3339 (ISO 8601 with seconds and an offset): `2026-06-10T21:30:00Z`, `…+02:00`.

    A time without an offset is refused: it names no instant until a zone is known, and guessing one
    would time a message wrongly. A leap second (`:60`) is read as `:59`.
    """

    default_error_messages = {
        "invalid": "Enter an instant in ISO 8601 with seconds and an offset, e.g. 2026-06-10T21:30:00Z."
    }

    def to_internal_value(self, data: Any) -> datetime:
        match = RFC3339.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        micro = int((fraction or ".0")[1:7].ljust(6, "0"))
        try:
            if int(second) > 60:
                self.fail("invalid")
            zone = UTC
            if offset not in ("Z", "z"):
                hours, minutes = int(offset[1:3]), int(offset[4:6])
                if hours > 23 or minutes > 59:
                    self.fail("invalid")
                zone = tz((1 if offset[0] == "+" else -1) * timedelta(hours=hours, minutes=minutes))
            # Kept in its own offset: at the ends of the calendar (0001-01-01T00:00:00+01:00) it has no UTC twin,
            # and the schedule then holds nothing (subscribers/schedule.py).
            return datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59), micro,
                            tzinfo=zone)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return instant(value) if isinstance(value, datetime) else value


def instant(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a `Z`, to the second."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class DeliveryEvaluationRequestSerializer(RejectUnknownFieldsMixin, PrefCenterSerializer):
    workflow = StrictCharField(max_length=200, help_text="Workflow identifier or slug.")
    recipients = RecipientListField(help_text=f"Customer external ids, 1 to {MAX_RECIPIENTS:,}.")
    channels = UniqueListField(
        child=ChannelChoiceField(choices=CHANNELS),
        required=False,
        allow_empty=False,
        max_length=len(CHANNELS),
        help_text="Only these channels (default: the channels the workflow uses).",
        error_messages={"not_unique": "Channels must not repeat."},
    )
    at = InstantField(
        required=False, help_text="When the message would go (ISO 8601; default now): schedules are read at it."
    )


EVALUATION_REASONS = (*resolution.REASONS, *schedule.REASONS)


class ChannelDecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=EVALUATION_REASONS,
        help_text="The layer that decided: quiet_hours or schedule when deliver_after is set (or when the schedule "
        "never allows the channel).",
    )
    digest = serializers.CharField(allow_null=True, help_text="Email only: instant, hourly, daily or off.")
    deliver_after = serializers.DateTimeField(
        allow_null=True,
        help_text="null: it may go now (or is not allowed). Else the earliest instant (UTC) the customer's schedule "
        "and quiet hours allow.",
    )


class RecipientResultSerializer(PrefCenterSerializer):
    recipient = serializers.CharField()
    channels = serializers.DictField(child=ChannelDecisionSerializer())


class DeliveryEvaluationSerializer(PrefCenterSerializer):
    workflow = serializers.CharField(help_text="The workflow's identifier.")
    results = RecipientResultSerializer(many=True)
    unknown_recipients = serializers.ListField(child=serializers.CharField())


# ---------------------------------------------------------------------- the evaluation


def evaluate(
    *, tenant, workflow, recipients: list[str], channels: list[str] | None, at: datetime | None = None
) -> dict[str, Any]:
    """Decisions for each known recipient, in a fixed number of queries whatever their number (the workflow is given).

    The loader groups recipients whose rule-relevant layers are equal into one shared
    `CustomerLayers` (subscribers/selectors/), so each group is decided once and its
    answer reused: at 10,000 recipients a handful of groups cover most of them. When the
    schedule layer can apply (a workflow that is not critical, a channel among the tenant's
    schedule channels) the same query also reads each recipient's zone, schedule and quiet
    hours; equal windows are one object, and each (layers, window) pair is answered once.
    """
    at = at or timezone.now()
    wanted = list(dict.fromkeys(recipients))
    facts = workflow_facts(workflow)
    answer_channels = channels or [c for c in CHANNELS if c in facts.channels]
    schedule_channels = set(tenant.schedule_channels or ())
    timed = {
        c for c in answer_channels if schedule.applies(channel=c, critical=facts.critical, channels=schedule_channels)
    }
    layers_by_recipient, windows = shared_delivery_layers(
        tenant=tenant, workflow=workflow, external_ids=wanted, timing=bool(timed)
    )
    holds: dict[schedule.DeliveryWindow, schedule.Hold | None] = {}

    def answer(layers: resolution.CustomerLayers, window: schedule.DeliveryWindow | None) -> dict[str, Any]:
        channels = {}
        for channel in answer_channels:
            decision = resolution.resolve_channel(facts, layers, channel)
            allowed, reason, deliver_after = schedule.timing(
                allowed=decision.allowed, reason=decision.reason, applies=channel in timed, window=window,
                at=at, holds=holds,
            )
            channels[channel] = {
                "allowed": allowed, "reason": reason, "digest": decision.digest,
                "deliver_after": instant(deliver_after),
            }
        return channels

    # Each distinct (layers, window) pair is decided once; its answer (one dict) is shared by its recipients.
    if windows:
        keys = [(id(layers), id(windows.get(external_id))) for external_id, layers in layers_by_recipient.items()]
        answers = {}
        for key, (external_id, layers) in zip(keys, layers_by_recipient.items(), strict=True):
            if key not in answers:
                answers[key] = answer(layers, windows.get(external_id))
    else:
        keys = list(map(id, layers_by_recipient.values()))
        distinct = {id(layers): layers for layers in layers_by_recipient.values()}
        answers = {key: answer(layers, None) for key, layers in distinct.items()}
    results = [
        {"recipient": external_id, "channels": answers[key]}
        for external_id, key in zip(layers_by_recipient, keys, strict=True)
    ]
    return {
        "workflow": workflow.identifier,
        "results": results,
        "unknown_recipients": [external_id for external_id in wanted if external_id not in layers_by_recipient]
        if len(layers_by_recipient) < len(wanted) else [],
    }


class DeliveryEvaluationView(PrefCenterAPIView):
    """`POST /v1/deliveries/evaluate`: one entry per known recipient, per channel `{allowed, reason, digest}`."""

    scopes = {"POST": ("deliveries:evaluate",)}
    provider_only_actions = ("post",)
    serializer_class = DeliveryEvaluationRequestSerializer
    output_serializer_class = DeliveryEvaluationSerializer

    @extend_schema(
        request=DeliveryEvaluationRequestSerializer,
        responses={200: DeliveryEvaluationSerializer},
        summary="Evaluate a delivery",
        description=(
            "May this workflow reach each recipient, on which channels, and with which email digest? Up to 10,000 "
            "recipients per call, answered in a fixed number of queries. Unknown recipients are listed, not fatal. "
            "`channels` narrows the answer; a channel the workflow does not use answers `not_applicable`. Each "
            "allowed channel says when it may go (`deliver_after`, from the customer's schedule and quiet hours "
            "read at `at`, default now); critical workflows ignore schedules."
        ),
    )
    def post(self, request) -> Response:
        data = self.validated()
        workflow = workflow_get(tenant=self.tenant, ref=data["workflow"], field="workflow")
        answer = evaluate(
            tenant=self.tenant, workflow=workflow, recipients=data["recipients"], channels=data.get("channels"),
            at=data.get("at"),
        )
        return Response(prune(answer, self.fields_tree))
