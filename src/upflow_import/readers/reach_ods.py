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
calamine. Only the ``table:`` prefix is recognised, as in calamine (it
compares whole names). The XML is read as in
:mod:`~upflow_import.readers.xml_tags` (attributes as calamine's scanner reads
them, no comments, CDATA or processing instructions) and the tables as
calamine walks them: a table without ``table:name`` is not read, a row holds
only cells, and nothing of a cell's content counts (calamine skips it), except
that a table, row or cell inside a cell is ``file.corrupt``. Refused as well:
a repetition count that is not plain decimal digits (calamine also reads
``+5``, and ``&#53;`` in a row's count), a repeated attribute.

A value is copied once per repetition of its cell and of its row: the bytes of
each cell holding a value (an upper bound of its text and formula; a
``<text:s text:c="n"/>`` counts for ``n`` spaces, which calamine writes out),
times its repetitions, count against :attr:`Limits.max_uncompressed_bytes`, so
that a long string repeated over a wide, tall block cannot exhaust memory.

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

import attrs

from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.limits import Limits
from upflow_import.readers.archive import stream_entry
from upflow_import.readers.reach import Reach, check_reach
from upflow_import.readers.xml_tags import attributes, corrupt, parse_tag, read_whole, tokens, xml_regions

__all__ = ["check_ods_tables"]

_PART = "content.xml"
_TABLE, _ROW = b"table:table", b"table:table-row"
_CELLS = frozenset({b"table:table-cell", b"table:covered-table-cell"})
_SPACES = b"text:s"
# Every tag whose local name matters to calamine's reading of the tables (it compares whole
# names, prefix included; the others are let through and ignored, as calamine ignores them).
_WALKED = tokens(rb"(?!)", b"table|table-row|table-cell|covered-table-cell|s")
_COUNT = re.compile(rb"[1-9][0-9]{0,9}")
_VALUE_KEYS = frozenset({b"office:value-type", b"office:value", b"office:string-value", b"office:date-value",
                         b"office:time-value", b"office:boolean-value", b"table:formula"})
# calamine's states while it reads content.xml.
_OUTSIDE, _IN_TABLE, _IN_ROW, _IN_CELL = range(4)


@attrs.define
class _Row:
    """A row as calamine reads it: its width, the run of empty cells not stored yet (calamine
    stores it only once a later cell holds a value), the first and last columns holding a value,
    the bytes of its values (each one copied once per repetition)."""

    repeats: int
    width: int = 0
    pending: int = 0
    first: int = -1
    last: int = -1
    size: int = 0

    def add(self, repeats: int, holds_value: bool, size: int) -> int:
        """Add a cell; return the cells calamine stores for it."""
        stored = self.pending
        self.width += self.pending
        self.pending = 0
        if not holds_value:
            self.pending = repeats
            return stored
        if self.first < 0:
            self.first = self.width
        self.width += repeats
        self.last = self.width - 1
        self.size += size * repeats
        return stored + repeats


def check_ods_tables(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Raise ``file.too_large`` when a table of ``content.xml`` reaches beyond ``limits``,
    or when all of them together hold more than ``limits.max_cells`` cells; ``file.corrupt``
    when ``content.xml`` is not read exactly as calamine reads it."""
    total = 0  # cells of the tables already finished
    stored = 0  # cells calamine stores while it reads rows, before it builds the rectangles
    copied = 0  # bytes of the values calamine copies into them
    table = Reach()
    state = _OUTSIDE
    row_number = 0
    row = _Row(1)
    cell_name = b""
    cell_start = spaces = cell_repeats = 0
    cell_holds_value = False
    offset = 0  # bytes of content.xml before the region
    chunks = _well_formed(stream_entry(archive, _PART))
    for region in xml_regions(chunks, _PART, tokenized=True):
        for match in read_whole(_WALKED, region, _PART):
            content = match["tag"]
            if content is None:
                continue
            tag = parse_tag(content, _PART)
            name = tag.name
            if state == _OUTSIDE:
                # calamine reads a table only when it is named; it ignores everything else.
                if name == _TABLE and not tag.closing and b"table:name" in attributes(tag.raw, _PART):
                    table = Reach()
                    row_number = 0
                    state = _IN_TABLE
                    if tag.empty:
                        total += _finish(table, limits, total)
                        state = _OUTSIDE
            elif state == _IN_TABLE:
                if name == _TABLE and tag.closing:
                    total += _finish(table, limits, total)
                    state = _OUTSIDE
                elif name == _ROW and not tag.closing:
                    row = _Row(_count(attributes(tag.raw, _PART).get(b"table:number-rows-repeated")))
                    state = _IN_ROW
                    if tag.empty:
                        row_number += row.repeats
                        state = _IN_TABLE
            elif state == _IN_ROW:
                if name == _ROW and tag.closing:
                    if row.last >= 0:
                        table.add_block(row_number, row.first, row.repeats, row.last - row.first + 1)
                    copied += row.size * row.repeats
                    row_number += row.repeats
                    state = _IN_TABLE
                    check_reach(table, limits)  # early: the rectangle only grows
                    continue
                if name not in _CELLS or tag.closing:
                    raise corrupt(_PART, "a table element where a cell should be")
                values = attributes(tag.raw, _PART)
                cell_repeats = _count(values.get(b"table:number-columns-repeated"))
                cell_holds_value = not _VALUE_KEYS.isdisjoint(values)
                if tag.empty:
                    stored += row.add(cell_repeats, cell_holds_value, len(content))
                else:
                    cell_name, cell_start, spaces = name, offset + match.start(), 0
                    state = _IN_CELL
            elif tag.closing and name == cell_name:
                # The cell's bytes bound its value and formula (references only shrink them),
                # <text:s text:c="n"/> is n spaces.
                size = offset + match.start() - cell_start + spaces
                stored += row.add(cell_repeats, cell_holds_value, size)
                state = _IN_ROW
            elif name == _SPACES and not tag.closing:
                spaces += _count(attributes(tag.raw, _PART).get(b"text:c"))
                if spaces > limits.max_uncompressed_bytes:
                    raise _too_large(spaces, limits)
            elif name in _CELLS or name in (_TABLE, _ROW):
                raise corrupt(_PART, "a table element inside a cell")
            if stored > limits.max_cells:
                raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=f"> {stored}",
                                           maximum=limits.max_cells)
            if copied > limits.max_uncompressed_bytes:
                raise _too_large(copied, limits)
        offset += len(region)
    if copied > limits.max_uncompressed_bytes:
        raise _too_large(copied, limits)
    if state != _OUTSIDE:
        raise corrupt(_PART, "a table does not end")


def _count(value: bytes | None) -> int:
    """A repetition count as written in plain decimal digits (1 when absent); calamine also
    reads a sign, and character references in some of them: such a count is ``file.corrupt``."""
    if value is None:
        return 1
    if _COUNT.fullmatch(value) is None:
        raise corrupt(_PART, "a repetition count that is not plain digits")
    return int(value)


def _too_large(actual: int, limits: Limits) -> UpflowImportError:
    return FileTooLargeError.from_code("file.too_large", limit="max_uncompressed_bytes", actual=actual,
                                maximum=limits.max_uncompressed_bytes)


def _finish(table: Reach, limits: Limits, total: int) -> int:
    """Check one table and the running total; return the table's cells."""
    check_reach(table, limits)
    if total + table.cells > limits.max_cells:
        raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=total + table.cells,
                                   maximum=limits.max_cells)
    return table.cells


def _well_formed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks of ``content.xml``, checked by expat as they pass: ``file.corrupt`` at the first
    sign that the XML is not well-formed or declares a DTD."""
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise UnreadableFileError.from_code("file.corrupt", detail="content.xml declares a DTD")

    parser.StartDoctypeDeclHandler = refuse
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield chunk
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise UnreadableFileError.from_code("file.corrupt", detail="content.xml is not well-formed XML "
                                     f"({expat.ErrorString(error.code)}, line {error.lineno})") from None
    except (LookupError, ValueError):  # an unknown declared encoding, undecodable bytes
        raise UnreadableFileError.from_code("file.corrupt", detail="content.xml cannot be decoded") from None
