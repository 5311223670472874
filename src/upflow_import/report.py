"""The import report: what was (or would be) written, every row's fate, and the JSON document."""

from __future__ import annotations

import enum
import importlib
import importlib.resources
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import attrs

from upflow_import._report_json import encode, operations_json
from upflow_import.apply import ApplyResult, OperationStatus
from upflow_import.fields import Field, Kind
from upflow_import.issues import Issue, Lang
from upflow_import.mapping import ColumnMapping
from upflow_import.model import (
    CLIENT_FIELDS,
    CONTACT_FIELDS,
    FieldValue,
    ParsedImport,
)
from upflow_import.planner import (
    CreateClient,
    CreateContact,
    EntityCounts,
    Operation,
    Outcome,
    Plan,
    UpdateClient,
)
from upflow_import.planning.types import (
    RowOutcome,
    RowReport,
    RowStatus,
    new_row_report,
    row_outcomes,
    row_status,
)

__all__ = ["FileInfo", "ImportReport", "RowReport", "RowStatus", "Summary",
           "report_json_schema"]


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


def _has_errors(issues: tuple[Issue, ...]) -> bool:
    return bool(issues) and any(issue.is_error for issue in issues)


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

    The report keeps the parsed file and the plan it was built from, and what
    the writes changed (the few rows whose writes failed, the issues ``apply``
    added): a :class:`RowReport` is made when ``rows`` is read, not kept for
    every row, and the JSON document, the summary and the issues are derived
    from the plan's rows directly.
    """

    file: FileInfo
    mapping: ColumnMapping
    headers: tuple[str, ...]
    plan: Plan
    #: ``None`` for a dry run.
    result: ApplyResult | None
    file_issues: tuple[Issue, ...]
    #: The language :meth:`to_dict` uses by default.
    lang: Lang = "en"
    #: The parsed file the plan was made from (its rows' cells and typed records).
    parsed: ParsedImport = attrs.field(kw_only=True, repr=False)
    # Row index → its client's and contact's outcome, for the rows whose writes failed only.
    _failed_writes: Mapping[int, tuple[Outcome, Outcome | None]] = attrs.field(
        factory=dict, kw_only=True, repr=False, alias="failed_writes")
    # Row number → the issues apply added to it (a failed write and the ones not attempted).
    _apply_issues: Mapping[int, tuple[Issue, ...]] = attrs.field(
        factory=dict, kw_only=True, repr=False, alias="apply_issues")

    @classmethod
    def from_plan(cls, parsed: ParsedImport, plan: Plan, result: ApplyResult | None = None,
              *, lang: Lang = "en") -> ImportReport:
        """Assemble the report of ``parsed`` planned as ``plan`` and, unless a dry run, applied."""
        if len(parsed.rows) != len(plan.rows):
            raise ValueError(f"the plan has {len(plan.rows)} rows, the parsed file {len(parsed.rows)}")
        failed_writes: dict[int, tuple[Outcome, Outcome | None]] = {}
        apply_issues: dict[int, tuple[Issue, ...]] = {}
        if result is not None:
            unwritten = _unwritten(plan, result)
            if unwritten:
                for index, planned in enumerate(row_outcomes(plan.rows)):
                    if not unwritten.isdisjoint(planned.operations):
                        failed_writes[index] = _after_writes(planned, plan, unwritten)
            by_row: dict[int, list[Issue]] = {}
            for issue in result.issues:
                if issue.row is not None:
                    by_row.setdefault(issue.row, []).append(issue)
            apply_issues = {number: tuple(issues) for number, issues in by_row.items()}
        file = FileInfo(parsed.format, parsed.encoding, parsed.delimiter, parsed.sheet, len(parsed.rows))
        file_issues = plan.file_issues
        if lang != "en":
            # Issues speak the report's language: issue.message of a French report is French.
            file_issues = tuple(issue.in_lang(lang) for issue in file_issues)
        return cls(file, parsed.mapping, parsed.headers, plan, result, file_issues, lang, parsed=parsed,
                   failed_writes=failed_writes, apply_issues=apply_issues)

    @property
    def dry_run(self) -> bool:
        return self.result is None

    def __str__(self) -> str:
        # print(report) shows what a person wants first: the counts, in the report's language.
        return str(self.summary)

    @property
    def rows(self) -> Sequence[RowReport]:
        """Every data row, in file order: a sequence whose :class:`RowReport` items are made
        as they are read."""
        return _RowReports(self)

    def _row(self, index: int, planned: RowReport) -> RowReport:
        """The plan's row at ``index`` as the import left it (its failed writes and apply's issues)."""
        client, contact = self._failed_writes.get(index, (planned.client, planned.contact))
        return new_row_report(planned.number, planned.cells, self._row_issues(planned), planned.operations,
                              client, contact, planned.client_record, planned.contact_record)

    def _row_issues(self, planned: RowOutcome | RowReport, *, translated: bool = True) -> tuple[Issue, ...]:
        """A row's issues: the plan's, then apply's, in the report's language (``translated``)."""
        issues = planned.issues
        if self._apply_issues:
            added = self._apply_issues.get(planned.number)
            if added is not None:
                issues += added
        return self._translated(issues) if translated else issues

    def _translated(self, issues: tuple[Issue, ...]) -> tuple[Issue, ...]:
        """``issues`` in the report's language."""
        if issues and self.lang != "en":
            return tuple(issue.in_lang(self.lang) for issue in issues)
        return issues

    def _noted_rows(self) -> list[tuple[int, RowOutcome, tuple[Issue, ...]]]:
        """Each row with issues (its own or apply's): its position, its plan and its issues as
        made (untranslated). One walk over the rows' plans gives all that the summary, the
        issues and the failed rows read; the other rows have nothing to say."""
        apply_issues = self._apply_issues
        if not apply_issues:  # a dry run, or writes that all succeeded
            return [(index, planned, planned.issues)
                    for index, planned in enumerate(row_outcomes(self.plan.rows)) if planned.issues]
        return [(index, planned, self._row_issues(planned, translated=False))
                for index, planned in enumerate(row_outcomes(self.plan.rows))
                if planned.issues or planned.number in apply_issues]

    @property
    def issues(self) -> tuple[Issue, ...]:
        """File issues, then every row's issues (apply's included), in row order."""
        issues = list(self.file_issues)
        for _, _, row_issues in self._noted_rows():
            issues += self._translated(row_issues)
        return tuple(issues)

    @property
    def ok(self) -> bool:
        """True when no error was reported (a warning does not count)."""
        # Whether an issue is an error does not depend on its language: none is translated.
        return not any(issue.is_error for issue in self._untranslated_issues(self._noted_rows()))

    def _untranslated_issues(self, noted: list[tuple[int, RowOutcome, tuple[Issue, ...]]]) -> Iterator[Issue]:
        """:attr:`issues` as the plan and apply made them (the file issues excepted, which
        from_plan translated already) from the :meth:`_noted_rows`, for what reads no message
        or renders it in a language of its own (``issue.to_dict(lang)``)."""
        yield from self.file_issues
        for _, _, row_issues in noted:
            yield from row_issues

    @property
    def operations(self) -> tuple[Operation, ...]:
        """The operations written, or for a dry run the ones that would be."""
        unwritten = _unwritten(self.plan, self.result)
        return tuple(op for op in self.plan.operations if op.index not in unwritten)

    @property
    def failed_rows(self) -> tuple[RowReport, ...]:
        """The rows with at least one error: the ones to fix and import again."""
        plan_rows = self.plan.rows
        return tuple(self._row(index, plan_rows[index])
                     for index, planned, issues in self._noted_rows() if _has_errors(issues))

    @property
    def summary(self) -> Summary:
        """Rows, clients and contacts by outcome, errors and warnings."""
        return self._summary(self._noted_rows())

    def _summary(self, noted: list[tuple[int, RowOutcome, tuple[Issue, ...]]]) -> Summary:
        """:attr:`summary`, from the rows with issues (:meth:`_noted_rows`)."""
        unwritten = _unwritten(self.plan, self.result)
        kinds = [type(self.plan.operations[index]) for index in unwritten]
        clients = _moved_to_dropped(self.plan.clients, kinds.count(CreateClient), kinds.count(UpdateClient))
        contacts = _moved_to_dropped(self.plan.contacts, kinds.count(CreateContact),
                                     len(kinds) - kinds.count(CreateClient) - kinds.count(UpdateClient)
                                     - kinds.count(CreateContact))
        errors = sum(1 for issue in self.file_issues if issue.is_error)
        warnings = len(self.file_issues) - errors
        failed = contact_only = 0
        failed_writes = self._failed_writes
        for index, planned, issues in noted:
            row_errors = sum(1 for issue in issues if issue.is_error)
            errors += row_errors
            warnings += len(issues) - row_errors
            if row_errors:
                failed += 1
                client = failed_writes[index][0] if index in failed_writes else planned.client
                contact_only += client in _IMPORTED
        return Summary(
            rows=len(self.plan.rows),
            rows_with_errors=failed,
            clients=clients,
            contacts=contacts,
            errors=errors,
            warnings=warnings,
            rows_not_imported=failed - contact_only,
            rows_contact_not_imported=contact_only,
            lang=self.lang,
            dry_run=self.dry_run,
        )

    def to_dict(self, lang: Lang | None = None) -> dict[str, object]:
        """The JSON document of the report, as plain dicts and lists:
        ``file``, ``mapping``, ``summary``, ``issues``, ``operations``."""
        lang = self.lang if lang is None else lang
        return self._document(lang)

    def to_json(self, lang: Lang | None = None) -> str:
        """The JSON document of :meth:`to_dict` as text, exactly
        ``json.dumps(report.to_dict(lang), ensure_ascii=False)`` (what ``--json`` prints).

        Each issue and operation is written and dropped in turn, so a large report is
        written without the whole document ever being held as objects (the operations'
        text is written straight from them: see ``upflow_import._report_json``).

        >>> from upflow_import import InMemoryRepository, import_file
        >>> report = import_file(b"Nom du client\\nAcme\\n", InMemoryRepository(), dry_run=True)
        >>> report.to_json()[:56]
        '{"file": {"format": "csv", "encoding": "utf-8", "delimit'
        >>> report.to_json() == json.dumps(report.to_dict(), ensure_ascii=False)
        True
        """
        lang = self.lang if lang is None else lang
        noted = self._noted_rows()  # for the summary and the issues both
        head = encode(self._document(lang, issues=False, operations=False, noted=noted))
        return "".join((
            head[:-1], ', "issues": [',
            # Each issue's message is rendered in ``lang``, whatever the issue's own language.
            ", ".join(encode(issue.to_dict(lang)) for issue in self._untranslated_issues(noted)),
            '], "operations": [',
            operations_json(self.operations),
            "]}",
        ))

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
        headers = self.headers
        # The values and cells are read from the parsed file's columns, not from a ParsedRow
        # per row (reference_row_dict is the plain way, which the tests compare this with).
        parsed = self.parsed
        cells = parsed.cells or itertools.repeat((), len(parsed.numbers))
        failed_writes = self._failed_writes
        rows: list[dict[str, object]] = []
        for index, (planned, values, row_cells) in enumerate(zip(
                row_outcomes(self.plan.rows), _values_by_position(parsed), cells, strict=True)):
            issues = self._row_issues(planned, translated=False)
            client, contact = failed_writes.get(index, (planned.client, planned.contact))
            rows.append({
                "row": planned.number,
                "status": row_status(_has_errors(issues), client, contact),
                "client": client.value,
                "contact": None if contact is None else contact.value,
                "values": values,
                "cells": dict(zip(headers, row_cells, strict=False)),
                "issues": [issue.to_dict(lang) for issue in issues],
            })
        return rows

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

    def _document(self, lang: Lang, *, issues: bool = True, operations: bool = True,
                  noted: list[tuple[int, RowOutcome, tuple[Issue, ...]]] | None = None) -> dict[str, object]:
        """The document of :meth:`to_dict`; without its ``issues`` or ``operations`` for what
        needs only the rest (:meth:`to_json` writes them one by one; the command line's text
        output never shows the operations). ``noted``: the :meth:`_noted_rows`, when known."""
        noted = self._noted_rows() if noted is None else noted
        document: dict[str, object] = {
            "file": self.file.to_dict(),
            "mapping": [
                {"column": match.column, "field": None if match.field is None else match.field.value,
                 "confidence": match.confidence}
                for match in self.mapping.matches
            ],
            "summary": self._summary(noted).to_dict(),
        }
        if issues:
            document["issues"] = [issue.to_dict(lang) for issue in self._untranslated_issues(noted)]
        if operations:
            document["operations"] = [operation.to_dict() for operation in self.operations]
        return document


_IMPORTED = frozenset((Outcome.CREATE, Outcome.UPDATE, Outcome.UNCHANGED))

#: A row's value fields in the order of :attr:`RowReport.values`: its client's, its group's
#: (the external id first), then its contact's.
_CLIENT_VALUE_FIELDS = (*CLIENT_FIELDS, Field.GROUP_EXTERNAL_ID, Field.GROUP_NAME)


def _values_by_position(parsed: ParsedImport) -> list[dict[str, object]]:
    """Each row's :attr:`RowReport.values`, filled a column at a time from the parsed file,
    without a ParsedRow or record per row (:func:`~upflow_import.planning.types.row_values`
    of the row's records is the reference: a row the reader could not produce has none, a
    row without a contact no contact values)."""
    count = len(parsed.numbers)
    values: list[dict[str, object]] = [{} for _ in range(count)]
    unread = parsed.unread_positions
    read = None if not unread else [position for position in range(count) if position not in unread]
    with_contact = sorted(parsed.contact_positions - unread)
    for fields, positions in ((_CLIENT_VALUE_FIELDS, read), (CONTACT_FIELDS, with_contact)):
        # The values of the rows concerned, and each column read at those rows only.
        targets = values if positions is None else [values[position] for position in positions]
        for field in fields:
            column = parsed.columns.get(field)
            if column is not None:
                picked = column if positions is None else [column[position] for position in positions]
                _fill_values(targets, field, picked)
    return values


def _fill_values(targets: list[dict[str, object]], field: Field,
                 column: Sequence[FieldValue | None]) -> None:
    """Add ``field``'s value, as :func:`_values` writes it, to each of ``targets`` (aligned
    with ``column``) where it is filled in (an empty list of emails is not)."""
    key = field.value
    kind = field.spec.kind
    if kind is Kind.EMAILS:
        for target, emails in zip(targets, column, strict=True):
            if emails:
                target[key] = list(emails)  # type: ignore[arg-type]
    elif kind is Kind.CHOICE:
        for target, choice in zip(targets, column, strict=True):
            if choice is not None:
                # The plain string, as ClientRecord.values() gives a choice.
                target[key] = choice.value if isinstance(choice, enum.Enum) else choice
    else:
        for target, value in zip(targets, column, strict=True):
            if value is not None:
                target[key] = value


def _after_writes(planned: RowOutcome | RowReport, plan: Plan,
                  unwritten: set[int]) -> tuple[Outcome, Outcome | None]:
    """A row's client and contact outcome once the writes in ``unwritten`` failed."""
    client, contact = planned.client, planned.contact
    for index in planned.operations:
        if index in unwritten:
            if isinstance(plan.operations[index], CreateClient | UpdateClient):
                client = Outcome.FAILED
            else:
                contact = Outcome.FAILED
    return client, contact


class _RowReports(Sequence[RowReport]):
    """:attr:`ImportReport.rows`: every data row of a report, each :class:`RowReport` made when
    it is read (a million-row report keeps no million row objects)."""

    __slots__ = ("_report",)

    def __init__(self, report: ImportReport) -> None:
        self._report = report

    def __len__(self) -> int:
        return len(self._report.plan.rows)

    @overload
    def __getitem__(self, index: int) -> RowReport: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[RowReport, ...]: ...

    def __getitem__(self, index: int | slice) -> RowReport | tuple[RowReport, ...]:
        if isinstance(index, slice):
            return tuple(self[position] for position in range(*index.indices(len(self))))
        planned_rows = self._report.plan.rows
        position = range(len(planned_rows))[index]  # IndexError, negative indices
        return self._report._row(position, planned_rows[position])

    def __iter__(self) -> Iterator[RowReport]:
        report = self._report
        for index, planned in enumerate(report.plan.rows):
            yield report._row(index, planned)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _RowReports):
            return self._report is other._report or tuple(self) == tuple(other)
        if isinstance(other, tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<_RowReports: {len(self)} rows>"


def reference_rows(parsed: ParsedImport, plan: Plan, result: ApplyResult | None = None,
                   lang: Lang = "en") -> tuple[RowReport, ...]:
    """Every row's :class:`RowReport`, each made and kept the plain way: the reference that
    :attr:`ImportReport.rows` and everything the report derives from its compact form must equal
    (tests/test_report_derived.py)."""
    unwritten = _unwritten(plan, result)
    apply_issues: dict[int, list[Issue]] = {}
    if result is not None:
        for issue in result.issues:
            if issue.row is not None:
                apply_issues.setdefault(issue.row, []).append(issue)
    rows = []
    for parsed_row, planned in zip(parsed.rows, plan.rows, strict=True):
        client, contact = _after_writes(planned, plan, unwritten)
        issues = planned.issues + tuple(apply_issues.get(planned.number, ()))
        rows.append(RowReport(planned.number, parsed_row.cells,
                              tuple(issue.in_lang(lang) for issue in issues), planned.operations,
                              client, contact, parsed_row.client, parsed_row.contact))
    return tuple(rows)


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


def reference_row_dict(row: RowReport, headers: tuple[str, ...], lang: Lang) -> dict[str, object]:
    """One item of :meth:`ImportReport.to_rows`, made the plain way from a :class:`RowReport`
    (the reference that method must equal)."""
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

