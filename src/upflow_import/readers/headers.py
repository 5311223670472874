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
- a first row with exactly one filled cell over a row with several is a
  document title, not a header: ``header.title_row``, raised, since nothing
  can be imported until the title is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from upflow_import.errors import UnreadableFileError
from upflow_import.issues import Issue

__all__ = ["HeaderLayout", "check_title_row", "clean_header", "column_letter", "layout_headers"]

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
                issues.append(Issue.make("header.empty", column=name, position=where))
            unnamed.append(len(names))
        elif header in seen:
            name = _unique(header, used)
            issues.append(Issue.make("header.duplicate", column=header, position=where, renamed_to=name))
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


def check_title_row(first: Sequence[str | None], following: Sequence[str | None] | None, *,
                    row: int) -> None:
    """Raise ``header.title_row`` when ``first`` (the header row, cells already stripped)
    has exactly one filled cell and the next non-blank row ``following`` has several."""
    filled = [cell for cell in first if cell]
    if len(filled) != 1 or following is None:
        return
    if sum(1 for cell in following if cell) >= 2:
        raise UnreadableFileError.of("header.title_row", row=row, value=filled[0])
