"""XLS workbooks: the OLE2 container and the reach of every sheet, before calamine reads them.

calamine reads every sheet of an XLS file when it opens it, each into a dense
grid. BIFF8 cells have 16-bit rows and columns, so a 6 KB file with a value
at ``A1`` and one at the last cell of each of four sheets already costs
2 GB (measured). So the workbook stream is taken out of the compound file
(MS-CFB: FAT and mini-FAT chains, with loops and out-of-range sectors
refused as ``file.corrupt``) and its records (MS-XLS: a 16-bit type and a
16-bit length) are walked from the position of every ``BoundSheet8``
record, as calamine does, up to the sheet's ``EOF``. The value records
(``LabelSst``, ``Label``, ``RString``, ``Number``, ``RK``, ``MulRk``,
``BoolErr``, ``Formula``) place the cells; blank cells hold no value.
calamine also reserves room for as many cells as a sheet's ``Dimensions``
record claims (a lying one aborts the interpreter, found by fuzzing), so that
claim counts too. Each sheet's rectangle must respect the limits, and all of
them together, with their reservations, ``max_cells``.

Also found on the way: ``FilePass`` (an encrypted workbook:
``file.password_protected``) and a compound file without a workbook stream
(a Word or Outlook file: ``file.unsupported_format``).
"""

from __future__ import annotations

import struct

from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.limits import Limits
from upflow_import.readers.reach import Reach, check_reach

__all__ = ["check_xls", "workbook_stream"]

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
# MS-CFB 2.2: sector shifts at 30 and 32; FAT sector count, first directory sector,
# mini-stream cutoff, first mini-FAT sector and count, first DIFAT sector and count from 44.
_SHIFTS = struct.Struct("<HH")
_COUNTS = struct.Struct("<IIIIIIII")
_DIRECTORY_ENTRY = 128
_RECORD = struct.Struct("<HH")
_CELL = struct.Struct("<HH")
_U32 = struct.Struct("<I")

_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200
_BIFF5_BOF = (0x0009, 0x0209, 0x0409)
# Value records whose data starts with the cell's row and column.
_VALUE_RECORDS = frozenset({0x00FD, 0x0204, 0x00D6, 0x0203, 0x027E, 0x0205, 0x0006, 0x0406})
_MULRK = 0x00BD


def check_xls(data: bytes, limits: Limits) -> None:
    """Raise the issue that keeps calamine from reading XLS ``data`` safely, if any."""
    stream = workbook_stream(data)
    offsets = _sheet_offsets(stream)
    total = 0
    seen: dict[int, tuple[Reach, int]] = {}
    for offset in offsets:
        walked = seen.get(offset)
        if walked is None:
            walked = seen[offset] = _walk_sheet(stream, offset)
        reach, reserved = walked
        check_reach(reach, limits)
        total += reach.cells + reserved
        if total > limits.max_cells:
            raise FileTooLargeError.of("file.too_large", limit="max_cells", actual=total,
                                       maximum=limits.max_cells)


def _sheet_offsets(stream: bytes) -> list[int]:
    """Where each sheet's records start, from the workbook globals."""
    offsets = []
    position = 0
    size = len(stream)
    while position + 4 <= size:
        kind, length = _RECORD.unpack_from(stream, position)
        body = position + 4
        if kind == _FILEPASS:
            raise UnreadableFileError.of("file.password_protected")
        if kind == _BOUNDSHEET and length >= 4:
            offsets.append(_U32.unpack_from(stream, body)[0])
        elif kind == _EOF:
            break
        position = body + length
    return offsets


def _dimension_cells(body: bytes) -> int:
    """The cells calamine reserves room for on reading a ``Dimensions`` record, computed as it
    does (32-bit arithmetic that wraps, as a release build of it does).

    The record is 14 bytes in BIFF8 and 10 in BIFF5, but calamine also reads longer ones (a
    16-byte one made it reserve 266 GB and abort; found by fuzzing): any record long enough for
    a layout is read with it, and the larger claim counts.
    """
    claims = [0]
    if len(body) >= 12:
        first_row, last_row = struct.unpack_from("<II", body)
        first_column, last_column = struct.unpack_from("<HH", body, 8)
        claims.append(_claimed_cells(first_row, last_row, first_column, last_column))
    if len(body) >= 8:
        claims.append(_claimed_cells(*struct.unpack_from("<HHHH", body)))
    return max(claims)


def _claimed_cells(first_row: int, last_row: int, first_column: int, last_column: int) -> int:
    if last_row >= 1 and last_column >= 1:
        end_row, end_column = last_row - 1, last_column - 1
    else:
        end_row, end_column = first_row, first_column
    rows = ((end_row - first_row) % 2**32 + 1) % 2**32
    columns = ((end_column - first_column) % 2**32 + 1) % 2**32
    return rows * columns


def _walk_sheet(stream: bytes, offset: int) -> tuple[Reach, int]:
    """The rectangle of the sheet's values, and the cells its ``Dimensions`` make calamine
    reserve."""
    reach = Reach()
    reserved = 0
    size = len(stream)
    if offset + 4 > size:
        return reach, reserved
    position = offset
    depth = 0
    record = _RECORD.unpack_from
    cell = _CELL.unpack_from
    while position + 4 <= size:
        kind, length = record(stream, position)
        body = position + 4
        position = body + length
        if kind in _VALUE_RECORDS:
            if length >= 4:
                row, column = cell(stream, body)
                reach.add(row, column)
        elif kind == _DIMENSIONS:
            reserved = max(reserved, _dimension_cells(stream[body:position]))
        elif kind == _MULRK:
            if length >= 6 and position <= size:
                row, first = cell(stream, body)
                last = _CELL.unpack_from(stream, position - 2)[0]
                reach.add(row, first)
                reach.add(row, max(first, last))
        elif kind == _BOF or kind in _BIFF5_BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
    return reach, reserved


def workbook_stream(data: bytes) -> bytes:
    """The ``Workbook`` (BIFF8) or ``Book`` (BIFF5) stream of a compound file."""
    if len(data) < 512:
        raise _corrupt("shorter than a compound file header")
    sector_shift, mini_shift = _SHIFTS.unpack_from(data, 30)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise _corrupt("unknown sector size")
    sector_size = 1 << sector_shift
    (fat_sectors, first_directory, _, mini_cutoff, first_mini_fat, mini_fat_sectors, first_difat,
     difat_sectors) = _COUNTS.unpack_from(data, 44)
    # A truncated last sector is read as far as it goes, padded with zeros, as calamine does.
    sector_count = max(0, -(-(len(data) - sector_size) // sector_size))

    def sector(number: int) -> bytes:
        if number >= sector_count:
            raise _corrupt(f"sector {number} points past the end of the file")
        start = (number + 1) * sector_size
        return data[start:start + sector_size].ljust(sector_size, b"\x00")

    fat_numbers = list(struct.unpack_from("<109I", data, 76))
    next_difat = first_difat
    for _ in range(min(difat_sectors, sector_count)):
        if next_difat in (_FREE, _END_OF_CHAIN):
            break
        block = struct.unpack(f"<{sector_size // 4}I", sector(next_difat))
        fat_numbers.extend(block[:-1])
        next_difat = block[-1]
    fat_numbers = [number for number in fat_numbers[:fat_sectors] if number not in (_FREE, _END_OF_CHAIN)]
    fat: list[int] = []
    for number in fat_numbers:
        fat.extend(struct.unpack(f"<{sector_size // 4}I", sector(number)))

    def chain(start: int, table: list[int]) -> list[int]:
        numbers: list[int] = []
        current = start
        while current not in (_END_OF_CHAIN, _FREE):
            if current >= len(table) or len(numbers) > len(table):
                raise _corrupt("a sector chain is broken or loops")
            numbers.append(current)
            current = table[current]
        return numbers

    directory = b"".join(sector(number) for number in chain(first_directory, fat))
    entries = [directory[start:start + _DIRECTORY_ENTRY]
               for start in range(0, len(directory) - _DIRECTORY_ENTRY + 1, _DIRECTORY_ENTRY)]
    if not entries:
        raise _corrupt("no directory")
    names = {}
    for index, entry in enumerate(entries):
        name_size = struct.unpack_from("<H", entry, 64)[0]
        kind = entry[66]
        if kind == 2 and 2 <= name_size <= 64:
            names[entry[:name_size - 2].decode("utf-16-le", "replace").lower()] = index
    if "encryptedpackage" in names:
        raise UnreadableFileError.of("file.password_protected")
    found = names.get("workbook", names.get("book"))
    if found is None:
        raise UnreadableFileError.of("file.unsupported_format",
                                     detected="an Office file that is not a workbook")
    entry = entries[found]
    start = _U32.unpack_from(entry, 116)[0]
    size = _U32.unpack_from(entry, 120)[0]
    if size < mini_cutoff:
        root = entries[0]
        mini_stream = b"".join(sector(number) for number in chain(_U32.unpack_from(root, 116)[0], fat))
        mini_fat_numbers = chain(first_mini_fat, fat)[:mini_fat_sectors] if mini_fat_sectors else []
        mini_fat: list[int] = []
        for number in mini_fat_numbers:
            mini_fat.extend(struct.unpack(f"<{sector_size // 4}I", sector(number)))
        pieces = [mini_stream[number * 64:(number + 1) * 64] for number in chain(start, mini_fat)]
        stream = b"".join(pieces)
    else:
        stream = b"".join(sector(number) for number in chain(start, fat))
    if len(stream) < size:
        raise _corrupt("the workbook stream is shorter than declared")
    return stream[:size]


def _corrupt(detail: str) -> UpflowImportError:
    return UnreadableFileError.of("file.corrupt", detail=f"broken XLS container: {detail}")
