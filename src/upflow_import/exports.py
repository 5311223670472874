"""The failed-rows export: :func:`write_failed_rows`, Upflow's "download the lines with errors".

The file holds exactly the rows that were not imported because of an
error, with the file's own columns and cells as they were read, plus two
last columns: each row's error messages (:data:`ERRORS_HEADERS`) and how to
fix each (:data:`HINTS_HEADERS`). The user fixes the cells and imports that
file as it is: those two columns are not mapped to any field (they only give
``mapping.unmapped_column`` warnings), and the ``'`` that neutralises CSV
cells starting like a formula is dropped again on reading (see
:func:`upflow_import.values.unmark`).

When the file itself has an error (a required column is missing, a title
row…), no row was imported: every row is exported, each with the
whole-file messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from upflow_import._sheets import (
    ERRORS_HEADERS,
    HINTS_HEADERS,
    Destination,
    SheetColumn,
    sheet_format,
    write_sheet,
)
from upflow_import.issues import Issue
from upflow_import.lang import Lang
from upflow_import.model import ParsedImport, ParsedRow
from upflow_import.report import ImportReport, RowReport

__all__ = ["ERRORS_HEADERS", "HINTS_HEADERS", "failed_rows", "write_failed_rows"]

_ERROR_HEADERS = frozenset((*ERRORS_HEADERS.values(), *HINTS_HEADERS.values()))


def _describe(issue: Issue, lang: Lang) -> str:
    message = issue.message_in(lang)
    if issue.column is None:
        return message
    # French typography puts a space before a colon.
    return f"{issue.column} : {message}" if lang == "fr" else f"{issue.column}: {message}"


def _messages(issues: Iterable[Issue], lang: Lang) -> tuple[str, str]:
    """The row's error messages and, line for line, how to fix each."""
    # One line per error, in the order they were found; a message repeated on
    # one row (a file-level message and the row's own) is shown once.
    lines: dict[str, str] = {}
    for issue in issues:
        if issue.is_error:
            lines.setdefault(_describe(issue, lang), issue.hint_in(lang) or "")
    return "\n".join(lines), "\n".join(lines.values())


def failed_rows(
    source: ImportReport | ParsedImport, lang: Lang = "en",
) -> tuple[tuple[str, ...], list[tuple[str | None, ...]]]:
    """The headers and rows of the failed-rows export of ``source``: the file's columns, then
    the message column and the column saying how to fix each message.

    The message and hint columns of an earlier export (re-imported and failing
    again) are replaced, not repeated.
    """
    file_issues = source.file_issues
    headers = source.headers
    kept = [index for index, header in enumerate(headers) if header not in _ERROR_HEADERS]
    file_errors = [issue for issue in file_issues if issue.is_error]
    # One row at a time: a report makes its rows as they are read, and only those with errors
    # when the file itself has none (the others would be passed over).
    rows: Iterable[RowReport | ParsedRow] = (
        source.failed_rows if isinstance(source, ImportReport) and not file_errors else source.rows)
    exported: list[tuple[str | None, ...]] = []
    for row in rows:
        cells, issues = row.cells, row.issues
        if not file_errors and not any(issue.is_error for issue in issues):
            continue
        # A row the reader could not produce at all has no cells: it is exported empty.
        padded: Sequence[str | None] = (*cells, *(None,) * (len(headers) - len(cells)))
        exported.append((*(padded[index] for index in kept), *_messages((*file_errors, *issues), lang)))
    return (*(headers[index] for index in kept), ERRORS_HEADERS[lang], HINTS_HEADERS[lang]), exported


def write_failed_rows(
    source: ImportReport | ParsedImport,
    destination: Destination,
    *,
    format: str | None = None,
    lang: Lang | None = None,
) -> int:
    """Write the rows of ``source`` that have errors to ``destination``; return how many.

    ``source`` is an :class:`~upflow_import.ImportReport` (its rows' issues
    include the planner's and apply's) or a :class:`~upflow_import.ParsedImport`
    (parsing issues only). ``destination`` is a path or a binary file object;
    ``format`` (``"csv"`` or ``"xlsx"``) comes from the file name's suffix by
    default. ``lang`` is the language of the messages (default: the report's,
    else English); a French CSV is ``;``-separated, an English one
    ``,``-separated, both UTF-8 with a byte order mark.

    Each row carries its error messages (one per line) and, beside them, how to
    fix each one ("Did you mean 'Plan standard'?", "Fill in this cell.").

    No spreadsheet program runs a cell starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return as a formula: in an XLSX such a cell
    keeps its text and gets Excel's quote-prefix style; in a CSV it is written
    with a leading ``'`` (which the importer drops again), and every field is
    quoted. The file is written even when no row has an error (it then holds
    the header only).

    >>> import io
    >>> from upflow_import import InMemoryRepository, import_file
    >>> report = import_file(b"Nom du client;Email du contact\\nAcme;jean@\\nGlobex;\\n",
    ...                      InMemoryRepository(), dry_run=True)
    >>> out = io.BytesIO()
    >>> write_failed_rows(report, out, format="csv", lang="en")
    1
    >>> import csv
    >>> header, row = csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")))
    >>> header
    ['Nom du client', 'Email du contact', 'Import errors', 'How to fix']
    >>> print("\\n".join(row))
    Acme
    jean@
    Email du contact: 'jean@' is not a valid email address.
    Write a full address such as jean.dupont@example.com.
    """
    kind = sheet_format(destination, format)
    chosen: Lang = lang if lang is not None else source.lang if isinstance(source, ImportReport) else "en"
    headers, rows = failed_rows(source, chosen)
    columns = [SheetColumn(header) for header in headers[:-2]]
    columns += [SheetColumn(header, wrap=True, width=60) for header in headers[-2:]]
    sheet_name = "Erreurs" if chosen == "fr" else "Errors"
    write_sheet(destination, columns, rows, format=kind, lang=chosen, sheet_name=sheet_name)
    return len(rows)
