"""How far a sheet's cells reach, and the limits that reach must respect.

python-calamine builds a dense grid spanning the first to the last cell of a
sheet, about 32 bytes per grid cell, before it returns anything. One value
at ``XFD1048576`` next to one at ``A1`` asks for 512 GiB and the allocation
failure aborts the interpreter. The format-specific scanners
(:mod:`~upflow_import.readers.reach_xlsx`, ``reach_xlsb``, ``reach_ods``,
``reach_xls``) find the reach of the cells before calamine reads them; this
module holds what they share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import attrs

from upflow_import.errors import FileTooLargeError, UnreadableFileError
from upflow_import.limits import Limits

__all__ = ["MAX_TAG", "Reach", "check_reach", "column_index", "iter_tags"]

#: Longest tag the XML walks accept; no spreadsheet writer comes near it.
MAX_TAG = 1024 * 1024


@attrs.define
class Reach:
    """The rectangle of the cells holding a value (0-based, inclusive); empty at first."""

    first_row: int = -1
    last_row: int = -1
    first_column: int = -1
    last_column: int = -1

    @property
    def empty(self) -> bool:
        return self.last_row < 0

    def add(self, row: int, column: int) -> None:
        """Extend the rectangle to the cell at ``row``, ``column``."""
        if self.last_row < 0:
            self.first_row = self.last_row = row
            self.first_column = self.last_column = column
            return
        if row < self.first_row:
            self.first_row = row
        elif row > self.last_row:
            self.last_row = row
        if column < self.first_column:
            self.first_column = column
        elif column > self.last_column:
            self.last_column = column

    def add_block(self, row: int, column: int, rows: int, columns: int) -> None:
        """Extend the rectangle to a block of ``rows`` × ``columns`` cells from ``row``, ``column``."""
        self.add(row, column)
        self.add(row + rows - 1, column + columns - 1)

    @property
    def cells(self) -> int:
        """Cells in the rectangle, empty ones included."""
        if self.empty:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


def check_reach(reach: Reach, limits: Limits) -> None:
    """Raise ``file.too_large`` when ``reach`` (a rectangle from the sheet's first cell, so
    that leading empty rows and columns count) is beyond ``limits``.

    A sheet's rows are its header and ``max_rows`` data rows; its columns at
    most ``max_columns``; its rectangle at most ``max_cells``.
    """
    if reach.empty:
        return
    columns = reach.last_column + 1
    rows = reach.last_row + 1
    if columns > limits.max_columns:
        raise FileTooLargeError.from_code("file.too_large", limit="max_columns", actual=columns,
                                   maximum=limits.max_columns)
    if rows > limits.max_rows + 1:
        raise FileTooLargeError.from_code("file.too_large", limit="max_rows", actual=rows - 1,
                                   maximum=limits.max_rows)
    if reach.cells > limits.max_cells:
        raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=reach.cells,
                                   maximum=limits.max_cells)


def column_index(letters: str) -> int:
    """The 0-based index of the column named ``letters`` (``A`` → 0, ``AB`` → 27)."""
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def iter_tags(chunks: Iterable[bytes], tag: re.Pattern[bytes], tag_start: re.Pattern[bytes],
              part: str) -> Iterator[re.Match[bytes]]:
    """The matches of ``tag`` in XML inflated chunk by chunk, tags cut between chunks included.

    ``tag`` must match whole tags (``<`` to ``>``, quoted attribute values
    respected); ``tag_start`` matches the beginning of such a tag, so that an
    unfinished one longer than :data:`MAX_TAG` is ``file.corrupt`` rather than
    a buffer growing without bound.
    """
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk if carry else chunk
        end = 0
        for match in tag.finditer(buffer):
            end = match.end()
            yield match
        # An unfinished tag cannot contain "<": it starts at the last one.
        start = buffer.rfind(b"<", end)
        carry = buffer[start:] if start >= 0 else b""
        if len(carry) > MAX_TAG:
            if tag_start.match(carry):
                raise UnreadableFileError.from_code("file.corrupt", detail=f"a tag of {part} is too long")
            carry = b""
