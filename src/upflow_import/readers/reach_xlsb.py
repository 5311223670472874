"""XLSB worksheets: how far their cells reach, found before calamine reads them.

An XLSB sheet is a stream of binary records (MS-XLSB 2.1.4: a 1–2 byte
type and a 1–4 byte size, both 7-bit varints). The walk below reads it in
1 MiB chunks and follows calamine's own reading: ``BrtRowHdr`` (type 0) sets
the current row (a row past 1,048,576 ends the sheet, as in calamine), the
value records (types 2 to 11: number, error, boolean, real, string, shared
string and the formula results) carry their column in their first four
bytes, and ``BrtEndSheetData`` (146) ends the sheet. Blank cells hold no
value and are not stored by calamine, so they do not count. The claimed
``BrtWsDim`` is not trusted (a hostile file can claim anything), so every
record is walked: about 1 µs per record in Python, slower than the XLSX fast
path, acceptable for a format rarely used for customer lists.

Sheet names map to parts through ``BrtBundleSh`` records of
``workbook.bin`` and its relationships; when they cannot be read, every
worksheet part is checked.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile

from upflow_import.limits import Limits
from upflow_import.readers.archive import read_small, stream_entry
from upflow_import.readers.reach import Reach, check_reach
from upflow_import.readers.reach_xlsx import relationship_targets

__all__ = ["binary_worksheet_parts", "check_binary_worksheet"]

_ROW_HEADER = 0x0000
_FIRST_VALUE, _LAST_VALUE = 0x0002, 0x000B
_END_SHEET_DATA = 0x0092
_BUNDLE_SHEET = 0x009C
_LAST_ROW = 0x0010_0000
_U32 = struct.Struct("<I")
_MAX_PART = 16 * 1024 * 1024


def check_binary_worksheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Raise ``file.too_large`` when the cells of XLSB worksheet ``part`` reach beyond ``limits``."""
    check_reach(_walk(archive, part), limits)


def _walk(archive: zipfile.ZipFile, part: str) -> Reach:
    reach = Reach()
    row = 0
    buffer = b""
    position = 0
    skip = 0
    unpack = _U32.unpack_from
    for chunk in stream_entry(archive, part):
        if skip >= len(chunk):
            skip -= len(chunk)
            continue
        buffer = buffer[position:] + chunk[skip:]
        skip = 0
        position = 0
        size_of_buffer = len(buffer)
        # A record header is at most 6 bytes and a value record's column 4 more.
        while position + 10 <= size_of_buffer:
            kind = buffer[position]
            position += 1
            if kind & 0x80:
                kind = (kind & 0x7F) | ((buffer[position] & 0x7F) << 7)
                position += 1
            size = 0
            for shift in (0, 7, 14, 21):
                byte = buffer[position]
                position += 1
                size |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    break
            if kind == _ROW_HEADER:
                row = unpack(buffer, position)[0] if size >= 4 else row
                if row > _LAST_ROW:
                    return reach
            elif _FIRST_VALUE <= kind <= _LAST_VALUE and size >= 4:
                reach.add(row, unpack(buffer, position)[0])
            elif kind == _END_SHEET_DATA:
                return reach
            position += size
        if position > size_of_buffer:
            skip = position - size_of_buffer
            position = size_of_buffer
    _walk_tail(buffer[position:], reach, row)
    return reach


def _walk_tail(tail: bytes, reach: Reach, row: int) -> None:
    """The last few bytes of the part, too short for the fast loop's look-ahead."""
    position = 0
    while position < len(tail):
        try:
            kind = tail[position]
            position += 1
            if kind & 0x80:
                kind = (kind & 0x7F) | ((tail[position] & 0x7F) << 7)
                position += 1
            size = 0
            for shift in (0, 7, 14, 21):
                byte = tail[position]
                position += 1
                size |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    break
        except IndexError:
            return
        if position + 4 <= len(tail) and size >= 4:
            value = _U32.unpack_from(tail, position)[0]
            if kind == _ROW_HEADER:
                row = value
                if row > _LAST_ROW:
                    return
            elif _FIRST_VALUE <= kind <= _LAST_VALUE:
                reach.add(row, value)
        if kind == _END_SHEET_DATA:
            return
        position += size


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
        kind = content[position]
        position += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | ((content[position] & 0x7F) << 7)
            position += 1
        size = 0
        for shift in (0, 7, 14, 21):
            byte = content[position]
            position += 1
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
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
