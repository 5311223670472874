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

The compound file is read as calamine reads it, and refused where the two
readings could differ (``file.corrupt``): every FAT sector the DIFAT lists
below the reserved values counts, whatever the header's counts say; a chain
that loops or leaves the file is refused (calamine would loop until memory
runs out); a truncated last sector may only end a chain; the mini stream and
mini FAT are loaded whenever the header announces a mini FAT, and a stream
shorter than 4,096 bytes is read from them (calamine's cutoff, not the
header's); the workbook stream is the directory entry, of any type, calamine takes (the
first named exactly ``Workbook``, else ``Book``, ``WORKBOOK``, ``BOOK``): two
entries of that name, or a workbook stream only in another spelling, are
refused; and an XLS
file holding a zipped workbook is refused, since calamine tries its zip
readers when its XLS reader fails.

Also found on the way: ``FilePass`` (an encrypted workbook:
``file.password_protected``) and a compound file without a workbook stream
(a Word or Outlook file: ``file.unsupported_format``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.limits import Limits
from upflow_import.readers.reach import Reach, check_reach

__all__ = ["check_xls", "workbook_stream"]

_END_OF_CHAIN, _DIFAT_SECTOR, _RESERVED = 0xFFFFFFFE, 0xFFFFFFFC, 0xFFFFFFFA
# calamine reads a stream shorter than this from the mini stream, whatever the header says.
_MINI_CUTOFF = 4096
# The names calamine looks for, in its order; it compares them exactly.
_STREAM_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")
_ZIP_END = b"PK\x05\x06"
_ZIPPED_WORKBOOK = re.compile(rb"(?i)workbook\.(?:xml\.rels|bin)|content\.xml")
# MS-CFB 2.2: sector shifts at 30 and 32; FAT sector count, first directory sector,
# mini-stream cutoff, first mini-FAT sector and count, first DIFAT sector and count from 44.
_SHIFTS = struct.Struct("<HH")
_COUNTS = struct.Struct("<IIIIIIII")
_DIRECTORY_ENTRY = 128
_RECORD = struct.Struct("<HH")
_CELL = struct.Struct("<HH")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200
_SST, _CONTINUE, _LABEL_SST = 0x00FC, 0x003C, 0x00FD
_BIFF5_BOF = (0x0009, 0x0209, 0x0409)
# Value records whose data starts with the cell's row and column.
_VALUE_RECORDS = frozenset({0x00FD, 0x0204, 0x00D6, 0x0203, 0x027E, 0x0205, 0x0006, 0x0406})
_MULRK = 0x00BD


def check_xls(data: bytes, limits: Limits) -> None:
    """Raise the issue that keeps calamine from reading XLS ``data`` safely, if any."""
    stream = workbook_stream(data)
    offsets, strings = _globals(stream)
    sizes = _string_sizes(strings) if strings else []
    total = copied = 0
    seen: dict[int, tuple[Reach, int, int]] = {}
    for offset in offsets:
        walked = seen.get(offset)
        if walked is None:
            walked = seen[offset] = _walk_sheet(stream, offset, sizes)
        reach, reserved, copies = walked
        check_reach(reach, limits)
        total += reach.cells + reserved
        if total > limits.max_cells:
            raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=total,
                                       maximum=limits.max_cells)
        copied += copies
        if copied > limits.max_uncompressed_bytes:
            raise FileTooLargeError.from_code("file.too_large", limit="max_uncompressed_bytes", actual=copied,
                                       maximum=limits.max_uncompressed_bytes)


def _globals(stream: bytes) -> tuple[list[int], list[bytes]]:
    """Where each sheet's records start, from the workbook globals, and the last ``SST``
    record's body followed by those of its ``Continue`` records (as calamine groups them)."""
    offsets = []
    strings: list[bytes] = []
    position = 0
    size = len(stream)
    while position + 4 <= size:
        kind, length = _RECORD.unpack_from(stream, position)
        body = position + 4
        if kind == _FILEPASS:
            raise UnreadableFileError.from_code("file.password_protected")
        if kind == _BOUNDSHEET and length >= 4:
            offsets.append(_U32.unpack_from(stream, body)[0])
        elif kind == _SST:
            strings = [stream[body:body + length]]
            following = body + length
            while following + 4 < size and _RECORD.unpack_from(stream, following)[0] == _CONTINUE:
                more = _RECORD.unpack_from(stream, following)[1]
                strings.append(stream[following + 4:following + 4 + more])
                following += 4 + more
        elif kind == _EOF:
            break
        position = body + length
    return offsets, strings


def _string_sizes(pieces: list[bytes]) -> list[int] | None:
    """The character count of each shared string, read as calamine reads the ``SST`` record and
    its continuations (``None`` where calamine would fail)."""
    buffers = iter([pieces[0][8:], *pieces[1:]])
    data = next(buffers)
    position = 0
    sizes: list[int] = []

    def advance() -> bool:
        nonlocal data, position
        following = next(buffers, None)
        if following is None:
            return False
        data, position = following, 0
        return True

    def skip(count: int) -> bool:
        nonlocal position
        while count > 0:
            if position >= len(data) and not advance():
                return False
            taken = min(count, len(data) - position)
            position += taken
            count -= taken
        return True

    while position < len(data) or advance():
        if position >= len(data):
            sizes.append(0)
            continue
        if len(data) - position < 3:
            return None
        characters, flags = struct.unpack_from("<HB", data, position)
        position += 3
        runs = extension = 0
        if flags & 0x8:
            if len(data) - position < 2:
                return None
            runs = struct.unpack_from("<H", data, position)[0]
            position += 2
        if flags & 0x4:
            if len(data) - position < 4:
                return None
            extension = struct.unpack_from("<i", data, position)[0]
            position += 4
            if extension < 0:
                return None
        wide = flags & 0x1
        left = characters
        while left > 0:
            width = 2 if wide else 1
            taken = min((len(data) - position) // width, left)
            position += taken * width
            left -= taken
            if left > 0:
                if not advance() or not data:
                    return None
                wide = data[0] & 0x1
                position = 1
        if not skip(runs * 4) or not skip(extension):
            return None
        sizes.append(characters)
    return sizes


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


def _walk_sheet(stream: bytes, offset: int, sizes: list[int] | None) -> tuple[Reach, int, int]:
    """The rectangle of the sheet's values, the cells its ``Dimensions`` make calamine reserve,
    and the bytes of the shared strings it copies into the sheet's cells (a UTF-8 character
    decoded from two bytes of a single-byte code page may take 6 bytes per character)."""
    reach = Reach()
    reserved = copied = 0
    size = len(stream)
    if offset + 4 > size:
        return reach, reserved, copied
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
            if kind == _LABEL_SST and length >= 10:
                index = _U32.unpack_from(stream, body + 6)[0]
                if sizes is None:
                    copied += 6 * 0xFFFF
                elif index < len(sizes):
                    copied += 6 * sizes[index]
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
    return reach, reserved, copied


def workbook_stream(data: bytes) -> bytes:
    """The ``Workbook`` (BIFF8) or ``Book`` (BIFF5) stream of a compound file, taken out as
    calamine takes it out, or refused where the two readings could differ (see the module)."""
    if len(data) < 512:
        raise _corrupt("shorter than a compound file header")
    if _ZIP_END in data and _ZIPPED_WORKBOOK.search(data):
        # calamine tries its zip readers when its XLS reader fails, and they find a zip archive
        # anywhere: a workbook zipped inside (its part names are stored as written) could be read
        # unchecked. Excel's own files hold a zipped theme, which no zip reader takes for a workbook.
        raise _corrupt("it also holds a zipped workbook")
    sector_shift, mini_shift = _SHIFTS.unpack_from(data, 30)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise _corrupt("unknown sector size")
    sector_size = 1 << sector_shift
    (_, first_directory, _, _, first_mini_fat, mini_fat_sectors, first_difat,
     _) = _COUNTS.unpack_from(data, 44)
    # A truncated last sector is read as far as it goes: only as the end of a stream.
    whole, rest = divmod(max(0, len(data) - sector_size), sector_size)
    partial = whole if rest else -1
    sector_count = whole + (1 if rest else 0)

    def sector(number: int, *, last: bool = False) -> bytes:
        if number >= sector_count:
            raise _corrupt(f"sector {number} points past the end of the file")
        if number == partial and not last:
            raise _corrupt("a truncated sector inside a chain")
        start = (number + 1) * sector_size
        return data[start:start + sector_size].ljust(sector_size, b"\x00")

    def integers(block: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(block) // 4}I", block))

    # The FAT sectors: every entry of the header's DIFAT and of the DIFAT chain below the
    # reserved values, whatever the header's counts say, as calamine reads them.
    difat = integers(data[76:512])
    next_difat = first_difat
    seen: set[int] = set()
    while next_difat < _RESERVED:
        if next_difat in seen:
            raise _corrupt("the DIFAT chain loops")
        seen.add(next_difat)
        difat.extend(integers(sector(next_difat)))
        next_difat = difat.pop()
    fat: list[int] = []
    for number in difat:
        if number < _DIFAT_SECTOR:
            fat.extend(integers(sector(number)))

    def chain(start: int, table: list[int], block: Callable[[int, bool], bytes]) -> bytes:
        pieces: list[bytes] = []
        current = start
        visited: set[int] = set()
        while current != _END_OF_CHAIN:
            if current >= len(table) or current in visited:
                raise _corrupt("a sector chain is broken or loops")
            visited.add(current)
            following = table[current]
            pieces.append(block(current, following == _END_OF_CHAIN))
            current = following
        return b"".join(pieces)

    def big(number: int, last: bool) -> bytes:
        return sector(number, last=last)

    directory = chain(first_directory, fat, big)
    entries = [directory[start:start + _DIRECTORY_ENTRY]
               for start in range(0, len(directory) - _DIRECTORY_ENTRY + 1, _DIRECTORY_ENTRY)]
    if not entries:
        raise _corrupt("no directory")
    names = [entry[:64].decode("utf-16-le", "replace").split("\x00", 1)[0] for entry in entries]
    if any(name.casefold() == "encryptedpackage" for name in names):
        raise UnreadableFileError.from_code("file.password_protected")
    # calamine takes the first entry named exactly Workbook, else Book, WORKBOOK, BOOK (files
    # written for Excel 5 and 97 hold both a Book and a Workbook stream).
    chosen = None
    for wanted in _STREAM_NAMES:
        found = [index for index, name in enumerate(names) if name == wanted]
        if len(found) > 1:
            raise _corrupt(f"two {wanted} streams")
        if found:
            chosen = found[0]
            break
    if chosen is None:
        if any(name.casefold() in ("workbook", "book") for name in names):
            raise _corrupt("a workbook stream named unusually")
        raise UnreadableFileError.from_code("file.unsupported_format",
                                     detected="an Office file that is not a workbook")

    def stream_size(entry: bytes) -> int:
        return int((_U64 if sector_size == 4096 else _U32).unpack_from(entry, 120)[0])

    mini_stream = b""
    mini_fat: list[int] = []
    if mini_fat_sectors:
        # calamine loads both whenever the header announces a mini FAT.
        root = entries[0]
        mini_stream = chain(_U32.unpack_from(root, 116)[0], fat, big)[:stream_size(root)]
        mini_fat = integers(chain(first_mini_fat, fat, big)[:mini_fat_sectors * sector_size])
    entry = entries[chosen]
    start = _U32.unpack_from(entry, 116)[0]
    size = stream_size(entry)
    if size < _MINI_CUTOFF:

        def mini(number: int, _: bool) -> bytes:
            if (number + 1) * 64 > len(mini_stream):
                raise _corrupt("a mini sector points past the mini stream")
            return mini_stream[number * 64:(number + 1) * 64]

        stream = chain(start, mini_fat, mini)
    else:
        stream = chain(start, fat, big)
    if len(stream) < size:
        raise _corrupt("the workbook stream is shorter than declared")
    return stream[:size]


def _corrupt(detail: str) -> UpflowImportError:
    return UnreadableFileError.from_code("file.corrupt", detail=f"broken XLS container: {detail}")
