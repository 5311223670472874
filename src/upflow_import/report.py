"""The import report: what was (or would be) written, every row's fate, and the JSON document."""

from __future__ import annotations

import importlib
import importlib.resources
import json
from typing import Any, Literal

import attrs

from upflow_import._gc import paused_gc
from upflow_import.apply import ApplyResult, OperationStatus
from upflow_import.issues import Issue, Lang
from upflow_import.mapping import ColumnMapping
from upflow_import.model import ClientRecord, ContactRecord, FieldValue, ParsedImport, fast_constructor
from upflow_import.planner import (
    CreateClient,
    CreateContact,
    EntityCounts,
    Operation,
    Outcome,
    Plan,
    UpdateClient,
)

__all__ = ["FileInfo", "ImportReport", "RowReport", "RowStatus", "Summary", "report_json_schema"]

#: A row's fate in one word, for an ETL step to route it (see :attr:`RowReport.status`).
RowStatus = Literal["created", "updated", "unchanged", "skipped", "failed"]
_NOT_WRITTEN = (Outcome.DROPPED, Outcome.FAILED)


@attrs.frozen
class FileInfo:
    """What was read: the format, and the encoding, separator and sheet where they apply."""

    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    #: Data rows (the header excluded).
    rows: int

    def to_dict(self) -> dict[str, object]:
        return {"format": self.format, "encoding": self.encoding, "delimiter": self.delimiter,
                "sheet": self.sheet, "rows": self.rows}


@attrs.frozen(slots=True, weakref_slot=False)  # see model.fast_constructor
class RowReport:
    """One data row: its original cells, its issues, the operations it fed,
    what became of its client and contact (``None``: the row has no contact),
    and the typed records it was parsed into (``None`` when it had none)."""

    number: int
    cells: tuple[str | None, ...]
    issues: tuple[Issue, ...]
    operations: tuple[int, ...]
    client: Outcome
    contact: Outcome | None
    client_record: ClientRecord | None = None
    contact_record: ContactRecord | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.issues) and any(issue.is_error for issue in self.issues)

    @property
    def status(self) -> RowStatus:
        """``"failed"``: the row has an error or one of its writes failed (its client may still
        have been written: see ``client``); ``"skipped"``: no error of its own, but not
        imported because of another row's or the file's (or ``on_error="abort"``); else the strongest of
        its outcomes: ``"created"``, ``"updated"`` or ``"unchanged"``. In a dry run, what
        would happen."""
        client, contact = self.client, self.contact
        if self.has_errors or Outcome.FAILED in (client, contact):
            return "failed"
        if client in _NOT_WRITTEN or contact in _NOT_WRITTEN:
            return "skipped"
        if Outcome.CREATE in (client, contact):
            return "created"
        if Outcome.UPDATE in (client, contact):
            return "updated"
        return "unchanged"

    @property
    def values(self) -> dict[str, object]:
        """The row's typed values by field key, as JSON values (lists for several emails)."""
        values: dict[str, object] = {}
        client = self.client_record
        if client is not None:
            values.update((field.value, _json_value(value)) for field, value in client.values().items())
            parent = client.parent
            if parent is not None:
                if parent.external_id is not None:
                    values["group.external_id"] = parent.external_id
                if parent.name is not None:
                    values["group.name"] = parent.name
        if self.contact_record is not None:
            values.update((field.value, _json_value(value))
                          for field, value in self.contact_record.values().items())
        return values


def _json_value(value: FieldValue) -> object:
    return list(value) if isinstance(value, tuple) else value


class _RowReportSlots:
    __slots__ = RowReport.__slots__

    def __init__(self, number: object, cells: object, issues: object,  # noqa: PLR0917
                 operations: object, client: object, contact: object, client_record: object,
                 contact_record: object) -> None:
        self.number = number
        self.cells = cells
        self.issues = issues
        self.operations = operations
        self.client = client
        self.contact = contact
        self.client_record = client_record
        self.contact_record = contact_record


_new_row_report = fast_constructor(RowReport, _RowReportSlots)


@attrs.frozen
class Summary:
    """The counts of the report's ``summary`` section.

    ``str(summary)`` is a few readable lines in the report's language.
    """

    rows: int
    rows_with_errors: int
    clients: EntityCounts
    contacts: EntityCounts
    errors: int
    warnings: int
    #: Rows with errors of which nothing was imported (their client is dropped or failed).
    rows_not_imported: int = 0
    #: Rows with errors whose client was imported but whose contact was not.
    rows_contact_not_imported: int = 0
    #: The language of ``str(summary)``.
    lang: Lang = attrs.field(default="en", eq=False, kw_only=True)
    #: Nothing was written: ``str(summary)`` says what would be.
    dry_run: bool = attrs.field(default=False, eq=False, kw_only=True)

    def __str__(self) -> str:
        from upflow_import._render import render_summary_lines  # noqa: PLC0415 (the renderer is the CLI's)

        return render_summary_lines(self.to_dict(detailed=True), self.lang,
                                    "plan" if self.dry_run else "apply")

    def to_dict(self, *, detailed: bool = False) -> dict[str, object]:
        """The ``summary`` section of the JSON document; ``detailed`` adds, under ``rows``,
        how many rows with errors were ``not_imported`` and how many imported their client
        but not their contact (``contact_not_imported``)."""
        rows: dict[str, int] = {"total": self.rows, "with_errors": self.rows_with_errors}
        if detailed:
            rows.update(not_imported=self.rows_not_imported,
                        contact_not_imported=self.rows_contact_not_imported)
        return {
            "rows": rows,
            "clients": self.clients.to_dict(),
            "contacts": self.contacts.to_dict(),
            "errors": self.errors,
            "warnings": self.warnings,
        }


def _moved_to_dropped(counts: EntityCounts, unwritten_creates: int, unwritten_updates: int) -> EntityCounts:
    return attrs.evolve(
        counts,
        create=counts.create - unwritten_creates,
        update=counts.update - unwritten_updates,
        dropped=counts.dropped + unwritten_creates + unwritten_updates,
    )


@attrs.frozen
class ImportReport:
    """The outcome of :func:`~upflow_import.import_file`.

    ``ok`` is true when no error was reported. ``operations`` are the writes
    made (or, in a dry run, planned). ``rows`` accounts for every data row of
    the file. ``to_dict(lang=…)`` is the JSON document of the command line's
    ``--json`` output.
    """

    file: FileInfo
    mapping: ColumnMapping
    headers: tuple[str, ...]
    plan: Plan
    #: ``None`` for a dry run.
    result: ApplyResult | None
    rows: tuple[RowReport, ...]
    file_issues: tuple[Issue, ...]
    #: The language :meth:`to_dict` uses by default.
    lang: Lang = "en"

    @classmethod
    def build(cls, parsed: ParsedImport, plan: Plan, result: ApplyResult | None = None,
              *, lang: Lang = "en") -> ImportReport:
        """Assemble the report of ``parsed`` planned as ``plan`` and, unless a dry run, applied."""
        unwritten = _unwritten(plan, result)
        apply_issues: dict[int, list[Issue]] = {}
        if result is not None:
            for issue in result.issues:
                if issue.row is not None:
                    apply_issues.setdefault(issue.row, []).append(issue)
        rows = []
        for parsed_row, planned in zip(parsed.rows, plan.rows, strict=True):
            client, contact = planned.client, planned.contact
            if unwritten:
                for index in planned.operations:
                    if index in unwritten:
                        if isinstance(plan.operations[index], CreateClient | UpdateClient):
                            client = Outcome.FAILED
                        else:
                            contact = Outcome.FAILED
            number = planned.number
            added = apply_issues.get(number) if apply_issues else None
            rows.append(_new_row_report(number, parsed_row.cells,
                                        planned.issues if added is None else planned.issues + tuple(added),
                                        planned.operations, client, contact, parsed_row.client,
                                        parsed_row.contact))
        file = FileInfo(parsed.format, parsed.encoding, parsed.delimiter, parsed.sheet, len(parsed.rows))
        file_issues = plan.file_issues
        if lang != "en":
            # Issues speak the report's language: issue.message of a French report is French.
            rows = [row if not row.issues else _new_row_report(
                row.number, row.cells, tuple(issue.in_lang(lang) for issue in row.issues),
                row.operations, row.client, row.contact, row.client_record, row.contact_record)
                for row in rows]
            file_issues = tuple(issue.in_lang(lang) for issue in file_issues)
        return cls(file, parsed.mapping, parsed.headers, plan, result, tuple(rows), file_issues, lang)

    @property
    def dry_run(self) -> bool:
        return self.result is None

    def __str__(self) -> str:
        # print(report) shows what a person wants first: the counts, in the report's language.
        return str(self.summary)

    @property
    def issues(self) -> tuple[Issue, ...]:
        """File issues, then every row's issues (apply's included), in row order."""
        return self.file_issues + tuple(issue for row in self.rows for issue in row.issues)

    @property
    def ok(self) -> bool:
        """True when no error was reported (a warning does not count)."""
        return not any(issue.is_error for issue in self.issues)

    @property
    def operations(self) -> tuple[Operation, ...]:
        """The operations written, or for a dry run the ones that would be."""
        unwritten = _unwritten(self.plan, self.result)
        return tuple(op for op in self.plan.operations if op.index not in unwritten)

    @property
    def failed_rows(self) -> tuple[RowReport, ...]:
        """The rows with at least one error: the ones to fix and import again."""
        return tuple(row for row in self.rows if row.has_errors)

    @property
    def summary(self) -> Summary:
        """Rows, clients and contacts by outcome, errors and warnings."""
        unwritten = _unwritten(self.plan, self.result)
        kinds = [type(self.plan.operations[index]) for index in unwritten]
        clients = _moved_to_dropped(self.plan.clients, kinds.count(CreateClient), kinds.count(UpdateClient))
        contacts = _moved_to_dropped(self.plan.contacts, kinds.count(CreateContact),
                                     len(kinds) - kinds.count(CreateClient) - kinds.count(UpdateClient)
                                     - kinds.count(CreateContact))
        issues = self.issues
        errors = sum(1 for issue in issues if issue.is_error)
        failed = [row for row in self.rows if row.has_errors]
        imported = (Outcome.CREATE, Outcome.UPDATE, Outcome.UNCHANGED)
        contact_only = sum(1 for row in failed if row.client in imported)
        return Summary(
            rows=len(self.rows),
            rows_with_errors=len(failed),
            clients=clients,
            contacts=contacts,
            errors=errors,
            warnings=len(issues) - errors,
            rows_not_imported=len(failed) - contact_only,
            rows_contact_not_imported=contact_only,
            lang=self.lang,
            dry_run=self.dry_run,
        )

    def to_dict(self, lang: Lang | None = None) -> dict[str, object]:
        """The JSON document of the report, as plain dicts and lists:
        ``file``, ``mapping``, ``summary``, ``issues``, ``operations``."""
        lang = self.lang if lang is None else lang
        with paused_gc():  # a large report is millions of small objects that all stay alive
            return self._document(lang)

    def to_rows(self, lang: Lang | None = None) -> list[dict[str, object]]:
        """Every data row's outcome as plain data, for an ETL step to route.

        Each dict has ``row`` (its number), ``status`` (see
        :attr:`RowReport.status`: ``created``, ``updated``, ``unchanged``,
        ``skipped``, ``failed``), ``client`` and ``contact`` (their outcome:
        ``create``, ``update``, ``unchanged``, ``dropped``, ``failed``;
        ``contact`` is ``None`` for a row without one), ``values`` (the typed
        values by field key), ``cells`` (the original cells by column) and
        ``issues`` (as in :meth:`to_dict`, in ``lang``).

        >>> from upflow_import import InMemoryRepository, import_file, read_records
        >>> report = import_file(read_records([{"Customer": "Acme", "Payment terms": 30.0},
        ...                                    {"Customer": "Globex", "Payment terms": "soon"}]),
        ...                      InMemoryRepository())
        >>> for row in report.to_rows():
        ...     print(row["row"], row["status"], row["values"])
        2 created {'client.name': 'Acme', 'client.payment_term_days': 30}
        3 failed {'client.name': 'Globex'}
        """
        lang = self.lang if lang is None else lang
        return [_row_dict(row, self.headers, lang) for row in self.rows]

    def to_pandas(self, lang: Lang | None = None) -> Any:
        """:meth:`to_rows` as a pandas DataFrame: ``row``, ``status``, ``client``, ``contact``,
        ``issue_codes`` and ``issue_messages`` (joined), then one column per field key.
        Needs pandas (not a dependency of this library)."""
        pandas = _optional("pandas", "ImportReport.to_pandas()")
        return pandas.DataFrame(_frame_columns(self.to_rows(lang)))

    def to_polars(self, lang: Lang | None = None) -> Any:
        """:meth:`to_pandas` as a polars DataFrame. Needs polars (not a dependency of this library)."""
        polars = _optional("polars", "ImportReport.to_polars()")
        return polars.DataFrame(_frame_columns(self.to_rows(lang)), strict=False)

    def _document(self, lang: Lang) -> dict[str, object]:
        return {
            "file": self.file.to_dict(),
            "mapping": [
                {"column": match.column, "field": None if match.field is None else match.field.value,
                 "confidence": match.confidence}
                for match in self.mapping.matches
            ],
            "summary": self.summary.to_dict(),
            "issues": [issue.to_dict(lang) for issue in self.issues],
            "operations": [operation.to_dict() for operation in self.operations],
        }


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :meth:`ImportReport.to_dict`, the document the command
    line prints with ``--json`` (or its error document), as shipped in the package
    (``upflow_import/schema/report.schema.json``).

    >>> schema = report_json_schema()
    >>> schema["$schema"], sorted(schema["$defs"]["report"]["required"])
    ('https://json-schema.org/draft/2020-12/schema', ['file', 'issues', 'mapping', 'operations', 'summary'])
    """
    text = importlib.resources.files("upflow_import").joinpath("schema/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _row_dict(row: RowReport, headers: tuple[str, ...], lang: Lang) -> dict[str, object]:
    return {
        "row": row.number,
        "status": row.status,
        "client": row.client.value,
        "contact": None if row.contact is None else row.contact.value,
        "values": row.values,
        "cells": dict(zip(headers, row.cells, strict=False)),
        "issues": [issue.to_dict(lang) for issue in row.issues],
    }


def _frame_columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
    """The rows as columns: outcome, issues (codes and messages joined), then one column per field."""
    fields = list(dict.fromkeys(key for row in rows for key in row["values"]))  # type: ignore[attr-defined]
    columns: dict[str, list[object]] = {name: [] for name in (
        "row", "status", "client", "contact", "issue_codes", "issue_messages", *fields)}
    for row in rows:
        for name in ("row", "status", "client", "contact"):
            columns[name].append(row[name])
        issues: list[dict[str, Any]] = row["issues"]  # type: ignore[assignment]
        columns["issue_codes"].append(", ".join(issue["code"] for issue in issues))
        columns["issue_messages"].append("\n".join(issue["message"] for issue in issues))
        values: dict[str, object] = row["values"]  # type: ignore[assignment]
        for field in fields:
            value = values.get(field)
            columns[field].append(", ".join(value) if isinstance(value, list) else value)
    return columns


def _optional(module: str, purpose: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{purpose} needs {module}, which is not installed "
                          f"(pip install {module})") from None


def _unwritten(plan: Plan, result: ApplyResult | None) -> set[int]:
    if result is None:
        return set()
    return {r.index for r in result.results if r.status is not OperationStatus.APPLIED}

