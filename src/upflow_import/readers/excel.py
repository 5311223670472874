"""Workbooks (XLSX, XLSM, XLSB, XLS, ODS) through python-calamine, after the safety checks.

Order of work, so that calamine only ever sees a file whose cost is bounded:

1. zip-based files: the archive checks of :mod:`~upflow_import.readers.archive`;
   the XLSX shared strings' announced count (calamine reserves room for it, and
   tries its XLSX reader on XLSB and ODS files too);
   ODS: the reach of every table (calamine reads them all on opening);
   XLS: the reach of every sheet (same reason), see
   :mod:`~upflow_import.readers.reach_xls`;
2. calamine opens the workbook (XLSX/XLSB: shared strings and styles only);
3. the sheet is chosen: ``sheet=`` by name (exact, else ignoring case and
   surrounding spaces), else the first visible worksheet;
4. XLSX/XLSB: the reach of that sheet's cells, in the part calamine reads
   for it, found as calamine finds it (a workbook whose parts cannot be read
   that way is ``file.corrupt``), see :mod:`~upflow_import.readers.reach_xlsx`
   and ``reach_xlsb``;
5. calamine reads the sheet once; its rows become text (see
   :mod:`~upflow_import.cells`) and are kept in the table.

Rows: the header is the first non-blank row (row 1 in a well-made file; if
the sheet starts lower, its real row number is kept, as every row keeps the
number Excel shows), or the first from row ``header_row`` on when it is
given. Blank rows are skipped. Title rows over the header are
``header.title_row`` (see :func:`~upflow_import.readers.headers.title_rows`).

Every calamine exception becomes an :class:`~upflow_import.UpflowImportError`:
``PasswordError`` is ``file.password_protected``, anything else
``file.corrupt`` with calamine's message as detail.
"""

from __future__ import annotations

import io
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager

from python_calamine import (
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from upflow_import.cells import numbered_texts
from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.issues import quoted_list
from upflow_import.limits import Limits
from upflow_import.readers.archive import open_archive
from upflow_import.readers.headers import (
    MAX_TITLE_ROWS,
    check_header_row,
    check_title_rows,
    column_letter,
    layout_headers,
)
from upflow_import.readers.reach_ods import check_ods_tables
from upflow_import.readers.reach_xls import check_xls
from upflow_import.readers.reach_xlsb import binary_sheet_entry, check_binary_worksheet
from upflow_import.readers.reach_xlsx import (
    check_shared_strings,
    check_string_copies,
    check_worksheet,
    sheet_entry,
)
from upflow_import.readers.sniff import Kind
from upflow_import.table import Row, Table

__all__ = ["read_workbook"]



def read_workbook(data: bytes, kind: Kind, *, sheet: str | None, limits: Limits,
                  name: str | None = None, header_row: int | None = None) -> Table:
    """Read one sheet of workbook ``data`` (already sniffed as ``kind``) into a table."""
    header_row = check_header_row(header_row)
    archive = None
    if kind in ("xlsx", "xlsb", "ods"):
        archive = open_archive(data, limits)
        # calamine tries its XLSX reader first on every zip, and it reads the shared strings
        # before it finds out the file is XLSB or ODS (found by fuzzing).
        check_shared_strings(archive, limits)
        if kind == "ods":
            check_ods_tables(archive, limits)
    elif kind == "xls":
        check_xls(data, limits)
    with _calamine_errors():
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    chosen = _choose_sheet(workbook, sheet)
    if archive is not None and kind == "xlsx":
        part = sheet_entry(archive, chosen)
        check_worksheet(archive, part, limits)
        check_string_copies(archive, part, limits)
    elif archive is not None and kind == "xlsb":
        check_binary_worksheet(archive, binary_sheet_entry(archive, chosen), limits)
    with _calamine_errors():
        calamine_sheet = workbook.get_sheet_by_name(chosen)
        start = calamine_sheet.start
        offset = start[1] if start is not None else 0
        numbers, rows = numbered_texts(calamine_sheet.iter_rows(), limits.max_cell_chars)
        del calamine_sheet  # calamine's copy of the cells
    return _table(numbers, rows, offset, kind=kind, sheet=chosen, limits=limits, name=name,
                  header_row=header_row)


@contextmanager
def _calamine_errors() -> Iterator[None]:
    """Turn whatever calamine raises into an :class:`~upflow_import.UpflowImportError`."""
    try:
        yield
    except UpflowImportError:
        raise
    except PasswordError:
        raise UnreadableFileError.from_code("file.password_protected") from None
    except MemoryError:
        raise FileTooLargeError.from_code("file.too_large", limit="memory", actual="?", maximum="?") from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as error:  # Rust panics surface as BaseException subclasses
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise UnreadableFileError.from_code("file.corrupt", detail=detail) from None


def _choose_sheet(workbook: CalamineWorkbook, wanted: str | None) -> str:
    metadata = workbook.sheets_metadata
    worksheets = [meta for meta in metadata if meta.typ == SheetTypeEnum.WorkSheet] or list(metadata)
    names = [meta.name for meta in worksheets]
    if wanted is None:
        visible = [meta.name for meta in worksheets if meta.visible == SheetVisibleEnum.Visible]
        if not names:
            raise UnreadableFileError.from_code("file.empty")
        return (visible or names)[0]
    if wanted in names:
        return wanted
    loose = [name for name in names if name.strip().casefold() == wanted.strip().casefold()]
    if len(loose) == 1:
        return loose[0]
    raise UnreadableFileError.from_code("file.sheet_not_found", sheet=wanted,
                                 sheets=quoted_list(names))


def _table(numbers: list[int], rows: list[tuple[str | None, ...]], offset: int, *, kind: Kind, sheet: str,
           limits: Limits, name: str | None, header_row: int | None) -> Table:
    if header_row is not None:
        above = bisect_left(numbers, header_row)
        del numbers[:above], rows[:above]
    if not rows:
        raise UnreadableFileError.from_code("file.empty")
    header = rows[0]
    if header_row is None:
        check_title_rows(rows[:MAX_TITLE_ROWS + 1], numbers)
    data = rows[1:]
    del rows[1:]
    if len(data) > limits.max_rows:
        raise FileTooLargeError.from_code("file.too_large", limit="max_rows", actual=len(data),
                                   maximum=limits.max_rows)
    lengths = set(map(len, data))
    width = max(len(header), *lengths) if lengths else len(header)

    def has_data(index: int) -> bool:
        return any(index < len(values) and values[index] is not None for values in data)

    padded_header = [*header, *([None] * (width - len(header)))]
    layout = layout_headers(padded_header, position=lambda index: column_letter(offset + index),
                            has_data=has_data)
    if len(layout.names) > limits.max_columns:
        raise FileTooLargeError.from_code("file.too_large", limit="max_columns", actual=len(layout.names),
                                   maximum=limits.max_columns)
    sources = layout.sources
    if sources != tuple(range(width)) or lengths != {width}:
        data = [_project(values, sources) for values in data]
    built = list(map(Row, numbers[1:], data))
    return Table(format=kind, headers=layout.names, rows=built, sheet=sheet, issues=layout.issues,
                 name=name)


def _project(values: tuple[str | None, ...], sources: tuple[int, ...]) -> tuple[str | None, ...]:
    """The cells of ``values`` at ``sources`` (``None`` past the row's end)."""
    size = len(values)
    return tuple(values[index] if index < size else None for index in sources)
