"""XLSB worksheets: how far their cells reach, found before calamine reads them.

An XLSB sheet is a stream of binary records (MS-XLSB 2.1.4: a 1–2 byte
type and a 1–4 byte size, both 7-bit varints), read here in 1 MiB chunks.
The walk reproduces calamine's own reading, quirks included, because a
crafted file is read the way calamine reads it, not the way the format says:

- calamine first looks for ``BrtWsDim`` (148), then for
  ``BrtBeginSheetData`` (145), skipping some blocks; only the records after
  that are cells;
- every record is read into one reused buffer that is only reallocated when
  a record is larger than it: a record shorter than four bytes leaves the
  end of the previous, longer one in place, and calamine reads its row or
  column from there (measured: a zero-length number record after a row
  header whose row is 5 lands in column 5);
- ``BrtRowHdr`` (0) sets the current row (past 1,048,576 the sheet ends),
  the value records (types 2 to 11: number, error, boolean, real, string,
  shared string and the formula results) carry their column in their first
  four bytes, ``BrtEndSheetData`` (146) ends the sheet. Blank cells hold no
  value and are not stored.

The claimed ``BrtWsDim`` is not trusted (calamine caps what it reserves from
it). Every record is walked, about 1 µs each in Python: slower than the
XLSX fast path, acceptable for a format rarely used for customer lists.

Sheet names map to parts through ``BrtBundleSh`` records of
``xl/workbook.bin`` and its relationships, read as calamine reads them (see
:func:`binary_sheet_entry`); a workbook whose parts cannot be read that way is
refused, never checked on a guess.
"""

from __future__ import annotations

import itertools
import struct
import zipfile
from collections.abc import Iterator

from upflow_import.errors import FileTooLargeError, UpflowImportError
from upflow_import.limits import Limits
from upflow_import.readers.archive import calamine_entry, read_small, stream_entry
from upflow_import.readers.reach import Reach, check_reach
from upflow_import.readers.xml_tags import attributes, corrupt, iter_xml_tags, unescape

__all__ = ["binary_sheet_entry", "binary_worksheet_parts", "check_binary_worksheet"]

_ROW_HEADER = 0x0000
_FIRST_VALUE, _LAST_VALUE = 0x0002, 0x000B
_DIMENSION = 0x0094
_BEGIN_SHEET_DATA = 0x0091
_END_SHEET_DATA = 0x0092
# Blocks calamine skips while it looks for the sheet data: start record → end record.
_SKIPPED_BLOCKS = {0x0085: 0x0086, 0x0025: 0x0026, 0x0186: 0x0187}
_SEEK_DIMENSION, _SEEK_SHEET_DATA, _CELLS = 0, 1, 2
_SHARED_STRING_CELL, _STRING_ITEM = 0x0007, 0x0013
# Bytes of a record's body kept: a shared-string cell's index is at 8 to 12.
_HEAD = 12
_BUNDLE_SHEET = 0x009C
_END_BUNDLE_SHEETS = 0x0090
_LAST_ROW = 0x0010_0000
_U32 = struct.Struct("<I")
_MAX_PART = 16 * 1024 * 1024


def check_binary_worksheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Raise ``file.too_large`` when the cells of XLSB worksheet ``part`` reach beyond ``limits``,
    or when the shared strings they show would make calamine copy more than
    ``limits.max_uncompressed_bytes`` (each cell gets its own copy; a string is bounded by twice
    its record's size, and a cell counts the longest string from its index on)."""
    suffix = _string_bounds(archive, limits)
    reach, copied = _walk(archive, part, suffix)
    check_reach(reach, limits)
    if copied > limits.max_uncompressed_bytes:
        raise FileTooLargeError.from_code("file.too_large", limit="max_uncompressed_bytes", actual=copied,
                                   maximum=limits.max_uncompressed_bytes)


def _string_bounds(archive: zipfile.ZipFile, limits: Limits) -> list[int]:
    """For each shared-string index, a bound of the bytes of the strings from it on."""
    entry = calamine_entry(archive, "xl/sharedStrings.bin")
    if entry is None:
        return []
    content = read_small(archive, entry, limits.max_uncompressed_bytes)
    if content is None:
        raise corrupt(entry, "too large")
    try:
        sizes = [2 * len(record) for kind, record in _records(content) if kind == _STRING_ITEM]
    except IndexError:
        sizes = [2 * len(content)]
    return list(itertools.accumulate(reversed(sizes), max))[::-1] or [0]


def _walk(archive: zipfile.ZipFile, part: str, suffix: list[int]) -> tuple[Reach, int]:
    reach = Reach()
    copied = 0
    # calamine's record buffer: its length and its first twelve bytes.
    buffer_size = 0
    head = b""
    phase = _SEEK_DIMENSION
    skip_until: int | None = None
    row = 0
    for kind, size, first in _stream_records(stream_entry(archive, part)):
        head = first if buffer_size < size else first + head[len(first):]
        buffer_size = max(buffer_size, size)
        if skip_until is not None:
            if kind == skip_until:
                skip_until = None
            continue
        if phase == _SEEK_DIMENSION:
            if kind == _DIMENSION:
                phase = _SEEK_SHEET_DATA
            continue
        if phase == _SEEK_SHEET_DATA:
            if kind == _BEGIN_SHEET_DATA:
                phase = _CELLS
            else:
                skip_until = _SKIPPED_BLOCKS.get(kind)
            continue
        if kind == _ROW_HEADER:
            if len(head) < 4:
                return reach, copied  # calamine fails reading it: nothing is built
            row = _U32.unpack_from(head)[0]
            if row > _LAST_ROW:
                return reach, copied
        elif _FIRST_VALUE <= kind <= _LAST_VALUE:
            if len(head) < 4:
                return reach, copied
            reach.add(row, _U32.unpack_from(head)[0])
            if kind == _SHARED_STRING_CELL and len(head) >= 12:
                index = _U32.unpack_from(head, 8)[0]
                copied += suffix[index] if index < len(suffix) else suffix[0]
        elif kind == _END_SHEET_DATA:
            return reach, copied
    return reach, copied


def _stream_records(chunks: Iterator[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """The records of a stream inflated chunk by chunk: (type, size, the first twelve bytes
    of the body, fewer when it is shorter). An incomplete last record ends the stream."""
    buffer = b""
    position = 0
    skip = 0
    for chunk in chunks:
        if skip >= len(chunk):
            skip -= len(chunk)
            continue
        buffer = buffer[position:] + chunk[skip:]
        skip = 0
        position = 0
        end = len(buffer)
        # A record header takes at most 6 bytes; 12 more give the body's first bytes.
        while position + 6 + _HEAD <= end:
            kind, size, position = _header(buffer, position)
            yield kind, size, buffer[position:position + min(size, _HEAD)]
            position += size
        if position > end:
            skip = position - end
            position = end
    tail = buffer[position:]
    position = 0
    while position < len(tail):
        try:
            kind, size, position = _header(tail, position)
        except IndexError:
            return
        if position + min(size, _HEAD) > len(tail):
            return
        yield kind, size, tail[position:position + min(size, _HEAD)]
        position += size


def _header(data: bytes, position: int) -> tuple[int, int, int]:
    """A record's type and size at ``position``, and where its body starts."""
    kind = data[position]
    position += 1
    if kind & 0x80:
        kind = (kind & 0x7F) | ((data[position] & 0x7F) << 7)
        position += 1
    size = 0
    for shift in (0, 7, 14, 21):
        byte = data[position]
        position += 1
        size |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
    return kind, size, position


def binary_worksheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, ...]] | None:
    """Sheet name → the zip entry calamine reads for it, or ``None`` when the workbook's parts
    cannot be read the way calamine reads them (see :func:`binary_sheet_entry`)."""
    try:
        return {name: (entry,) for name, entry in _sheet_entries(archive).items()}
    except UpflowImportError:
        return None


def binary_sheet_entry(archive: zipfile.ZipFile, sheet: str) -> str:
    """The zip entry calamine reads for ``sheet`` of an XLSB workbook, computed as calamine
    computes it: the ``BrtBundleSh`` records of ``xl/workbook.bin`` (up to
    ``BrtEndBundleShs``) name a relationship of ``xl/_rels/workbook.bin.rels``
    (elements named exactly ``Relationship``), whose target is read after
    ``xl/`` whatever it starts with, and looked up ignoring ASCII case.
    ``file.corrupt`` when a part is missing or unreadable, a relationship id or
    a sheet name appears twice, or a sheet names no relationship."""
    parts = _sheet_entries(archive)
    if sheet not in parts:
        raise corrupt("xl/workbook.bin", f"no part found for the sheet {sheet!r}")
    return parts[sheet]


def _sheet_entries(archive: zipfile.ZipFile) -> dict[str, str]:
    relations = read_small(archive, "xl/_rels/workbook.bin.rels", _MAX_PART)
    workbook_entry = calamine_entry(archive, "xl/workbook.bin")
    if relations is None or workbook_entry is None:
        raise corrupt("xl/workbook.bin", "missing, or its relationships")
    content = read_small(archive, workbook_entry, _MAX_PART)
    if content is None:
        raise corrupt(workbook_entry, "too large")
    targets: dict[str, str] = {}
    part = "xl/_rels/workbook.bin.rels"
    for tag in iter_xml_tags([relations], part):
        if tag.closing or tag.name != b"Relationship":
            continue
        values = attributes(tag.raw, part)
        ident, target = values.get(b"Id"), values.get(b"Target")
        if ident is None or target is None:
            continue
        if b"&" in ident:  # calamine compares ids as written
            raise corrupt(part, "a relationship id with a reference")
        key = unescape(ident, part)
        if key in targets:
            raise corrupt(part, "two relationships with one id")
        targets[key] = "xl/" + unescape(target, part)
    parts: dict[str, str] = {}
    try:
        for kind, record in _records(content):
            if kind == _END_BUNDLE_SHEETS:
                break
            if kind != _BUNDLE_SHEET or _U32.unpack_from(record, 8)[0] == 0xFFFFFFFF:
                continue
            sheet_ident, offset = _wide_string(record, 8)
            name, _ = _wide_string(record, offset)
            path = targets.get(sheet_ident)
            if path is None or name in parts:
                raise corrupt(workbook_entry, f"the sheet {name!r} has no single part")
            entry = calamine_entry(archive, path)
            if entry is None:
                raise corrupt(workbook_entry, f"the part of the sheet {name!r} is missing")
            parts[name] = entry
    except (IndexError, struct.error, UnicodeDecodeError):
        raise corrupt(workbook_entry, "a sheet record is malformed") from None
    return parts


def _records(content: bytes) -> list[tuple[int, bytes]]:
    records = []
    position = 0
    while position < len(content):
        kind, size, position = _header(content, position)
        records.append((kind, content[position:position + size]))
        position += size
    return records


def _wide_string(record: bytes, offset: int) -> tuple[str, int]:
    length = _U32.unpack_from(record, offset)[0]
    start = offset + 4
    if length == 0xFFFFFFFF:
        return "", start
    end = start + 2 * length
    if end > len(record):
        raise IndexError("a sheet name runs past its record")
    return record[start:end].decode("utf-16-le"), end
