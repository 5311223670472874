"""How a table (or the error that stopped the read) travels from the isolated reader to the caller.

One answer is: two lengths of eight bytes each (big-endian: the JSON
document's, the cells'), the JSON document, then the cells. The document holds what is small and
structured (headers, the rows' numbers, issues as plain values, the format,
encoding, separator, sheet and name). The cells are one UTF-8 text, the cells
of every row one after the other joined by a separator character that occurs
in no cell; an empty cell (``None``) is a cell made of one other such
character. The caller splits the text once (C speed, no per-cell decoding),
so the transfer costs little more than the copy; nothing is unpickled, and
every value is checked for its type before a :class:`~upflow_import.Table`
is built.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

from upflow_import import errors
from upflow_import.errors import UnreadableFileError, UpflowImportError
from upflow_import.issues import CATALOGUE, Issue, Severity, Text
from upflow_import.table import Format, Row, Table

__all__ = ["decode_answer", "encode_error", "encode_table"]

_LENGTH = 8
_HEADER = 2 * _LENGTH  # the two lengths
_FORMATS = ("csv", "xlsx", "xls", "xlsb", "ods")
_ERRORS: dict[str, type[UpflowImportError]] = {
    cls.__name__: cls for cls in (errors.UpflowImportError, errors.UnreadableFileError,
                                  errors.FileTooLargeError, errors.MappingError, errors.StoreError)}
# Private-use characters, tried in pairs until neither occurs in any cell.
_MARKERS = [chr(code) for code in range(0xE000, 0xE100)]


# --------------------------------------------------------------------------------------------
# The reader's side.


def encode_table(table: Table) -> list[bytes]:
    """The answer for a table that was read, every row included, as chunks to write in order."""
    rows = list(table.rows)
    cells = list(itertools.chain.from_iterable(row.values for row in rows))
    empty = cells.count(None)
    for separator, none in zip(_MARKERS[::2], _MARKERS[1::2], strict=True):
        text = separator.join(map({None: none}.get, cells, cells) if empty else cells)  # type: ignore[arg-type]
        if text.count(separator) == max(len(cells) - 1, 0) and text.count(none) == empty:
            break
    else:  # 128 pairs of private-use characters all in the cells: refuse rather than guess
        raise ValueError("no separator character is free for the isolated reader's answer")
    document: dict[str, object] = {"table": {
        "format": table.format, "encoding": table.encoding, "delimiter": table.delimiter,
        "sheet": table.sheet, "name": table.name, "headers": table.headers,
        "numbers": [row.number for row in rows], "issues": [_issue_out(issue) for issue in table.issues],
        "separator": separator, "none": none, "empty": empty}}
    # surrogatepass: a lone surrogate read from a workbook arrives as it was read.
    return _framed(document, text.encode("utf-8", "surrogatepass"))


def encode_error(error: UpflowImportError) -> list[bytes]:
    """The answer for a read that raised ``error``."""
    return _framed({"error": {"class": type(error).__name__, "issue": _issue_out(error.issue)}})


def _framed(document: dict[str, object], cells: bytes = b"") -> list[bytes]:
    # ASCII escapes keep any character (a lone surrogate included) intact.
    encoded = json.dumps(document, separators=(",", ":")).encode("ascii")
    return [len(encoded).to_bytes(_LENGTH, "big") + len(cells).to_bytes(_LENGTH, "big"), encoded, cells]


def _size(header: bytes | bytearray | memoryview) -> int:
    """The size of the whole answer that starts with ``header``."""
    document = int.from_bytes(header[:_LENGTH], "big")
    return _HEADER + document + int.from_bytes(header[_LENGTH:_HEADER], "big")


def _issue_out(issue: Issue) -> dict[str, object]:
    hint = issue.custom_hint
    return {"code": issue.code, "severity": issue.severity.value, "row": issue.row, "column": issue.column,
            "field": None if issue.field is None else issue.field.value, "value": issue.value,
            "params": [[key, _param_out(value)] for key, value in issue.params],
            "hint": None if hint is None else [hint.en, hint.fr]}


def _param_out(value: object) -> object:
    if isinstance(value, Text):
        return {"en": value.en, "fr": value.fr}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Sequence):
        return ", ".join(map(str, value))
    return str(value)


# --------------------------------------------------------------------------------------------
# The caller's side.


def decode_answer(answer: bytes | bytearray) -> Table:
    """The table in ``answer``, or raise the error it carries; ``file.corrupt`` when it is malformed."""
    try:
        return _decode(memoryview(answer))
    except UpflowImportError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise UnreadableFileError.from_code("file.corrupt",
                                            detail=f"the isolated reader's answer is malformed: "
                                                   f"{type(error).__name__}") from None


def _decode(answer: memoryview) -> Table:
    if len(answer) < _HEADER or len(answer) != _size(answer[:_HEADER]):
        raise ValueError("truncated")
    length = int.from_bytes(answer[:_LENGTH], "big")
    document = json.loads(bytes(answer[_HEADER:_HEADER + length]))
    if "error" in document:
        error = document["error"]
        cls = _ERRORS.get(error["class"], UpflowImportError)
        raise cls(_issue(error["issue"]))
    table = document["table"]
    headers = tuple(table["headers"])
    numbers = table["numbers"]
    separator, none, empty = table["separator"], table["none"], table["empty"]
    if (type(numbers) is not list or not set(map(type, headers)) <= {str}
            or not set(map(type, numbers)) <= {int} or separator not in _MARKERS or none not in _MARKERS
            or separator == none or type(empty) is not int):
        raise TypeError("table")
    text = str(answer[_HEADER + length:], "utf-8", "surrogatepass")
    width = len(headers)
    total = width * len(numbers)
    if not total and text:
        raise ValueError("cells")
    cells = text.split(separator) if total else []
    del text
    if len(cells) != total:
        raise ValueError("cells")
    if cells.count(none) != empty:
        raise ValueError("empty cells")
    rows = list(map(Row, numbers, _rows_of(cells, none if empty else None, width, len(numbers))))
    table_format = table["format"]
    if table_format not in _FORMATS:
        raise ValueError("format")
    format_: Format = table_format
    return Table(format=format_, headers=headers, rows=rows, encoding=_text(table["encoding"]),
                 delimiter=_text(table["delimiter"]), sheet=_text(table["sheet"]),
                 issues=[_issue(issue) for issue in table["issues"]], name=_text(table["name"]))


def _rows_of(cells: list[str], none: str | None, width: int,
             count: int) -> Iterator[tuple[str | None, ...]]:
    """The rows' values: ``cells`` taken ``width`` at a time, each cell that is ``none`` read as
    ``None``. Lazily and at C speed: the rows are built straight from the split text, without a
    second list of every cell (which cost as much again, mostly in the collector's passes over it)."""
    if not width:
        return itertools.repeat((), count)
    values: Iterator[str | None] = iter(cells) if none is None else map({none: None}.get, cells, cells)
    return zip(*[values] * width, strict=True)


def _text(value: object) -> str | None:
    if value is not None and type(value) is not str:
        raise TypeError("text")
    return value


def _issue(data: dict[str, Any]) -> Issue:
    code = data["code"]
    if code not in CATALOGUE:
        raise ValueError("code")
    number = data["row"]
    if number is not None and type(number) is not int:
        raise TypeError("row")
    params = tuple((str(key), _param_in(value)) for key, value in data["params"])
    hint = data["hint"]
    return Issue(code, Severity(data["severity"]), number, _text(data["column"]), _text(data["field"]),
                 _text(data["value"]), params, None if hint is None else Text(str(hint[0]), str(hint[1])))


def _param_in(value: object) -> object:
    if isinstance(value, dict):
        return Text(str(value["en"]), str(value["fr"]))
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise TypeError("param")
