"""`GET /v2/subscribers/{subscriberId}/preferences/explain?workflowId=…`: per channel, every layer's value in
rule order and which one decided (the engine's own decision, subscribers/resolution.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.views import CustomerNamedMixin
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError
from prefcenter.schema import NON_BLANK
from prefcenter.selection import prune
from prefcenter.serializers import PrefCenterSerializer
from prefcenter.views import PrefCenterAPIView
from subscribers import resolution, schedule
from subscribers.evaluation.deliveries import EVALUATION_REASONS, InstantField, instant
from subscribers.resolution import Decision
from subscribers.selectors.resolutions import customer_resolution_one
from subscribers.selectors.schedule import customer_delivery_window
from subscribers.selectors.workflows import workflow_get


def deciding_layer(decision: Decision) -> str:
    """The name of the layer in `decision.layers` that decided (a master switch reports its `.enabled` layer)."""
    reason = decision.reason
    values = dict(decision.layers)
    if reason == resolution.NOT_APPLICABLE:
        return "workflow_uses_channel"
    if reason == resolution.DIGEST_OFF_REASON:
        return "digest"
    enabled = f"{reason}.enabled"
    if not decision.allowed and values.get(enabled) is False:
        return enabled
    return reason


class LayerSerializer(serializers.Serializer):
    layer = serializers.CharField()
    value = serializers.JSONField(allow_null=True, help_text="The layer's value; null when it has none.")
    deciding = serializers.BooleanField()


class ChannelExplanationSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=EVALUATION_REASONS)
    digest = serializers.CharField(allow_null=True)
    deliver_after = serializers.DateTimeField(allow_null=True, help_text="As in POST /v1/deliveries/evaluate.")
    source = serializers.ChoiceField(choices=["subscriber", "template", "workflowOverride"])
    deciding_layer = serializers.CharField()
    layers = LayerSerializer(many=True)


class ExplainWorkflowSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    slug = serializers.CharField()
    name = serializers.CharField()
    critical = serializers.BooleanField()
    category = serializers.CharField(allow_null=True)
    channels = serializers.ListField(child=serializers.CharField())


class PreferenceExplanationSerializer(PrefCenterSerializer):
    subscriberId = serializers.CharField()
    workflow = ExplainWorkflowSerializer()
    channels = serializers.DictField(child=ChannelExplanationSerializer())


def schedule_layer(
    *, window: schedule.DeliveryWindow, applies: bool, deliver_after: datetime | None, reason: str | None
) -> dict[str, Any]:
    """The schedule layer's value as explain shows it: what is set, in which zone, and what it does at `at`."""
    weekly = window.schedule
    return {
        "applies": applies,
        "timezone": window.zone.key,
        "schedule": None if weekly is None else {
            day: (None if ranges is None else [
                {"start": schedule.format_time(start), "end": schedule.format_time(end)} for start, end in ranges
            ])
            for day, ranges in zip(schedule.DAYS, weekly.days, strict=True)
        },
        "quiet_hours": window.quiet.as_dict() if window.quiet else None,
        "deliver_after": instant(deliver_after),
        "reason": reason,
    }


def explain(resolved, *, window: schedule.DeliveryWindow | None = None, at: datetime | None = None,
            schedule_channels: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    workflow = resolved.workflow
    at = at or timezone.now()
    holds: dict[schedule.DeliveryWindow, schedule.Hold | None] = {}
    channels = {}
    for channel, decision in resolved.decisions.items():
        deciding = deciding_layer(decision)
        applies = schedule.applies(channel=channel, critical=resolved.facts.critical, channels=schedule_channels)
        allowed, reason, deliver_after = schedule.timing(
            allowed=decision.allowed, reason=decision.reason, applies=applies, window=window, at=at, holds=holds
        )
        timed = (allowed, reason) != (decision.allowed, decision.reason) or deliver_after is not None
        if timed:
            deciding = "schedule"
        layers = [{"layer": name, "value": value, "deciding": name == deciding} for name, value in decision.layers]
        if window is not None:
            value = schedule_layer(
                window=window, applies=applies, deliver_after=deliver_after, reason=reason if timed else None
            )
            layers.append({"layer": "schedule", "value": value, "deciding": timed})
        channels[channel] = {
            "allowed": allowed,
            "reason": reason,
            "digest": decision.digest,
            "deliver_after": instant(deliver_after),
            "source": decision.source,
            "deciding_layer": deciding,
            "layers": layers,
        }
    return {
        "subscriberId": resolved.layers.external_id,
        "workflow": {
            "identifier": workflow.identifier,
            "slug": workflow.slug,
            "name": workflow.name,
            "critical": workflow.critical,
            "category": resolved.facts.category_key,
            "channels": [c for c in CHANNELS if c in resolved.facts.channels],
        },
        "channels": channels,
    }


# Not blank, as the view checks (an empty workflowId is a 400): the schema says so, or a fuzzer sends `workflowId=`.
WORKFLOW_ID = OpenApiParameter("workflowId", NON_BLANK, required=True, description="Workflow identifier or slug.")
AT = OpenApiParameter(
    "at",
    {"type": "string", "format": "date-time"},
    required=False,
    description="The instant schedules are read at (RFC 3339, e.g. 2026-06-10T21:30:00Z); default now.",
)


class PreferenceExplainView(CustomerNamedMixin, PrefCenterAPIView):
    """`GET /v2/subscribers/{subscriberId}/preferences/explain?workflowId=…`: every layer, and the deciding one."""

    read_scope = "subscribers:read"
    output_serializer_class = PreferenceExplanationSerializer

    @extend_schema(
        parameters=[WORKFLOW_ID, AT],
        responses={200: PreferenceExplanationSerializer},
        summary="Explain a subscriber's preferences for a workflow",
        description=(
            "For each channel: the decision, the reason (the deciding layer), the email digest, and every "
            "layer's value in the order the rules read them, with the deciding one flagged; last, the schedule "
            "layer (the customer's schedule and quiet hours read at `at`, default now)."
        ),
    )
    def get(self, request, subscriberId: str) -> Response:
        customer = self.customer_named(subscriberId)
        ref = request.query_params.get("workflowId", "")
        if not ref.strip():
            raise PrefCenterError(
                "workflowId is required: the workflow to explain.",
                errors={"workflowId": ["This parameter is required."]},
            )
        at = None
        if "at" in request.query_params:
            field = InstantField()
            try:
                at = field.run_validation(request.query_params["at"])
            except serializers.ValidationError as exc:
                raise PrefCenterError("at is not an instant.", errors={"at": list(exc.detail)}) from exc
        workflow = workflow_get(tenant=self.tenant, ref=ref)
        resolved = customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow)
        window = customer_delivery_window(tenant=self.tenant, customer=customer)
        answer = explain(resolved, window=window, at=at, schedule_channels=tuple(self.tenant.schedule_channels or ()))
        return Response(prune(answer, self.fields_tree))
