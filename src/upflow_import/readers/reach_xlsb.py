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
``workbook.bin`` and its relationships; when they cannot be read, every
worksheet part is checked.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
from collections.abc import Iterator

from upflow_import.limits import Limits
from upflow_import.readers.archive import read_small, stream_entry
from upflow_import.readers.reach import Reach, check_reach
from upflow_import.readers.reach_xlsx import relationship_targets

__all__ = ["binary_worksheet_parts", "check_binary_worksheet"]

_ROW_HEADER = 0x0000
_FIRST_VALUE, _LAST_VALUE = 0x0002, 0x000B
_DIMENSION = 0x0094
_BEGIN_SHEET_DATA = 0x0091
_END_SHEET_DATA = 0x0092
# Blocks calamine skips while it looks for the sheet data: start record → end record.
_SKIPPED_BLOCKS = {0x0085: 0x0086, 0x0025: 0x0026, 0x0186: 0x0187}
_SEEK_DIMENSION, _SEEK_SHEET_DATA, _CELLS = 0, 1, 2
_BUNDLE_SHEET = 0x009C
_LAST_ROW = 0x0010_0000
_U32 = struct.Struct("<I")
_MAX_PART = 16 * 1024 * 1024


def check_binary_worksheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Raise ``file.too_large`` when the cells of XLSB worksheet ``part`` reach beyond ``limits``."""
    check_reach(_walk(archive, part), limits)


def _walk(archive: zipfile.ZipFile, part: str) -> Reach:
    reach = Reach()
    # calamine's record buffer: its length and its first four bytes.
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
                return reach  # calamine fails reading it: nothing is built
            row = _U32.unpack(head)[0]
            if row > _LAST_ROW:
                return reach
        elif _FIRST_VALUE <= kind <= _LAST_VALUE:
            if len(head) < 4:
                return reach
            reach.add(row, _U32.unpack(head)[0])
        elif kind == _END_SHEET_DATA:
            return reach
    return reach


def _stream_records(chunks: Iterator[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """The records of a stream inflated chunk by chunk: (type, size, the first four bytes of
    the body, fewer when it is shorter). An incomplete last record ends the stream."""
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
        # A record header takes at most 6 bytes; 4 more give the body's first bytes.
        while position + 10 <= end:
            kind, size, position = _header(buffer, position)
            yield kind, size, buffer[position:position + min(size, 4)]
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
        if position + min(size, 4) > len(tail):
            return
        yield kind, size, tail[position:position + min(size, 4)]
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
    """Sheet name → the zip entries that may hold its records, from ``workbook.bin`` and its
    relationships (``None`` when they cannot be read)."""
    workbook = next((name for name in archive.namelist() if name.lower().endswith("workbook.bin")), None)
    if workbook is None:
        return None
    folder, base = posixpath.split(workbook)
    content = read_small(archive, workbook, _MAX_PART)
    relations = read_small(archive, posixpath.join(folder, "_rels", base + ".rels"), _MAX_PART)
    if content is None or relations is None:
        return None
    targets = relationship_targets(relations, folder)
    if targets is None:
        return None
    parts: dict[str, tuple[str, ...]] = {}
    try:
        for kind, record in _records(content):
            if kind != _BUNDLE_SHEET:
                continue
            ident, offset = _wide_string(record, 8)
            name, _ = _wide_string(record, offset)
            if ident not in targets:
                return None
            parts[name] = targets[ident]
    except (IndexError, struct.error, UnicodeDecodeError):
        return None
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
