"""Spreadsheet cell values as the text a person typed.

python-calamine gives ``str``, ``int``, ``float``, ``bool``, ``datetime``,
``date``, ``time`` and ``timedelta`` values. They become text so that every
format reads the same way:

- text loses its surrounding whitespace (non-breaking spaces included);
  empty text is ``None``;
- whole floats lose their ``.0`` (``75001.0`` → ``'75001'``); other floats
  keep 15 significant digits, which is what Excel stores and shows, so binary
  noise never appears (``0.1 + 0.2`` → ``'0.3'``), and no exponent from
  1e-10 to 1e21 (``1e-05`` → ``'0.00001'``); beyond, an exponent keeps the
  text short;
- booleans are ``'1'`` and ``'0'``;
- dates are ISO ``YYYY-MM-DD``; a date with a time of day is
  ``YYYY-MM-DD HH:MM:SS``; a time is ``HH:MM:SS``; a duration is ``H:MM:SS``;
- error cells (``#N/A``, ``#DIV/0!``…) come out of python-calamine as empty
  text, so they are ``None``: the formula's value is unknown, and an empty
  cell never erases a stored value.
"""

from __future__ import annotations

import datetime
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import compress, count, islice
from typing import Any

from upflow_import.errors import FileTooLargeError

__all__ = ["cell_text", "numbered_texts", "record_cell_text", "texts_of_rows"]

# Below 10**15 a whole float is exact and Excel shows all its digits.
_EXACT_INTEGERS = 1e15
# Rows converted at a time: enough for map and zip to pay, few enough to stay small.
_BLOCK = 1024


def cell_text(value: object) -> str | None:
    """The text of one cell value, ``None`` when it is empty."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, int):
        return str(value)
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return _datetime_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.timedelta):
        return _duration_text(value)
    text = str(value).strip()
    return text or None


def texts_of_rows(rows: Iterable[list[Any]], max_cell_chars: int) -> list[tuple[int, tuple[str | None, ...]]]:
    """Every non-blank row of a sheet as text, with its row number (the first row is 1).

    Raises ``file.too_large`` for a cell longer than ``max_cell_chars``.
    """
    numbers, texts = numbered_texts(rows, max_cell_chars)
    return list(zip(numbers, texts, strict=True))


def numbered_texts(rows: Iterable[list[Any]],
                   max_cell_chars: int) -> tuple[list[int], list[tuple[str | None, ...]]]:
    """:func:`texts_of_rows` as two lists: the row numbers, and the rows' texts.

    The rows are converted a block at a time, column by column: a column is
    usually all text (or all numbers), so whole columns go through ``map`` and
    one comprehension instead of a test per cell, and ``zip`` turns them back
    into rows. A block whose rows differ in length takes the row-by-row way;
    the result is the same.
    """
    known: dict[float, str] = {}
    numbers: list[int] = []
    kept: list[tuple[str | None, ...]] = []
    source = iter(rows)
    first = 1
    while block := list(islice(source, _BLOCK)):
        size = len(block)
        width = len(block[0])
        if width and all(len(values) == width for values in block):
            columns = [_texts(column, known) for column in zip(*block, strict=True)]
            # A column's whole text within the limit is the cheap proof that no cell is over it.
            too_long = any(len("".join(filter(None, column))) > max_cell_chars
                           and _longest(column) > max_cell_chars for column in columns)
            texts = list(zip(*columns, strict=True))
            del columns
        else:
            texts = [tuple(_texts(values, known)) for values in block]
            too_long = any(_longest(values) > max_cell_chars for values in texts)
        del block
        filled = list(map(any, texts))
        if too_long:
            _check_lengths(texts, filled, first, max_cell_chars)
        numbers.extend(compress(range(first, first + size), filled))
        kept.extend(compress(texts, filled))
        first += size
    return numbers, kept


def _texts(values: Iterable[Any], known: dict[float, str]) -> list[str | None]:
    """The texts of ``values``: text, by far the most common value, is stripped by ``map``;
    each distinct float is formatted once (postal codes and payment terms repeat)."""
    try:
        return [text or None for text in map(str.strip, values)]
    except TypeError:  # not all text
        pass
    known_text = known.get

    def convert(value: float) -> str:
        text = known[value] = _float_text(value)
        return text

    return [(value.strip() or None) if value.__class__ is str
            else (known_text(value) or convert(value)) if value.__class__ is float
            else cell_text(value)
            for value in values]


def _longest(texts: Iterable[str | None]) -> int:
    return max(map(len, filter(None, texts)), default=0)


def _check_lengths(texts: list[tuple[str | None, ...]], filled: list[bool], first: int,
                   max_cell_chars: int) -> None:
    """Raise ``file.too_large`` for the first row of ``texts`` holding a cell too long."""
    for number, values, kept in zip(count(first), texts, filled):
        if kept:
            _check_length(values, number, max_cell_chars)


def _check_length(texts: Sequence[str | None], number: int, max_cell_chars: int) -> None:
    longest = max(map(len, filter(None, texts)))
    if longest > max_cell_chars:
        raise FileTooLargeError.from_code("file.too_large", row=number, limit="max_cell_chars",
                                          actual=longest, maximum=max_cell_chars)


def _float_text(number: float) -> str:
    if number.is_integer() and -_EXACT_INTEGERS < number < _EXACT_INTEGERS:
        return str(int(number))
    if not math.isfinite(number):
        return str(number)
    text = format(number, ".15g")
    if "e" in text and 1e-10 <= abs(number) < 1e21:
        text = format(Decimal(text), "f")
    return text


def _duration_text(duration: datetime.timedelta) -> str:
    seconds = round(duration.total_seconds())
    sign = "-" if seconds < 0 else ""
    minutes, second = divmod(abs(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{sign}{hours}:{minute:02d}:{second:02d}"


def _datetime_text(moment: datetime.datetime) -> str:
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0 and moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.isoformat(sep=" ", timespec="seconds")


_MISSING_TYPES = frozenset({"NAType", "NaTType"})
_UNFLATTENED = (bytes, bytearray, memoryview, Mapping, list, tuple, set, frozenset)


def record_cell_text(value: object, *, row: int | None = None, column: object = None) -> str | None:
    """The text of a Python value held in a record, ``None`` when it is empty (see the module's rules).

    >>> [record_cell_text(v) for v in (1001.0, 0.1 + 0.2, True, None, float("nan"), " Acme ")]
    ['1001', '0.3', '1', None, None, 'Acme']
    """
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return cell_text(value)
    if isinstance(value, float):
        return None if math.isnan(value) else cell_text(value)
    if cls.__name__ in _MISSING_TYPES:
        return None
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta | str | int):
        return cell_text(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, enum.Enum):
        return record_cell_text(value.value, row=row, column=column)
    if cls.__module__ == "numpy":
        return record_cell_text(_numpy_value(value), row=row, column=column)
    if isinstance(value, _UNFLATTENED):
        where = "" if row is None else f" (row {row}, column {column!r})"
        raise TypeError(f"read_records(): a {cls.__name__} is not a cell value{where}; "
                        "turn it into text (or one column per item) first")
    return cell_text(str(value))


def _decimal_text(number: Decimal) -> str | None:
    if number.is_nan():
        return None
    if not number.is_finite():
        return str(number)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _numpy_value(value: Any) -> object:
    """A numpy scalar as the Python value it stands for (dates to the microsecond)."""
    kind = value.__class__.__name__
    if kind in ("datetime64", "timedelta64"):
        return None if str(value) == "NaT" else value.astype(f"{kind}[us]").item()
    return value.item()
