"""The page's plain data: PageState, CategorySection, WorkflowRow, Control."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.channels import SMS
from prefcenter.models import Tenant
from subscribers.resolution import Decision
from subscribers.selectors.resolutions import CustomerResolution, ResolvedWorkflow


@dataclass
class Control:
    """One switch on the page: a form field when editable, otherwise shown disabled with the reason."""

    name: str
    channel: str
    label: str
    checked: bool
    editable: bool
    note: str = ""
    locked: bool = False
    describedby: str = ""
    aria_label: str = ""  # the switch's unique accessible name ("Email for Orders"); the visible label is its start
    bound: Any = None  # the form's field (bound or as unbound), set when the page renders an editable control


@dataclass
class WorkflowRow:
    resolved: ResolvedWorkflow
    controls: list[Control]

    @property
    def workflow(self):
        return self.resolved.workflow

    @property
    def locked(self) -> bool:
        return bool(self.controls) and all(c.locked for c in self.controls)

    @property
    def notes(self) -> list[str]:
        seen: list[str] = []
        for control in self.controls:
            if control.note and control.note not in seen:
                seen.append(control.note)
        return seen


@dataclass
class CategorySection:
    category: Category | None
    row: CategoryPreference | None = None
    decisions: dict[str, Decision] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)
    digest_name: str = ""
    digest_choices: list[tuple[str, str]] = field(default_factory=list)
    # The topic's email choice (a frequency, or "off"): shown when its notifications use email.
    email: Control | None = None
    digest_value: str = ""
    workflows: list[WorkflowRow] = field(default_factory=list)
    # Set when the page renders: the digest choice's field, and the markup of the switches and workflow rows.
    digest_bound: Any = None
    chips_html: str = ""
    workflows_html: str = ""

    @property
    def key(self) -> str:
        return self.category.key if self.category else "other"

    @property
    def locked(self) -> bool:
        return bool(self.category and self.category.mandatory)

    @property
    def notes_id(self) -> str:
        return f"topic-{self.key}-notes"

    @property
    def notes(self) -> list[str]:
        """Why the topic's disabled switches are disabled, or locked (their aria-describedby points here)."""
        seen: list[str] = []
        controls = [*self.controls, *([self.email] if self.email else [])]
        for control in controls:
            if control.note and control.note not in seen:
                seen.append(control.note)
        return seen


@dataclass
class PageState:
    tenant: Tenant
    customer: Customer
    resolution: CustomerResolution
    masters: list[Control]
    sms: Control | None
    sections: list[CategorySection]
    unsubscribed_all: bool
    categories_by_id: dict[int, Category]
    workflows_by_id: dict[int, ResolvedWorkflow]
    category_rows: dict[int | None, CategoryPreference]

    def controls(self) -> list[Control]:
        """Every checkbox on the page (a topic's email choice is a select: `section.email`)."""
        out = [*self.masters]
        if self.sms is not None:
            out.append(self.sms)
        for section in self.sections:
            out.extend(section.controls)
            for row in section.workflows:
                out.extend(row.controls)
        return out

    @property
    def master_on(self) -> dict[str, bool]:
        return master_switches(self.masters, self.sms)


def master_switches(masters: list[Control], sms: Control | None) -> dict[str, bool]:
    """Channel → whether its switch at the top of the page is on (the SMS consent box for SMS)."""
    state = {control.channel: control.checked for control in masters}
    if sms is not None:
        state[SMS] = sms.checked
    return state
