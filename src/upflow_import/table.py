"""The readers' output: a header and rows of raw cell text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Literal

import attrs

from upflow_import.cells import record_cell_text
from upflow_import.issues import Issue

#: The file formats the readers read.
FileFormat = Literal["csv", "xlsx", "xls", "xlsb", "ods"]
#: What a table was read from: a file format, or ``"records"`` for rows given in
#: memory (:func:`~upflow_import.read_records`).
Format = FileFormat | Literal["records"]


@attrs.frozen(slots=True)
class Row:
    """One data row: its number as a person sees it in Excel or a text editor
    (the header is row 1), and its cells aligned with the table's headers."""

    number: int
    values: tuple[str | None, ...]


class Table:
    """A sheet or CSV file as headers and rows of text.

    ``rows`` may be iterated several times; for CSV the rows are produced
    lazily from the bytes each time. ``issues`` lists the reading problems and
    is complete once the rows have been iterated (a CSV row with the wrong
    number of cells is only found when it is read).
    """

    def __init__(
        self,
        *,
        format: Format,
        headers: Sequence[str],
        rows: Iterable[Row] | Callable[[], Iterator[Row]],
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet: str | None = None,
        issues: Iterable[Issue] = (),
        name: str | None = None,
    ) -> None:
        self.format: Format = format
        self.headers: tuple[str, ...] = tuple(headers)
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        #: A display name for the source (the file name when known).
        self.name = name
        self._issues: list[Issue] = list(issues)
        self._row_issue_start = len(self._issues)
        self._rows_factory: Callable[[], Iterator[Row]]
        if callable(rows):
            self._rows_factory = rows
        else:
            materialised = tuple(rows)
            self._rows_factory = lambda: iter(materialised)

    @classmethod
    def from_rows(
        cls,
        headers: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        first_row_number: int = 2,
    ) -> Table:
        """Build a table from Python values, for programmatic imports and tests.

        Text cells are kept as given; any other value becomes the text a
        workbook cell holding it would (``1001`` → ``'1001'``, a date in ISO),
        by the rules of :func:`~upflow_import.read_records`, which is the
        richer way in (mappings, DataFrames, limits).

        >>> table = Table.from_rows(["Nom du client"], [["Acme"], ["Globex"]])
        >>> [row.number for row in table.rows]
        [2, 3]
        """

        width = len(headers)
        built = []
        for offset, values in enumerate(rows):
            number = first_row_number + offset
            cells = tuple(value if value is None or isinstance(value, str)
                          else record_cell_text(value, row=number,
                                                column=headers[index] if index < width else index)
                          for index, value in enumerate(values))
            if len(cells) != width:
                raise ValueError(f"row {offset} has {len(cells)} values for {width} headers")
            built.append(Row(number, cells))
        return cls(format="csv", headers=headers, rows=built)

    @property
    def rows(self) -> Iterator[Row]:
        """A fresh iterator over the data rows; reading issues are collected while it runs."""
        # Issues found while reading rows are replaced on each pass, so that
        # iterating twice does not report a row twice.
        del self._issues[self._row_issue_start:]
        return self._rows_factory()

    @property
    def issues(self) -> list[Issue]:
        return self._issues

    def add_row_issue(self, issue: Issue) -> None:
        """Record a problem found while producing rows (used by the readers)."""
        self._issues.append(issue)

    def __repr__(self) -> str:
        return (f"Table(format={self.format!r}, headers={self.headers!r}, "
                f"encoding={self.encoding!r}, delimiter={self.delimiter!r}, sheet={self.sheet!r})")
