"""page_state(customer=): every section of the page, in page order."""

from __future__ import annotations

from customers.models import Customer
from messaging.models import Category
from selfservice.state.model import CategorySection, PageState, master_switches
from selfservice.state.sections import (
    _category_section,
    _master_controls,
    _page,
    _sms_control,
    _workflow_row,
)

# -- the page ------------------------------------------------------------------------------------


def page_state(*, customer: Customer) -> PageState:
    """Everything the page shows for a customer (tenant loaded), in a fixed number of queries:
    the switches at the top, then one section per topic with its notifications."""
    page = _page(customer)
    masters = _master_controls(page)
    sms = _sms_control(page)
    master_on = master_switches(masters, sms)
    sections: dict[int | None, CategorySection] = {
        category.pk: _category_section(page, category, master_on) for category in page.categories
    }
    for item in page.resolved.workflows:
        section = sections.get(item.workflow.category_id if item.workflow.category_id else None)
        if section is None:
            section = sections.setdefault(None, CategorySection(category=None))
        section.workflows.append(_workflow_row(page, item))
    return PageState(
        tenant=page.tenant,
        customer=customer,
        resolution=page.resolved,
        masters=masters,
        sms=sms,
        sections=_in_page_order(sections, page.categories),
        unsubscribed_all=page.unsubscribed_all,
        categories_by_id={c.pk: c for c in page.categories},
        workflows_by_id={item.workflow.pk: item for item in page.resolved.workflows},
        category_rows=page.category_rows,
    )


def _in_page_order(sections: dict[int | None, CategorySection], categories: list[Category]) -> list[CategorySection]:
    """Topics the customer can change first, then notifications without a topic, then the required topics."""
    ordered = [sections[c.pk] for c in categories if not c.mandatory]
    if None in sections:
        ordered.append(sections[None])
    return ordered + [sections[c.pk] for c in categories if c.mandatory]
