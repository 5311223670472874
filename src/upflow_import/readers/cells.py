"""Spreadsheet cell values as the text a person typed.

python-calamine gives ``str``, ``int``, ``float``, ``bool``, ``datetime``,
``date``, ``time`` and ``timedelta`` values. They become text so that every
format reads the same way:

- text loses its surrounding whitespace (non-breaking spaces included);
  empty text is ``None``;
- whole floats lose their ``.0`` (``75001.0`` → ``'75001'``); other floats
  keep 15 significant digits, which is what Excel stores and shows, so binary
  noise never appears (``0.1 + 0.2`` → ``'0.3'``), and never use an exponent
  (``1e-05`` → ``'0.00001'``);
- booleans are ``'1'`` and ``'0'``;
- dates are ISO ``YYYY-MM-DD``; a date with a time of day is
  ``YYYY-MM-DD HH:MM:SS``; a time is ``HH:MM:SS``; a duration is ``H:MM:SS``;
- error cells (``#N/A``, ``#DIV/0!``…) come out of python-calamine as empty
  text, so they are ``None``: the formula's value is unknown, and an empty
  cell never erases a stored value.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["cell_text", "row_texts"]

# Below 10**15 a whole float is exact and Excel shows all its digits.
_EXACT_INTEGERS = 1e15
_NONE_IF_EMPTY = {"": None}.get


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
        if value.time() == datetime.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.timedelta):
        return _duration_text(value)
    text = str(value).strip()
    return text or None


def row_texts(values: Sequence[object]) -> list[str | None]:
    """:func:`cell_text` of every value of a row, with a fast path for all-text rows."""
    try:
        stripped = list(map(str.strip, values))  # type: ignore[arg-type]
    except TypeError:
        return [cell_text(value) for value in values]
    return list(map(_NONE_IF_EMPTY, stripped, stripped))


def _float_text(number: float) -> str:
    if number.is_integer() and -_EXACT_INTEGERS < number < _EXACT_INTEGERS:
        return str(int(number))
    if not math.isfinite(number):
        return str(number)
    text = format(number, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def _duration_text(duration: datetime.timedelta) -> str:
    seconds = round(duration.total_seconds())
    sign = "-" if seconds < 0 else ""
    minutes, second = divmod(abs(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{sign}{hours}:{minute:02d}:{second:02d}"
