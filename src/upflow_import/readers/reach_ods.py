"""ODS spreadsheets: how far their cells reach, found before calamine reads them.

calamine reads every table of ``content.xml`` when it opens the file, so
every table is checked, and their sizes add up. Repetition attributes are
what makes a few bytes expensive (``table:number-columns-repeated`` and
``table:number-rows-repeated`` may say 999,999,999, see the corpus file
``issue_594_dos.ods``); calamine expands them, as the walk below accounts for
them:

- in a row, the cells up to the last one holding a value are stored one by
  one, repeated cells included (a trailing run of empty cells is not);
  that width must stay within :attr:`Limits.max_columns`;
- a row holding a value is stored once per repetition; empty rows between
  such rows are stored too, so the rectangle from the first to the last row
  holding a value counts, with its repetitions, against ``max_rows`` and
  ``max_cells``.

A cell holds a value when it has a value type, a value or a formula, as in
calamine. Only the ``table:`` prefix is recognised, as in calamine.

``content.xml`` must also be well-formed XML without a DTD (checked by expat
on the same chunks), else the file is ``file.corrupt``: calamine reads a
table until its closing tag and loops forever when the file ends first (a
1.5 KB file with ``</ta_ble:table>`` hung the interpreter; found by fuzzing).
Every spreadsheet program writes well-formed XML.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.parsers import expat

from upflow_import.errors import FileTooLargeError, UnreadableFileError
from upflow_import.limits import Limits
from upflow_import.readers.archive import stream_entry
from upflow_import.readers.reach import Reach, check_reach, iter_tags

__all__ = ["check_ods_tables"]

_TAG = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_TAG_START = re.compile(rb"<table:(?:table|table-row|table-cell|covered-table-cell)[\s/>]")
_ROWS_REPEATED = re.compile(rb"\btable:number-rows-repeated\s*=\s*[\"'](\d+)[\"']")
_COLUMNS_REPEATED = re.compile(rb"\btable:number-columns-repeated\s*=\s*[\"'](\d+)[\"']")
_HOLDS_VALUE = re.compile(
    rb"\b(?:office:(?:value-type|value|string-value|date-value|time-value|boolean-value)|table:formula)\s*=")


def check_ods_tables(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Raise ``file.too_large`` when a table of ``content.xml`` reaches beyond ``limits``,
    or when all of them together hold more than ``limits.max_cells`` cells."""
    total = 0  # cells of the tables already finished
    stored = 0  # cells calamine stores while it reads rows, before it builds the rectangles
    table = Reach()
    row = 0
    row_repeats = 1
    width = pending = 0
    row_first = row_last = -1
    chunks = _well_formed(stream_entry(archive, "content.xml"))
    for match in iter_tags(chunks, _TAG, _TAG_START, "content.xml"):
        closing, name, attributes = match.groups()
        if name == b"table":
            if closing:
                total += _finish(table, limits, total)
            table = Reach()
            row = 0
            continue
        if name == b"table-row":
            if closing:
                if row_last >= 0:
                    table.add_block(row, row_first, row_repeats, row_last - row_first + 1)
                row += row_repeats
                continue
            row_repeats = _number(_ROWS_REPEATED, attributes)
            width = pending = 0
            row_first = row_last = -1
            if attributes.endswith(b"/"):
                row += row_repeats
            continue
        if closing:
            continue
        repeats = _number(_COLUMNS_REPEATED, attributes)
        # calamine stores a run of empty cells only once a later cell follows it.
        width += pending
        stored += pending
        pending = 0
        if _HOLDS_VALUE.search(attributes):
            if row_first < 0:
                row_first = width
            width += repeats
            stored += repeats
            row_last = width - 1
        else:
            pending = repeats
        if stored > limits.max_cells:
            raise FileTooLargeError.of("file.too_large", limit="max_cells", actual=f"> {stored}",
                                       maximum=limits.max_cells)
    _finish(table, limits, total)


def _finish(table: Reach, limits: Limits, total: int) -> int:
    """Check one table and the running total; return the table's cells."""
    check_reach(table, limits)
    if total + table.cells > limits.max_cells:
        raise FileTooLargeError.of("file.too_large", limit="max_cells", actual=total + table.cells,
                                   maximum=limits.max_cells)
    return table.cells


def _well_formed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks of ``content.xml``, checked by expat as they pass: ``file.corrupt`` at the first
    sign that the XML is not well-formed or declares a DTD."""
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise UnreadableFileError.of("file.corrupt", detail="content.xml declares a DTD")

    parser.StartDoctypeDeclHandler = refuse
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield chunk
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise UnreadableFileError.of("file.corrupt", detail=f"content.xml is not well-formed XML "
                                     f"({expat.ErrorString(error.code)}, line {error.lineno})") from None
    except (LookupError, ValueError):  # an unknown declared encoding, undecodable bytes
        raise UnreadableFileError.of("file.corrupt", detail="content.xml cannot be decoded") from None


def _number(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    match = pattern.search(attributes)
    return int(match[1]) if match is not None else 1
