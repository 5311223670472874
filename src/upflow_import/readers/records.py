"""Rows an ETL job already holds — mappings, sequences, a DataFrame, an Arrow table — as a table.

:func:`read_records` is the entry point. Its decisions:

- **What it accepts**, recognised by what the object offers, never by
  importing pandas, polars or pyarrow: a polars DataFrame (``iter_rows`` and
  ``columns``), a pandas DataFrame (``itertuples`` and ``columns``), any
  Arrow-compatible table through the Arrow PyCapsule interface
  (``__arrow_c_stream__``; read with pyarrow, or polars, whichever is
  installed), else an iterable of mappings, or of sequences when ``headers``
  names their columns. A ``str``, ``bytes`` or path is refused: that is a
  file, for :func:`~upflow_import.read_table`.
- **Columns.** With ``headers``, exactly those columns in that order; a
  mapping with a key they do not name raises :class:`ValueError` (data is
  never dropped silently). Without, the keys in the order first seen; a key
  that first appears in a later record adds a column, empty in the records
  before it; a key missing from a record is an empty cell. Headers go through
  the same cleaning as a file's (``header.empty``, ``header.duplicate``).
- **Row numbers** are those of the sheet the records would make under a
  header row: record ``n`` (from 0) is row ``n + 2``. A record whose cells are
  all empty is skipped, as a blank line is, and the numbers do not shift.
- **Cells** become the text a workbook cell of the same value becomes (see
  :mod:`~upflow_import.cells`): ``1001.0`` → ``'1001'``, ``True`` →
  ``'1'``, dates ISO; ``None``, NaN, ``NaT`` and ``pd.NA`` are empty; a
  ``Decimal`` is written in full without trailing zeros (``Decimal('12.50')``
  → ``'12.5'``); numpy scalars as the Python value they stand for; an enum
  member as its value. ``bytes``, mappings, lists, tuples and sets have no
  text a person typed: they raise :class:`TypeError` naming the row and
  column, so that the caller decides how to flatten them. Anything else
  becomes ``str(value)``.
- **Limits** are a file's: ``max_rows``, ``max_columns``, ``max_cell_chars``
  and ``max_cells`` (rows × columns) raise ``file.too_large``, and no records
  at all are ``file.empty``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from upflow_import.cells import cell_text, record_cell_text
from upflow_import.errors import FileTooLargeError, UnreadableFileError
from upflow_import.limits import DEFAULT_LIMITS, Limits
from upflow_import.readers.headers import layout_headers
from upflow_import.table import Row, Table

__all__ = ["read_records"]

# The first record is row 2: the header a sheet of these records would have is row 1.
_FIRST_ROW = 2
# Missing-value markers of pandas and polars, known by their type's name so that neither is imported.


def read_records(
    records: object,
    *,
    headers: Sequence[str] | None = None,
    limits: Limits | None = None,
    name: str | None = None,
) -> Table:
    """Turn rows held in memory into a :class:`~upflow_import.Table`, as a file would be read.

    ``records`` is an iterable of mappings (``{column: value}``), an iterable
    of sequences (then ``headers`` names their columns), a pandas or polars
    DataFrame, or any object implementing the Arrow PyCapsule stream
    interface (a pyarrow ``Table``, a DuckDB relation's Arrow result…).
    ``headers`` fixes the columns and their order; ``limits`` bound the work
    as for a file; ``name`` is how reports name the source. The module
    docstring (``upflow_import.readers.records``) lists every decision.

    >>> table = read_records([{"Customer": "Acme", "Postal code": 75001.0},
    ...                       {"Customer": "Globex", "Active": True}])
    >>> table.format, table.headers
    ('records', ('Customer', 'Postal code', 'Active'))
    >>> [(row.number, row.values) for row in table.rows]
    [(2, ('Acme', '75001', None)), (3, ('Globex', None, '1'))]
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(records, str | bytes | bytearray | memoryview | os.PathLike):
        raise TypeError("read_records() takes rows (mappings, sequences or a DataFrame); "
                        "read a file with read_table()")
    columns, rows = _columns_and_rows(records, headers)
    return _table(columns, rows, limits=limits, name=name)


def _columns_and_rows(records: object, headers: Sequence[str] | None
                      ) -> tuple[list[object] | None, Iterator[Sequence[object] | Mapping[Any, object]]]:
    """The column names when the source declares them (``None``: taken from mapping keys), and its rows."""
    if headers is not None:
        headers = list(headers)
    if _has(records, "iter_rows", "columns"):  # polars
        frame: Any = records
        return _frame_columns(frame.columns, headers), frame.iter_rows()
    if _has(records, "itertuples", "columns"):  # pandas
        frame = records
        return _frame_columns(list(frame.columns), headers), frame.itertuples(index=False, name=None)
    if hasattr(records, "__arrow_c_stream__"):
        names, batches = _arrow_rows(records)
        return _frame_columns(names, headers), batches
    if not isinstance(records, Iterable):
        raise TypeError(f"read_records() cannot read a {type(records).__name__}: give an iterable of "
                        "mappings or sequences, a DataFrame or an Arrow table")
    source = iter(records)
    first = next(source, None)
    if first is None:
        return (None if headers is None else list(headers)), iter(())
    rest = chain((first,), source)
    if isinstance(first, Mapping):
        return (None if headers is None else list(headers)), rest
    if isinstance(first, str | bytes) or not isinstance(first, Sequence):
        raise TypeError(f"read_records(): each record must be a mapping or a sequence, not a "
                        f"{type(first).__name__}")
    if headers is None:
        raise TypeError("read_records(): records given as sequences need headers=[...] naming their columns")
    return list(headers), rest


def _has(value: object, *names: str) -> bool:
    return all(hasattr(value, attribute) for attribute in names)


def _frame_columns(names: Sequence[object], headers: list[str] | None) -> list[object]:
    if headers is not None and len(headers) != len(names):
        raise ValueError(f"headers names {len(headers)} columns, the table has {len(names)}")
    return list(names) if headers is None else list(headers)


def _arrow_rows(stream: object) -> tuple[list[str], Iterator[Sequence[object]]]:
    """Column names and rows of an object exporting an Arrow C stream, read by pyarrow or polars."""
    pyarrow = _optional("pyarrow")
    if pyarrow is not None:
        table = pyarrow.table(stream)
        names = [str(column) for column in table.column_names]
        rows = (tuple(record.values()) for batch in table.to_batches() for record in batch.to_pylist())
        return names, rows
    polars = _optional("polars")
    if polars is None:
        raise TypeError("read_records(): this object is an Arrow table; reading it needs pyarrow or "
                        "polars installed (pip install pyarrow)")
    frame = polars.DataFrame(stream)
    return list(frame.columns), frame.iter_rows()


def _optional(module: str) -> Any:
    """An optional library, or ``None`` when it is not installed (never a dependency of this one)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _table(columns: list[object] | None, rows: Iterator[Sequence[object] | Mapping[Any, object]], *,
           limits: Limits, name: str | None) -> Table:
    # The column names in order (a DataFrame may repeat one: header.duplicate, as in a file), and
    # where a mapping's key goes.
    names: list[object] = [] if columns is None else list(columns)
    keys: dict[object, int] = {key: index for index, key in reversed(list(enumerate(names)))}
    fixed = columns is not None
    numbers: list[int] = []
    texts: list[list[str | None]] = []
    for offset, record in enumerate(rows):
        if offset >= limits.max_rows:
            raise FileTooLargeError.from_code("file.too_large", limit="max_rows", actual=limits.max_rows + 1,
                                       maximum=limits.max_rows)
        number = _FIRST_ROW + offset
        if isinstance(record, Mapping):
            cells: list[str | None] = [None] * len(names)
            for key, value in record.items():
                index = keys.get(key)
                if index is None:
                    if fixed:
                        raise ValueError(f"read_records(): row {number} has the key {key!r}, which headers "
                                         "does not name; add it to headers or remove it from the records")
                    index = keys[key] = len(names)
                    names.append(key)
                    if index >= limits.max_columns:
                        raise FileTooLargeError.from_code("file.too_large", limit="max_columns",
                                                          actual=index + 1, maximum=limits.max_columns)
                    cells.append(None)
                cells[index] = _cell(value, number, key, limits)
        elif isinstance(record, str | bytes) or not isinstance(record, Sequence | Iterable):
            raise TypeError(f"read_records(): row {number} is a {type(record).__name__}, "
                            "not a mapping or a sequence")
        else:
            values = tuple(record)
            if len(values) != len(names):
                raise ValueError(f"read_records(): row {number} has {len(values)} values for "
                                 f"{len(names)} columns")
            cells = [_cell(value, number, column, limits)
                     for value, column in zip(values, names, strict=True)]
        if any(cell is not None for cell in cells):
            numbers.append(number)
            texts.append(cells)
    header_keys = names
    if not header_keys:
        raise UnreadableFileError.from_code("file.empty")
    width = len(header_keys)
    if width > limits.max_columns:
        raise FileTooLargeError.from_code("file.too_large", limit="max_columns", actual=width,
                                   maximum=limits.max_columns)
    if len(texts) * width > limits.max_cells:
        raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=len(texts) * width,
                                   maximum=limits.max_cells)
    raw_headers = [key if isinstance(key, str) else cell_text(key) for key in header_keys]

    def has_data(index: int) -> bool:
        return any(index < len(cells) and cells[index] is not None for cells in texts)

    layout = layout_headers(raw_headers, position=lambda index: str(index + 1), has_data=has_data)
    sources = layout.sources
    built = [Row(number, tuple(cells[index] if index < len(cells) else None for index in sources))
             for number, cells in zip(numbers, texts, strict=True)]
    return Table(format="records", headers=layout.names, rows=built, issues=layout.issues, name=name)


def _cell(value: object, row: int, column: object, limits: Limits) -> str | None:
    """The text of one record value, as a workbook cell holding it would give."""
    text = record_cell_text(value, row=row, column=column)
    if text is not None and len(text) > limits.max_cell_chars:
        raise FileTooLargeError.from_code("file.too_large", row=row, limit="max_cell_chars", actual=len(text),
                                   maximum=limits.max_cell_chars)
    return text


