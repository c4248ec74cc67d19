"""CSV export of a tenant's customers: contact fields, opt-outs and effective preferences, streamed.

Memory stays bounded whatever the number of customers: customers are read in chunks of
`EXPORT_CHUNK` by primary key (keyset pagination, no OFFSET), each chunk's preference rows in
2 queries, and the CSV is produced line by line (a generator the admin hands to a
`StreamingHttpResponse` and `manage.py export_customers` writes to a file).

Effective preferences are not computed here: `subscribers.selectors.customers_decisions`
loads the layers of a chunk and asks the resolution engine (`resolve()`), sharing the
decisions of customers whose global layers are equal; this module only formats them.

Columns (docs/console.md):
- the identity and contact fields, `email_opt_out`, `sms_opt_out` (`true`/`false`);
- `opt_outs`: the customer's explicit "off" choices, `; `-separated: `workflow:<id>.<channel>`,
  `workflow:<id>.enabled` (`*` = the global switch), `category:<key>.<channel>`,
  `category:<key>.digest=off` (`*` = the messaging default);
- `global:<channel>`: `true`/`false`, the customer's global block (as the Novu `global`);
- `workflow:<identifier>`: the channels that workflow may use for the customer, space-separated
  (empty = none).

Cells starting with `=`, `@`, a tab or a carriage return, or with `+`/`-` not followed by a
number only, are prefixed with `'` so a spreadsheet does not run them as formulas; the import
removes that prefix again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from customers.models import Customer
from prefcenter.channels import CHANNELS, DIGEST_OFF
from prefcenter.models import Tenant
from subscribers.catalog import Catalog, tenant_catalog
from subscribers.selectors.bulk import CustomerDecisions, customers_decisions

EXPORT_CHUNK = 2000
CONTACT_FIELDS = ("external_id", "email", "phone", "first_name", "last_name", "locale", "timezone")
OPT_OUT_FIELDS = ("email_opt_out", "sms_opt_out")
GLOBAL_PREFIX = "global:"
WORKFLOW_PREFIX = "workflow:"
OPT_OUTS = "opt_outs"
_NUMBER = re.compile(r"[+-][0-9]+\Z")
_FORMULA_START = ("=", "@", "\t", "\r", "+", "-")


def spreadsheet_safe(value: str) -> str:
    """`value`, prefixed with `'` when a spreadsheet would read it as a formula."""
    if value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def export_header(catalog: Catalog) -> list[str]:
    return [
        *CONTACT_FIELDS,
        *OPT_OUT_FIELDS,
        OPT_OUTS,
        *(f"{GLOBAL_PREFIX}{channel}" for channel in CHANNELS),
        *(f"{WORKFLOW_PREFIX}{entry.workflow.identifier}" for entry in catalog.entries),
    ]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _opt_outs(answer: CustomerDecisions, identifiers: dict[int, str]) -> str:
    choices = []
    for row in answer.workflow_rows:
        subject = f"workflow:{identifiers.get(row.workflow_id, row.workflow_id) if row.workflow_id else '*'}"
        if row.enabled is False:
            choices.append(f"{subject}.enabled")
        choices.extend(f"{subject}.{channel}" for channel in CHANNELS if getattr(row, channel) is False)
    for row in answer.category_rows:
        subject = f"category:{row.category.key if row.category_id else '*'}"
        choices.extend(f"{subject}.{channel}" for channel, value in row.channel_values().items() if value is False)
        if row.digest == DIGEST_OFF:
            choices.append(f"{subject}.digest=off")
    return "; ".join(choices)


def _allowed(decisions: dict) -> str:
    return " ".join(channel for channel in CHANNELS if channel in decisions and decisions[channel].allowed)


class _Cells:
    """The workflow cells of a decisions tuple, memoized by identity: shared tuples repeat across customers,
    and so do the decision dicts inside the tuples of customers with their own rows (the loader's memo)."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self._rows: dict[int, tuple[tuple, list[str]]] = {}
        self._cells: dict[int, tuple[dict, str]] = {}

    def __call__(self, decisions: tuple[dict, ...]) -> list[str]:
        hit = self._rows.get(id(decisions))
        if hit is not None and hit[0] is decisions:
            return hit[1]
        cells = [self._cell(one) for one in decisions]
        if len(self._rows) >= 256:
            self._rows.clear()
        self._rows[id(decisions)] = (decisions, cells)  # the reference keeps the id from being reused
        return cells

    def _cell(self, one: dict) -> str:
        hit = self._cells.get(id(one))
        if hit is not None and hit[0] is one:
            return hit[1]
        cell = _allowed(one)
        if len(self._cells) >= self.LIMIT:
            self._cells.clear()
        self._cells[id(one)] = (one, cell)
        return cell


def _chunks(customers: QuerySet[Customer], size: int) -> Iterator[list[Customer]]:
    """The queryset in primary-key order, `size` at a time, by keyset (each chunk is one query)."""
    ordered = customers.order_by("pk")
    last = None
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        chunk = list(page[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def export_rows(
    *, tenant: Tenant, customers: QuerySet[Customer] | None = None, chunk_size: int = EXPORT_CHUNK
) -> Iterator[list[str]]:
    """The header, then one row per customer of `tenant` (narrowed to `customers` when given)."""
    catalog = tenant_catalog(tenant)
    identifiers = {entry.workflow.pk: entry.workflow.identifier for entry in catalog.entries}
    yield export_header(catalog)
    scoped = (customers if customers is not None else Customer.objects.all()).filter(tenant=tenant)
    cells, memo = _Cells(), {}
    for chunk in _chunks(scoped, chunk_size):
        for answer in customers_decisions(tenant=tenant, customers=chunk, catalog=catalog, memo=memo):
            customer = answer.customer
            yield [
                *(spreadsheet_safe(getattr(customer, field) or "") for field in CONTACT_FIELDS),
                *(_flag(getattr(customer, field)) for field in OPT_OUT_FIELDS),
                _opt_outs(answer, identifiers),
                *(_flag(answer.global_decisions[channel].allowed) for channel in CHANNELS),
                *cells(answer.decisions),
            ]


def csv_lines(rows: Iterable[list[str]], *, batch: int = 200) -> Iterator[str]:
    """CSV text for `rows`, `batch` rows per string (a streaming response sends each as it comes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
