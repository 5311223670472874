"""The header row: cleaned, unique names, and the title-row check.

Decisions shared by every format:

- a header is cleaned of byte-order marks and zero-width spaces, its
  whitespace runs (line breaks of wrapped Excel headers, non-breaking spaces)
  become one space, and it is stripped;
- a blank header over a column that holds data is ``header.empty``; the
  column is kept under the name ``[C]`` (the letter in a workbook, the
  position in a CSV file, in brackets: a name in no language, as reports are in
  English or French) so that its cells are still reported;
- a blank header over an empty column is dropped silently (in CSV, where rows
  are read lazily, only trailing ones are dropped; a blank header in the
  middle keeps its column and is reported once a row fills it);
- a header seen before is ``header.duplicate`` and renamed ``Email (2)``,
  ``Email (3)``… so that column names stay unique (a mapping refers to
  columns by name);
- header issues are file-level: their ``row`` is ``None`` (the header is not
  a data row), the column's position is the ``position`` parameter;
- title rows over the header (a document title, an export date) are
  ``header.title_row``, raised, since nothing can be imported until they are
  removed or the header row is named (``header_row=``). The message names the
  row that looks like the header. See :func:`title_rows` for what counts as a
  title;
- ``header_row=`` names the header's row (1-based, the number a person sees):
  the rows above it are ignored, and no title row is looked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from upflow_import.errors import UnreadableFileError
from upflow_import.issues import Issue

__all__ = ["MAX_TITLE_ROWS", "HeaderLayout", "check_header_row", "check_title_rows", "clean_header",
           "column_letter", "layout_headers", "title_rows"]

_INVISIBLE = {ord("\ufeff"): None, ord("\u200b"): None, ord("\u2060"): None}


@attrs.frozen
class HeaderLayout:
    """Where each kept column comes from and what is wrong with the header."""

    #: Unique column names, in the file's order.
    names: tuple[str, ...]
    #: For each name, the index of its column in the file's rows.
    sources: tuple[int, ...]
    #: ``header.empty`` and ``header.duplicate`` issues.
    issues: tuple[Issue, ...]
    #: Indexes (into ``names``) of kept columns that have no header.
    unnamed: tuple[int, ...]
    #: Each kept column's position as a person names it (``C`` or ``3``).
    positions: tuple[str, ...]


def clean_header(text: str | None) -> str:
    """The header text without BOM, invisible characters or surrounding and repeated whitespace."""
    if not text:
        return ""
    return " ".join(text.translate(_INVISIBLE).split())


def column_letter(index: int) -> str:
    """Excel's name of the column at 0-based ``index``: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def layout_headers(
    raw: Sequence[str | None],
    *,
    position: Callable[[int], str],
    has_data: Callable[[int], bool] | None = None,
) -> HeaderLayout:
    """Clean the header cells ``raw`` and decide which columns are kept and under what names.

    ``position`` names a column for messages; ``has_data`` tells whether a
    column holds any data (``None`` when unknown, as for CSV read lazily).
    """
    cleaned = [clean_header(cell) for cell in raw]
    last = -1
    for index, header in enumerate(cleaned):
        if header or (has_data is not None and has_data(index)):
            last = index
    used = {header for header in cleaned if header}
    names: list[str] = []
    sources: list[int] = []
    positions: list[str] = []
    issues: list[Issue] = []
    unnamed: list[int] = []
    seen: set[str] = set()
    for index in range(last + 1):
        header = cleaned[index]
        where = position(index)
        if not header:
            if has_data is not None and not has_data(index):
                continue
            name = _unique(f"[{where}]", used)
            if has_data is not None:
                issues.append(Issue.from_code("header.empty", column=name, position=where))
            unnamed.append(len(names))
        elif header in seen:
            name = _unique(header, used)
            issues.append(Issue.from_code("header.duplicate", column=header, position=where, renamed_to=name))
        else:
            name = header
        seen.add(header)
        used.add(name)
        names.append(name)
        sources.append(index)
        positions.append(where)
    return HeaderLayout(tuple(names), tuple(sources), tuple(issues), tuple(unnamed), tuple(positions))


def _unique(base: str, used: set[str]) -> str:
    if base not in used:
        return base
    number = 2
    while f"{base} ({number})" in used:
        number += 1
    return f"{base} ({number})"


#: Title rows looked for above a header: a title, a subtitle, an export date.
MAX_TITLE_ROWS = 3


def check_header_row(header_row: object) -> int | None:
    """``header_row`` as given by a caller, checked: ``None`` or a row number (an ``int`` ≥ 1)."""
    if header_row is None:
        return None
    if isinstance(header_row, bool) or not isinstance(header_row, int):
        raise TypeError(f"header_row must be a row number (an int from 1), not {header_row!r}")
    if header_row < 1:
        raise ValueError(f"header_row must be a row number from 1 (the first row), not {header_row}")
    return header_row


def title_rows(leading: Sequence[Sequence[str | None]]) -> int:
    """How many of the first non-blank rows ``leading`` (cells already cleaned) are title rows
    over the header: 0 when the first row is the header.

    A title block is at most :data:`MAX_TITLE_ROWS` narrow rows above a wider row, the header:

    - one cell over a row of several ("Liste des clients 2024" alone in A1): a title, as
      the article says a file must not start with one;
    - one-cell rows and at most one row of two or three cells ("Export clients",
      "Date : 03/12/2026") over a row that reads like a header (text with letters, not
      starting with a digit, no email address, no value twice), reaches further right than
      that row and has more cells (at least twice as many as a three-cell row). The last
      such row of the block is the header.

    Two rows of several cells in a row read like a small table, and a header with a blank
    between its names over a row as wide is a header with an unnamed column, not a title.
    """
    filled = [sum(1 for cell in row if cell) for row in leading]
    header = 0
    for index in range(1, min(len(leading), MAX_TITLE_ROWS + 1)):
        above = filled[:index]
        several = [position for position, count in enumerate(above) if count > 1]
        if max(above) > 3 or len(several) > 1:
            break  # a wide row, or a small table, is above: the header is found
        width = filled[index]
        if width <= max(above):
            continue
        wide = leading[several[0]] if several else None
        if _reads_like_header(leading[index]) and (wide is None or (
                _span(wide) < _span(leading[index]) and (max(above) < 3 or width >= 2 * max(above)))):
            header = index  # a later, wider row may still be the header ("Date", "03/12" over it)
        elif index == 1 and max(above) == 1:
            header = 1  # one cell over several, whatever follows
    return header


def _span(row: Sequence[str | None]) -> int:
    """The position after the last filled cell of ``row``."""
    return max((index + 1 for index, cell in enumerate(row) if cell), default=0)


def _reads_like_header(row: Sequence[str | None]) -> bool:
    cells = [cell for cell in row if cell]
    return len(set(cells)) == len(cells) and all(
        any(character.isalpha() for character in cell) and "@" not in cell and not cell[0].isdigit()
        for cell in cells)


def check_title_rows(leading: Sequence[Sequence[str | None]], numbers: Sequence[int]) -> None:
    """Raise ``header.title_row`` when the first rows ``leading`` (numbered ``numbers``) begin
    with title rows (see :func:`title_rows`), naming the row that looks like the header."""
    titles = title_rows(leading)
    if titles:
        value = " | ".join(cell for cell in leading[0] if cell)
        raise UnreadableFileError.from_code("header.title_row", row=numbers[0], value=value,
                                     header_row=numbers[titles])
