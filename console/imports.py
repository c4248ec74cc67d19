"""CSV import of customers and their hard opt-outs, batch by batch, through the customer services.

The file: a header line, then one customer per line. `external_id` is required; any of
`email, phone, first_name, last_name, locale, timezone, email_opt_out, sms_opt_out` may be
given. A line creates the customer its external id does not name yet, else updates the
columns it gives; an empty cell leaves that value as it is (an import never blanks a field).
Booleans: `true/false`, `yes/no`, `1/0`, `t/f`, `y/n`, any case. The export's own columns
(`opt_outs`, `global:*`, `workflow:*`) are accepted and ignored, so an export can be edited
and imported back; any other column is refused before anything is read.

Every change goes through `customer_create` / `customer_update` (validation, opt-out
timestamps, the ledger with source `import`), never around them.

Batches: lines are applied `IMPORT_BATCH` (500) at a time, each batch in one transaction. A bad
line (unreadable value, invalid for the service, an external id repeated in the file) is
reported with its line number and refuses its whole batch: the batch's transaction is rolled
back, nothing of it is written, and the other batches go on. 500 lines keep a batch's
transaction (and its row locks) to well under a second, and a refused batch small enough to
fix and re-run, while the per-batch overhead stays negligible. A dry run applies every batch
the same way and rolls every one back: its report is exactly what a real run would do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction

from customers.models import Customer
from customers.services import customer_create, customer_update
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import Tenant

IMPORT_BATCH = 500
TEXT_FIELDS = ("email", "phone", "first_name", "last_name", "locale", "timezone")
BOOL_FIELDS = ("email_opt_out", "sms_opt_out")
IMPORT_FIELDS = (*TEXT_FIELDS, *BOOL_FIELDS)
IGNORED_COLUMNS = ("opt_outs",)
IGNORED_PREFIXES = ("global:", "workflow:")
TRUE = frozenset({"true", "yes", "1", "t", "y"})
FALSE = frozenset({"false", "no", "0", "f", "n"})
_FORMULA_START = ("=", "@", "\t", "\r", "+", "-")

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


class ImportFileError(Exception):
    """The file cannot be read: a bad header (raised before anything is written) or an unreadable line.

    For an unreadable line, `report` tells what the batches before it did (they stay applied).
    """

    report: ImportReport | None = None


@dataclass
class LineOutcome:
    """What one line did (or would do): create, update (with {field: (old, new)}), unchanged, or error."""

    line: int
    external_id: str
    action: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    error: str = ""

    @property
    def readable_changes(self) -> list[tuple[str, str, str]]:
        """(field, old, new) as staff read them: booleans Yes/No, nothing as an em dash."""
        return [(name, _readable(old), _readable(new)) for name, (old, new) in self.changes.items()]


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "\u2014"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@dataclass
class ImportReport:
    """The outcome of an import or a dry run. Counts cover only batches that were (or would be) applied."""

    dry_run: bool
    batch_size: int
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineOutcome] = field(default_factory=list)
    refused_batches: list[tuple[int, int]] = field(default_factory=list)
    changes: list[LineOutcome] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def refused_lines(self) -> int:
        return sum(last - first + 1 for first, last in self.refused_batches) if self.refused_batches else 0


@dataclass
class _Line:
    number: int
    external_id: str
    values: dict[str, Any]
    error: str = ""


def _unquote(value: str) -> str:
    """Undo the export's formula guard (console/exports.py: `spreadsheet_safe`)."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def _parse_bool(column: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(f"{column}: '{value}' is not a boolean (true/false, yes/no, 1/0).")


def read_lines(text: Iterable[str]) -> tuple[list[str], Iterator[_Line]]:
    """The header's ignored columns and the parsed lines of a CSV (a file object or a list of lines).

    Raises ImportFileError for a file-level problem, before any line is read.
    """
    reader = csv.reader(text)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty: it needs a header line naming its columns.") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileError(f"The header line cannot be read: {exc}.") from None
    if "external_id" not in header:
        raise ImportFileError("The header has no 'external_id' column: every line must name its customer.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportFileError(f"Columns named twice in the header: {', '.join(repeated)}.")
    ignored = [n for n in header if n in IGNORED_COLUMNS or n.startswith(IGNORED_PREFIXES)]
    unknown = [n for n in header if n != "external_id" and n not in IMPORT_FIELDS and n not in ignored]
    if unknown:
        raise ImportFileError(
            f"Unknown columns: {', '.join(unknown)}. Known: external_id, {', '.join(IMPORT_FIELDS)} "
            "(and the export's opt_outs, global:*, workflow:*, which are ignored)."
        )
    return ignored, _lines(reader, header)


def _lines(reader, header: list[str]) -> Iterator[_Line]:
    seen: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            message = f"Line {reader.line_num + 1} cannot be read: {exc}. The import stopped there."
            raise ImportFileError(message) from None
        number = reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        yield _parse(number, cells, header, seen)


def _parse(number: int, cells: list[str], header: list[str], seen: dict[str, int]) -> _Line:
    if len(cells) != len(header):
        return _Line(number, "", {}, f"Has {len(cells)} fields; the header has {len(header)}.")
    row = dict(zip(header, cells, strict=True))
    external_id = row["external_id"].strip()
    if any("\x00" in cell for cell in cells):
        return _Line(number, external_id, {}, "Contains a NUL character.")
    if not external_id:
        return _Line(number, "", {}, "external_id: required.")
    if external_id in seen:
        return _Line(number, external_id, {}, f"external_id '{external_id}' is already on line {seen[external_id]}.")
    seen[external_id] = number
    values: dict[str, Any] = {}
    try:
        for column in IMPORT_FIELDS:
            raw = _unquote(row.get(column, "").strip())
            if raw:
                values[column] = _parse_bool(column, raw) if column in BOOL_FIELDS else raw
    except ValueError as exc:
        return _Line(number, external_id, {}, str(exc))
    return _Line(number, external_id, values)


def _message(exc: Exception) -> str:
    if isinstance(exc, DjangoValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    if isinstance(exc, PrefCenterError):
        return exc.message
    return str(exc)


def _batches(lines: Iterator[_Line], size: int) -> Iterator[list[_Line]]:
    batch: list[_Line] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _apply(tenant: Tenant, actor: Actor, line: _Line, existing: Customer | None) -> LineOutcome:
    if existing is None:
        customer_create(tenant=tenant, actor=actor, external_id=line.external_id, **line.values)
        return LineOutcome(line.number, line.external_id, CREATE, {k: (None, v) for k, v in line.values.items()})
    changes = {k: (getattr(existing, k), v) for k, v in line.values.items() if getattr(existing, k) != v}
    if not changes:
        return LineOutcome(line.number, line.external_id, UNCHANGED)
    customer_update(customer=existing, actor=actor, **{k: new for k, (_, new) in changes.items()})
    return LineOutcome(line.number, line.external_id, UPDATE, changes)


def customer_import(
    *,
    tenant: Tenant,
    actor: Actor,
    text: Iterable[str],
    dry_run: bool = False,
    batch_size: int = IMPORT_BATCH,
    progress: Callable[[int], None] | None = None,
    keep_changes: int | None = None,
) -> ImportReport:
    """Import a CSV into `tenant` (see the module docstring); `progress(n)` hears of every n lines done.

    `keep_changes` bounds how many changed lines the report keeps (the admin's preview shows the
    first ones; counts are always complete). Raises ImportFileError before writing anything when
    the header is unusable, and when a line cannot be read at all (the batches before it stay).
    """
    if actor.source != "import":
        raise ValueError("An import's actor must have source 'import'.")
    ignored, lines = read_lines(text)
    report = ImportReport(dry_run=dry_run, batch_size=batch_size, ignored_columns=ignored)
    try:
        _run(tenant, actor, lines, report, dry_run=dry_run, progress=progress, keep_changes=keep_changes)
    except ImportFileError as exc:
        exc.report = report  # what the batches before the unreadable line did
        raise
    return report


def _run(tenant, actor, lines, report: ImportReport, *, dry_run, progress, keep_changes) -> None:
    for batch in _batches(lines, report.batch_size):
        outcomes = _run_batch(tenant, actor, batch, dry_run=dry_run)
        report.lines += len(batch)
        failed = [o for o in outcomes if o.action == ERROR]
        if failed:
            report.errors.extend(failed)
            report.refused_batches.append((batch[0].number, batch[-1].number))
        else:
            for outcome in outcomes:
                if outcome.action == CREATE:
                    report.created += 1
                elif outcome.action == UPDATE:
                    report.updated += 1
                else:
                    report.unchanged += 1
                if outcome.action != UNCHANGED and (keep_changes is None or len(report.changes) < keep_changes):
                    report.changes.append(outcome)
        if progress is not None:
            progress(len(batch))


def _run_batch(tenant: Tenant, actor: Actor, batch: list[_Line], *, dry_run: bool) -> list[LineOutcome]:
    """Apply one batch in one transaction; roll it back when a line fails (or on a dry run)."""
    outcomes: list[LineOutcome] = []
    with transaction.atomic():
        wanted = [line.external_id for line in batch if not line.error]
        existing = {c.external_id: c for c in Customer.objects.filter(tenant=tenant, external_id__in=wanted)}
        for line in batch:
            if line.error:
                outcomes.append(LineOutcome(line.number, line.external_id, ERROR, error=line.error))
                continue
            try:
                with transaction.atomic():  # a savepoint: PostgreSQL can go on after a failed statement
                    outcomes.append(_apply(tenant, actor, line, existing.get(line.external_id)))
            except (PrefCenterError, DjangoValidationError, ValueError, DatabaseError) as exc:
                outcomes.append(LineOutcome(line.number, line.external_id, ERROR, error=_message(exc)))
        if dry_run or any(o.action == ERROR for o in outcomes):
            transaction.set_rollback(True)
    return outcomes


def text_of(content: str) -> io.StringIO:
    """A stored upload as a file object for `customer_import` (newlines as csv expects them)."""
    return io.StringIO(content, newline="")
