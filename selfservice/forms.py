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

from prefcenter.channels import DIGEST_OFF, EMAIL, MESSAGING_CHANNELS, SMS
from selfservice.state.model import Control, PageState

AUTO_ID = "id_%s"  # the form's element ids (Django's default), also written by `unbound_fields`


def _render_attrs(attrs: dict[str, Any]) -> str:
    """Django's `django/forms/widgets/attrs.html`, written in Python: every name and value escaped."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(f" {conditional_escape(name)}")
            if value is not True:
                parts.append(f'="{conditional_escape(str(value))}"')
    return "".join(parts)


def _render_input(context: dict[str, Any]) -> SafeString:
    """Django's `django/forms/widgets/input.html` (+ attrs.html), written in Python.

    The page has several hundred switches; going through the form renderer's template for
    each was most of the page's time (docs/bench.md, finding 4). Same markup, same escaping.
    """
    widget = context["widget"]
    parts = [f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
    parts.append(_render_attrs(widget["attrs"]))
    parts.append(">")
    return mark_safe("".join(parts))  # every part above is escaped


def _render_select(context: dict[str, Any]) -> SafeString:
    """Django's `django/forms/widgets/select.html` (+ select_option.html, attrs.html), written in Python.

    Each option is followed by a newline as the included option template leaves one. Same markup, same escaping.
    """
    widget = context["widget"]
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_render_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_render_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every part above is escaped


class SwitchInput(forms.CheckboxInput):
    """A checkbox rendered without a template (see `_render_input`)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        return _render_input(self.get_context(name, value, attrs))


class InitialInput(forms.HiddenInput):
    """The hidden copy of the value the page showed, rendered without a template (see `_render_input`)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        return _render_input(self.get_context(name, value, attrs))


class DigestSelect(forms.Select):
    """The email frequency choice, rendered without a template (see `_render_select`)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        return _render_select(self.get_context(name, value, attrs))


class SwitchField(forms.BooleanField):
    hidden_widget = InitialInput


class DigestField(forms.ChoiceField):
    widget = DigestSelect
    hidden_widget = InitialInput


def switch_attrs(control: Control) -> dict[str, str]:
    """The attributes of a switch's checkbox: its class, and the notes that explain it."""
    attrs = {"class": "switch" if control.name != "sms_opt_in" else "consent-box"}
    if control.aria_label:
        attrs["aria-label"] = control.aria_label
    if control.describedby:
        attrs["aria-describedby"] = control.describedby
    return attrs


def email_choice_attrs(control: Control) -> dict[str, str]:
    """The attributes of a topic's email choice: its unique name, and the notes that explain it."""
    attrs = {"aria-label": control.aria_label} if control.aria_label else {}
    if control.describedby:
        attrs["aria-describedby"] = control.describedby
    return attrs


@dataclass(slots=True)
class UnboundField:
    """A field as an unbound PreferencesForm shows it, for the template: its markup, its id, no errors."""

    html: SafeString
    id_for_label: str
    errors: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.html

    def __html__(self) -> str:
        return self.html


def _unbound_switch(control: Control, attrs: str) -> UnboundField:
    """What `BoundField.__str__` renders for a switch of an unbound form: the checkbox, then the hidden initial copy.

    Written out rather than through the widgets: a page has hundreds of switches, and the widgets'
    generic path (a context each, an escape per attribute) was most of a GET's time. `attrs` is
    `switch_attrs(control)` rendered (and escaped) by `_render_attrs`.
    """
    name = conditional_escape(control.name)
    checked = " checked" if control.checked else ""
    html = mark_safe(  # the name and the attributes are escaped, the initial value is True or False
        f'<input type="checkbox" name="{name}"{attrs} id="{AUTO_ID % name}"{checked}>'
        f'<input type="hidden" name="initial-{name}" value="{bool(control.checked)}" id="initial-{AUTO_ID % name}">'
    )
    return UnboundField(html, AUTO_ID % control.name)


def _unbound_choice(name: str, widget: forms.Widget, initial: Any) -> UnboundField:
    """What `BoundField.__str__` renders for a choice of an unbound form: the widget, then the hidden initial copy."""
    auto_id = AUTO_ID % name
    html = widget.render(name, initial, {**widget.attrs, "id": auto_id}) + InitialInput().render(
        f"initial-{name}", initial, {"id": f"initial-{auto_id}"}
    )
    return UnboundField(html, auto_id)


def unbound_fields(state: PageState) -> dict[str, UnboundField]:
    """PreferencesForm(state)'s fields as the page shows them, by name, without building the form.

    A page that is only shown (a GET) needs no validation, only the fields' markup, and the
    form's hundreds of fields and bound fields cost more than the rest of the page. A page
    shown again after a refused save renders the bound form instead (the submitted values
    and the errors come from it). tests/selfservice/test_page.py compares the two.
    """
    fields: dict[str, UnboundField] = {}
    rendered_attrs: dict[tuple, str] = {}  # a handful of distinct attribute sets among hundreds of switches
    for control in state.controls():
        if control.editable:
            attrs = switch_attrs(control)
            key = tuple(attrs.items())
            if key not in rendered_attrs:
                rendered_attrs[key] = _render_attrs(attrs)
            fields[control.name] = _unbound_switch(control, rendered_attrs[key])
    for section in state.sections:
        if section.email is not None and section.email.editable:
            fields[section.digest_name] = _unbound_choice(
                section.digest_name,
                DigestSelect(choices=section.digest_choices, attrs=email_choice_attrs(section.email)),
                section.digest_value,
            )
    return fields


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
        super().__init__(*args, auto_id=AUTO_ID, **kwargs)
        self.state = state
        for control in state.controls():
            if control.editable:
                self.fields[control.name] = SwitchField(
                    required=False,
                    initial=control.checked,
                    show_hidden_initial=True,
                    label=control.label,
                    widget=SwitchInput(attrs=switch_attrs(control)),
                )
        for section in state.sections:
            if section.email is not None and section.email.editable:
                self.fields[section.digest_name] = DigestField(
                    choices=section.digest_choices,
                    initial=section.digest_value,
                    show_hidden_initial=True,
                    label=_("Email"),
                    widget=DigestSelect(attrs=email_choice_attrs(section.email)),
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
                # Channels the customer could not touch (or not see) keep the catalog default in the new row.
                editable = set(names.values())
                if section.email is not None and section.email.editable:
                    editable.add(EMAIL)
                for channel in MESSAGING_CHANNELS:
                    if channel not in editable:
                        values[channel] = getattr(category, f"default_{channel}")
            for name in touched:
                values[names[name]] = data[name]
            if digest_touched:
                # One choice for the topic's email: a frequency turns it on, "off" turns it off (the frequency
                # stays for when it is turned on again).
                choice = data[section.digest_name]
                if choice == DIGEST_OFF:
                    values[EMAIL] = False
                else:
                    values[EMAIL] = True
                    values["digest"] = choice
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
