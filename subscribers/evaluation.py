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
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from customers.views import CustomerNamedMixin
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError
from prefcenter.selection import Tree, prune
from prefcenter.serializers import PrefCenterSerializer, RejectUnknownFieldsMixin, StrictCharField, UniqueListField
from prefcenter.views import PrefCenterAPIView
from subscribers import resolution
from subscribers.catalog import workflow_facts
from subscribers.resolution import Decision
from subscribers.selectors.layers import shared_resolution_layers
from subscribers.selectors.resolutions import customer_resolution_one
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


class ChannelDecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=resolution.REASONS, help_text="The layer that decided.")
    digest = serializers.CharField(allow_null=True, help_text="Email only: instant, hourly, daily or off.")


class RecipientResultSerializer(PrefCenterSerializer):
    recipient = serializers.CharField()
    channels = serializers.DictField(child=ChannelDecisionSerializer())


class DeliveryEvaluationSerializer(PrefCenterSerializer):
    workflow = serializers.CharField(help_text="The workflow's identifier.")
    results = RecipientResultSerializer(many=True)
    unknown_recipients = serializers.ListField(child=serializers.CharField())


# ---------------------------------------------------------------------- the evaluation


def evaluate(*, tenant, workflow, recipients: list[str], channels: list[str] | None) -> dict[str, Any]:
    """Decisions for each known recipient, in one query whatever their number (the workflow is given).

    The loader groups recipients whose rule-relevant layers are equal into one shared
    `CustomerLayers` (subscribers/selectors/), so each group is decided once and its
    answer reused: at 10,000 recipients a handful of groups cover most of them.
    """
    wanted = list(dict.fromkeys(recipients))
    layers_by_recipient = shared_resolution_layers(tenant=tenant, workflow=workflow, external_ids=wanted)
    facts = workflow_facts(workflow)
    answer_channels = channels or [c for c in CHANNELS if c in facts.channels]
    memo: dict[int, dict[str, dict[str, Any]]] = {}
    results = []
    for external_id, layers in layers_by_recipient.items():
        answer = memo.get(id(layers))
        if answer is None:
            answer = {}
            for channel in answer_channels:
                decision = resolution.resolve_channel(facts, layers, channel)
                answer[channel] = {"allowed": decision.allowed, "reason": decision.reason, "digest": decision.digest}
            memo[id(layers)] = answer
        results.append({"recipient": external_id, "channels": answer})
    return {
        "workflow": workflow.identifier,
        "results": results,
        "unknown_recipients": [external_id for external_id in wanted if external_id not in layers_by_recipient],
    }


def select(data: dict[str, Any], tree: Tree) -> dict[str, Any]:
    """Apply a `fields` tree to the evaluation answer (the results list item by item)."""
    if not tree:
        return data
    out = prune(data, tree)
    if "results" in out and tree.get("results"):
        out["results"] = [prune(item, tree["results"]) for item in out["results"]]
    return out


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
            "`channels` narrows the answer; a channel the workflow does not use answers `not_applicable`."
        ),
    )
    def post(self, request) -> Response:
        data = self.validated()
        workflow = workflow_get(tenant=self.tenant, ref=data["workflow"], field="workflow")
        answer = evaluate(
            tenant=self.tenant, workflow=workflow, recipients=data["recipients"], channels=data.get("channels")
        )
        return Response(select(answer, self.fields_tree))


# ---------------------------------------------------------------------- explain


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
    reason = serializers.ChoiceField(choices=resolution.REASONS)
    digest = serializers.CharField(allow_null=True)
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


def explain(resolved) -> dict[str, Any]:
    workflow = resolved.workflow
    channels = {}
    for channel, decision in resolved.decisions.items():
        deciding = deciding_layer(decision)
        channels[channel] = {
            "allowed": decision.allowed,
            "reason": decision.reason,
            "digest": decision.digest,
            "source": decision.source,
            "deciding_layer": deciding,
            "layers": [
                {"layer": name, "value": value, "deciding": name == deciding} for name, value in decision.layers
            ],
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


WORKFLOW_ID = OpenApiParameter(  # blank or only whitespace is the 400 "workflowId is required"
    "workflowId", {"type": "string", "pattern": r"\S"}, required=True, description="Workflow identifier or slug."
)


class PreferenceExplainView(CustomerNamedMixin, PrefCenterAPIView):
    """`GET /v2/subscribers/{subscriberId}/preferences/explain?workflowId=…`: every layer, and the deciding one."""

    read_scope = "subscribers:read"
    output_serializer_class = PreferenceExplanationSerializer

    @extend_schema(
        parameters=[WORKFLOW_ID],
        responses={200: PreferenceExplanationSerializer},
        summary="Explain a subscriber's preferences for a workflow",
        description=(
            "For each channel: the decision, the reason (the deciding layer), the email digest, and every "
            "layer's value in the order the rules read them, with the deciding one flagged."
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
        workflow = workflow_get(tenant=self.tenant, ref=ref)
        resolved = customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow)
        return Response(prune(explain(resolved), self.fields_tree))
