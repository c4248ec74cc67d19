"""The preference page's form: one field per switch the customer may change, and a plan of what to write.

Every field renders a hidden copy of the value the page showed (`show_hidden_initial`),
so `changed_data` is what the customer changed on the page they saw, not a diff against
the database at submit time: a save never reverts a choice made elsewhere in between,
and nothing the customer did not touch is written (no row appears for an untouched switch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from prefcenter.channels import EMAIL, MESSAGING_CHANNELS, SMS
from prefcenter.selfservice.state import PageState


def _render_input(context: dict[str, Any]) -> SafeString:
    """Django's `django/forms/widgets/input.html` (+ attrs.html), written in Python.

    The page has several hundred switches; going through the form renderer's template for
    each was most of the page's time (docs/bench.md, finding 4). Same markup, same escaping.
    """
    widget = context["widget"]
    parts = [f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
    for name, value in widget["attrs"].items():
        if value is not False:
            parts.append(f" {conditional_escape(name)}")
            if value is not True:
                parts.append(f'="{conditional_escape(str(value))}"')
    parts.append(">")
    return mark_safe("".join(parts))  # every part above is escaped


class SwitchInput(forms.CheckboxInput):
    """A checkbox rendered without a template (see `_render_input`)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        return _render_input(self.get_context(name, value, attrs))


class InitialInput(forms.HiddenInput):
    """The hidden copy of the value the page showed, rendered without a template (see `_render_input`)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        return _render_input(self.get_context(name, value, attrs))


class SwitchField(forms.BooleanField):
    hidden_widget = InitialInput


@dataclass
class SavePlan:
    """What a save writes, grouped by the service that writes it."""

    customer: dict[str, Any] = field(default_factory=dict)
    global_values: dict[str, bool | None] = field(default_factory=dict)
    messaging_default_on: list[str] = field(default_factory=list)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    workflows: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.customer or self.global_values or self.messaging_default_on or self.categories or self.workflows
        )


class PreferencesForm(forms.Form):
    """Built from a PageState: only editable switches are fields; locked and disabled ones are shown, not posted."""

    def __init__(self, state: PageState, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state = state
        for control in state.controls():
            if control.editable:
                attrs = {"class": "switch" if control.name != "sms_opt_in" else "consent-box"}
                if control.describedby:
                    attrs["aria-describedby"] = control.describedby
                self.fields[control.name] = SwitchField(
                    required=False,
                    initial=control.checked,
                    show_hidden_initial=True,
                    label=control.label,
                    widget=SwitchInput(attrs=attrs),
                )
        for section in state.sections:
            if section.category is not None:
                self.fields[section.digest_name] = forms.ChoiceField(
                    choices=section.digest_choices,
                    initial=section.current.get("digest"),
                    show_hidden_initial=True,
                    label=_("Email frequency"),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sms = self.state.sms
        if (
            sms is not None
            and "sms_opt_in" in self.changed_data
            and data.get("sms_opt_in")
            and not self.state.customer.phone
        ):
            self.add_error("sms_opt_in", _("We need a phone number on file before we can send you text messages."))
        return data

    # -- the plan ----------------------------------------------------------------------
    def plan(self) -> SavePlan:
        """Turn the changed fields into service calls (call after is_valid())."""
        plan = SavePlan()
        changed = set(self.changed_data)
        data = self.cleaned_data
        state = self.state
        self._plan_masters(plan, changed, data)
        for section in state.sections:
            category = section.category
            if category is None:
                continue
            names = {c.name: c.channel for c in section.controls if c.editable}
            touched = [name for name in names if name in changed]
            digest_touched = section.digest_name in changed
            if not touched and not digest_touched:
                continue
            values = dict(section.current)
            if section.row is None:
                # Channels the customer could not touch keep the catalog default in the new row.
                for control in section.controls:
                    if not control.editable:
                        values[control.channel] = getattr(category, f"default_{control.channel}")
            for name in touched:
                values[names[name]] = data[name]
            if digest_touched:
                values["digest"] = data[section.digest_name]
            plan.categories[category.pk] = values
        for section in state.sections:
            for row in section.workflows:
                self._plan_workflow(plan, row, changed, data)
        return plan

    def _plan_masters(self, plan: SavePlan, changed: set[str], data: dict[str, Any]) -> None:
        state = self.state
        layers = state.resolution.global_layers
        glob = layers.global_preference
        messaging = layers.messaging_default
        for control in state.masters:
            if control.name not in changed:
                continue
            channel = control.channel
            if data[control.name]:
                # On again: lift every global block on this channel (back to inherit where we can).
                if glob is not None and glob.channels.get(channel) is False:
                    plan.global_values[channel] = None
                if messaging is not None and channel in MESSAGING_CHANNELS and messaging.channels.get(channel) is False:
                    plan.messaging_default_on.append(channel)
                if channel == EMAIL and layers.email_opt_out:
                    plan.customer["email_opt_out"] = False
            else:
                plan.global_values[channel] = False
        sms = state.sms
        if sms is not None and sms.name in changed:
            if data[sms.name]:
                plan.customer["sms_opt_out"] = False
                if glob is not None and glob.channels.get(SMS) is False:
                    plan.global_values[SMS] = None
            else:
                plan.customer["sms_opt_out"] = True

    @staticmethod
    def _plan_workflow(plan: SavePlan, row, changed: set[str], data: dict[str, Any]) -> None:
        editable = [c for c in row.controls if c.editable]
        touched = [c for c in editable if c.name in changed]
        if not touched:
            return
        values: dict[str, bool | None] = {c.channel: bool(data[c.name]) for c in touched}
        own = row.resolved.layers.workflow_preference
        if own is not None and own.enabled is False and any(values.values()):
            # The workflow's own master switch is off: turning a channel on lifts it (back to inherit),
            # and the channels left off on the page stay off explicitly (what the customer saw is saved).
            values["enabled"] = None
            for control in editable:
                if control.channel not in values and not data.get(control.name):
                    values[control.channel] = False
        plan.workflows[row.workflow.pk] = values
