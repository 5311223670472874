"""Writing one sheet of text cells as CSV or XLSX: the back end of templates and failed-rows exports.

Both files are written for a person who opens them in Excel and then gives
them back to the importer:

- CSV is UTF-8 with a byte order mark (without it Excel reads UTF-8 as
  cp1252 and garbles accents), ``;``-separated for French (the list
  separator of a French Excel, which splits a ``,`` file into one column) and
  ``,``-separated for English, with Excel's CRLF line ends.
- XLSX is written by XlsxWriter, an optional dependency imported only here
  and only when an XLSX file is asked for: every cell is written as a string
  (never a number, which would lose leading zeros, nor a formula), the
  header is bold and frozen, columns get widths, a text format (``@``) where
  Excel would otherwise turn typed values into numbers, and drop-down lists
  where a column takes a few values.
- Every cell is neutralised against formula injection (:func:`neutralize`).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal, Union

import attrs

from upflow_import.errors import UpflowImportError
from upflow_import.lang import Lang

__all__ = [
    "ERRORS_HEADERS",
    "FORMULA_TRIGGERS",
    "HINTS_HEADERS",
    "Destination",
    "SheetColumn",
    "SheetFormat",
    "neutralize",
    "require_xlsxwriter",
    "sheet_format",
    "write_sheet",
]

#: What an export can be written to: a path, or a binary file object.
Destination = Union[str, "os.PathLike[str]", IO[bytes]]

SheetFormat = Literal["csv", "xlsx"]

#: The first characters that make a spreadsheet program read a cell as a
#: formula (or, for tab and carriage return, hide what follows): OWASP's list.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The header of the message column a failed-rows export adds. No field
#: label or synonym resembles it, so re-importing the file leaves it unmapped.
ERRORS_HEADERS: dict[Lang, str] = {"en": "Import errors", "fr": "Erreurs d'import"}
#: The header of the column beside it that says how to fix each error.
HINTS_HEADERS: dict[Lang, str] = {"en": "How to fix", "fr": "Comment corriger"}

_DELIMITERS: dict[Lang, str] = {"en": ",", "fr": ";"}
_SUFFIXES: dict[str, SheetFormat] = {".csv": "csv", ".xlsx": "xlsx"}
# Excel's last row (0-based): drop-down lists and formats cover the whole column.
_LAST_ROW = 1_048_575
_MAX_WIDTH = 60


def neutralize(text: str | None) -> str | None:
    """``text`` with a leading ``'`` when it starts like a formula, so that no
    spreadsheet program evaluates it (``=HYPERLINK(…)``, ``+33 1 23…``, ``@SUM(…)``).

    The importer drops that ``'`` again when the file comes back (see
    :func:`upflow_import.values.unmark`).

    >>> neutralize("=1+1"), neutralize("+33 1 23 45 67 89"), neutralize("Acme")
    ("'=1+1", "'+33 1 23 45 67 89", 'Acme')
    """
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@attrs.frozen
class SheetColumn:
    """One column of a written sheet and how Excel should present it."""

    header: str
    #: Format the column as text (``@``) so that Excel keeps what is typed in it
    #: as written: leading zeros of codes, ``+`` of phone numbers.
    text: bool = True
    #: The values of a drop-down list (empty: none).
    choices: tuple[str, ...] = ()
    #: What the drop-down list says when another value is typed.
    choices_message: str = ""
    #: Wrap long text in the cell (the message column).
    wrap: bool = False
    #: Width in characters; ``None``: from the header and the cells.
    width: float | None = None


def sheet_format(destination: Destination, format: str | None = None) -> SheetFormat:
    """The format to write: ``format`` when given, else from the file name's suffix.

    Raises ``export.unsupported_format`` for anything else than CSV or XLSX.
    """
    if format is not None:
        if format.lower() in ("csv", "xlsx"):
            return "csv" if format.lower() == "csv" else "xlsx"
        raise UpflowImportError.from_code("export.unsupported_format", value=format)
    if isinstance(destination, (str, os.PathLike)):
        suffix = Path(destination).suffix.lower()
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
        raise UpflowImportError.from_code("export.unsupported_format", value=os.fspath(destination))
    raise UpflowImportError.from_code("export.unsupported_format", value=repr(destination))


def require_xlsxwriter() -> Any:
    """The ``xlsxwriter`` module, or ``export.xlsx_unavailable`` when it is not installed.

    It is an optional extra (``pip install "upflow-import[xlsx]"``): reading
    needs no writer, and most callers export nothing or export CSV.
    """
    try:
        import xlsxwriter  # noqa: PLC0415 (optional dependency, imported when used)
    except ImportError:
        raise UpflowImportError.from_code("export.xlsx_unavailable") from None
    return xlsxwriter


def write_sheet(
    destination: Destination,
    columns: Sequence[SheetColumn],
    rows: Sequence[Sequence[str | None]],
    *,
    format: SheetFormat,
    lang: Lang,
    sheet_name: str,
) -> None:
    """Write ``columns`` and ``rows`` (aligned with them) to ``destination``, every cell safe.

    A CSV has no cell styles: a cell starting like a formula gets a leading ``'``
    (dropped again on reading), and every field is quoted, so that a program
    splitting the lines on another separator still sees no cell start with ``=``.
    An XLSX keeps every cell's text as it is and marks the formula-like ones with
    the quote-prefix style (Excel's own "this is text" mark, invisible in the cell).
    """
    if format == "csv":
        headers = [neutralize(column.header) or "" for column in columns]
        cells = [[neutralize(cell) for cell in row] for row in rows]
        data = _csv_bytes(headers, cells, _DELIMITERS[lang])
    else:
        data = _xlsx_bytes(columns, [column.header for column in columns], [list(row) for row in rows],
                           sheet_name)
    if isinstance(destination, (str, os.PathLike)):
        Path(destination).write_bytes(data)
    else:
        destination.write(data)


def _csv_bytes(headers: list[str], rows: list[list[str | None]], delimiter: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def _width(column: SheetColumn, header: str, rows: list[list[str | None]], index: int) -> float:
    if column.width is not None:
        return column.width
    longest = max([len(header), *(len(row[index] or "") for row in rows[:200])])
    return float(min(longest + 3, _MAX_WIDTH))


def _xlsx_bytes(columns: Sequence[SheetColumn], headers: list[str], rows: list[list[str | None]],
                sheet_name: str) -> bytes:
    xlsxwriter = require_xlsxwriter()
    buffer = io.BytesIO()
    # Strings stay strings: no formula, number or URL is ever guessed from them.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#E8EEF7"})
    text = workbook.add_format({"num_format": "@"})
    wrapped = workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
    formats = [wrapped if column.wrap else text if column.text else None for column in columns]
    # The same formats with Excel's quote prefix, for cells that start like a formula.
    prefixed: dict[int, Any] = {}

    def safe(index: int, cell: str) -> Any:
        if not cell.startswith(FORMULA_TRIGGERS):
            return formats[index]
        found = prefixed.get(index)
        if found is None:
            column = columns[index]
            properties: dict[str, object] = {"quote_prefix": True}
            if column.wrap:
                properties.update(num_format="@", text_wrap=True, valign="top")
            elif column.text:
                properties["num_format"] = "@"
            found = prefixed[index] = workbook.add_format(properties)
        return found

    for index, (column, header) in enumerate(zip(columns, headers, strict=True)):
        sheet.set_column(index, index, _width(column, header, rows, index), formats[index])
        if header.startswith(FORMULA_TRIGGERS):
            header_format = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#E8EEF7",
                                                 "quote_prefix": True})
            sheet.write_string(0, index, header, header_format)
        else:
            sheet.write_string(0, index, header, bold)
        if column.choices:
            sheet.data_validation(1, index, _LAST_ROW, index, {
                "validate": "list",
                "source": list(column.choices),
                # A warning, not a stop: the importer accepts other spellings too.
                "error_type": "warning",
                "error_message": column.choices_message[:255],
            })
    sheet.freeze_panes(1, 0)
    # Each cell carries its column's format: a cell edited later stays text.
    for number, row in enumerate(rows, start=1):
        for index, cell in enumerate(row):
            if cell is not None:
                sheet.write_string(number, index, cell, safe(index, cell))
    workbook.close()
    return buffer.getvalue()
