"""Builders of real files for the reader tests (csv module, XlsxWriter, xlwt, zipfile)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence

import xlsxwriter
import xlwt

Cells = Sequence[Sequence[object]]


def csv_bytes(rows: Cells, *, delimiter: str = ";", encoding: str = "utf-8",
              lineterminator: str = "\r\n") -> bytes:
    """The rows written by the csv module, encoded."""
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, Cells], *, hidden: Sequence[str] = (), start: tuple[int, int] = (0, 0),
               title: str | None = None) -> bytes:
    """A workbook written by XlsxWriter; ``None`` cells are left empty, floats stay floats,
    dates and datetimes get a date format so that Excel (and calamine) see dates."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        if name in hidden:
            sheet.hide()
        first_row, first_column = start
        if title is not None:
            sheet.write_string(first_row, first_column, title)
            first_row += 2
        for row_index, row in enumerate(rows):
            for column_index, value in enumerate(row):
                if value is None:
                    continue
                target = (first_row + row_index, first_column + column_index)
                if hasattr(value, "hour"):
                    sheet.write_datetime(*target, value, moment_format)
                elif hasattr(value, "year"):
                    sheet.write_datetime(*target, value, date_format)
                elif isinstance(value, bool):
                    sheet.write_boolean(*target, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(*target, value)
                else:
                    sheet.write_string(*target, str(value))
    if hidden and len(sheets) > len(hidden):
        visible = next(name for name in sheets if name not in hidden)
        workbook.get_worksheet_by_name(visible).activate()
    workbook.close()
    return buffer.getvalue()


def xls_bytes(sheets: dict[str, Cells]) -> bytes:
    """A workbook written by xlwt (BIFF8)."""
    workbook = xlwt.Workbook()
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        for row_index, row in enumerate(rows):
            for column_index, value in enumerate(row):
                if value is not None:
                    sheet.write(row_index, column_index, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_entry(archive: bytes, name: str, content: bytes) -> bytes:
    """``archive`` with entry ``name`` replaced by ``content`` (other entries copied)."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
    return buffer.getvalue()


SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def sheet_xml(body: bytes, dimension: bytes | None = None) -> bytes:
    """A worksheet part around ``body`` (the content of ``<sheetData>``)."""
    head = SHEET_START + (b'<dimension ref="' + dimension + b'"/>' if dimension else b"")
    return head + b"<sheetData>" + body + b"</sheetData></worksheet>"


def crafted_xlsx(body: bytes, dimension: bytes | None = None) -> bytes:
    """A real XlsxWriter workbook whose first sheet's XML is replaced by ``body``; its shared
    strings hold 'Nom' and 'Ville' (indexes 0 and 1)."""
    base = xlsx_bytes({"Sheet1": [["Nom", "Ville"]]})
    return replace_entry(base, "xl/worksheets/sheet1.xml", sheet_xml(body, dimension))


def raw_zip(entries: Sequence[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip archive written byte by byte, so that an entry may lie about its size.

    Each entry is ``(name, deflated data, crc32, declared uncompressed size, real size)``;
    the declared size goes in the headers.
    """
    import struct

    out = io.BytesIO()
    central = io.BytesIO()
    for name, deflated, crc, declared, _ in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), declared,
                              len(encoded), 0))
        out.write(encoded)
        out.write(deflated)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                                  len(deflated), declared, len(encoded), 0, 0, 0, 0, 0, offset))
        central.write(encoded)
    start = out.tell()
    directory = central.getvalue()
    out.write(directory)
    count = len(entries)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def deflated(chunks: Iterable[bytes], *, level: int = 1) -> tuple[bytes, int, int]:
    """Raw-deflate an iterable of chunks: (deflated data, crc32, uncompressed size)."""
    import zlib

    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    parts = []
    crc = 0
    size = 0
    for chunk in chunks:
        parts.append(compressor.compress(chunk))
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    parts.append(compressor.flush())
    return b"".join(parts), crc, size


def xlsx_with_sheet_stream(chunks: Iterable[bytes], *, declared: int | None = None) -> bytes:
    """A real XlsxWriter workbook whose first sheet's XML is the streamed ``chunks``, written
    byte by byte; ``declared`` replaces the sheet's true uncompressed size in the headers."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"Sheet1": [["Nom", "Ville"]]})))
    entries = []
    for info in base.infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            data, crc, size = deflated(chunks)
            entries.append((info.filename, data, crc, size if declared is None else declared, size))
        else:
            content = base.read(info)
            data, crc, size = deflated([content], level=6)
            entries.append((info.filename, data, crc, size, size))
    return raw_zip(entries)


def xlsb_row_header(row: int) -> bytes:
    """A ``BrtRowHdr`` record for the 0-based ``row``."""
    import struct

    return b"\x00\x11" + struct.pack("<IIHBBBI", row, 0, 300, 0, 0, 0, 0)


def xlsb_number(column: int) -> bytes:
    """A ``BrtCellReal`` record holding 42 at the 0-based ``column``."""
    import struct

    return b"\x05\x10" + struct.pack("<IId", column, 0, 42.0)


def xlsb_with_records(base: bytes, records: bytes) -> bytes:
    """An XLSB workbook (``base``, a real one) with ``records`` added at the end of its first
    sheet's data."""
    end_of_sheet_data = b"\x92\x01\x00"
    source = zipfile.ZipFile(io.BytesIO(base))
    sheet = source.read("xl/worksheets/sheet1.bin")
    assert sheet.count(end_of_sheet_data) == 1
    return replace_entry(base, "xl/worksheets/sheet1.bin",
                         sheet.replace(end_of_sheet_data, records + end_of_sheet_data))


def xlsb_with_far_cell(base: bytes, row: int, column: int) -> bytes:
    """An XLSB workbook (``base``, a real one) with one more number at ``row``, ``column``."""
    return xlsb_with_records(base, xlsb_row_header(row) + xlsb_number(column))


def xlsx_with_sheet_at(part: str, target: str, body: bytes, dimension: bytes | None = None) -> bytes:
    """An XlsxWriter workbook whose only sheet is stored at ``part`` (relationship ``target``
    from ``xl/``) with ``body`` as its cells."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"Sheet1": [["Nom", "Ville"]]})))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            content = base.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                archive.writestr(part, sheet_xml(body, dimension))
                continue
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b'Target="worksheets/sheet1.xml"', f'Target="{target}"'.encode())
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"/xl/worksheets/sheet1.xml", f"/{part}".encode())
            archive.writestr(info.filename, content)
    return buffer.getvalue()


def xls_with_patched_record(data: bytes, kind: int, patch: dict[int, bytes]) -> bytes:
    """``data`` (an xlwt XLS, whose workbook stream is stored contiguously) with bytes of the
    first record of type ``kind`` replaced: ``patch`` maps offsets in the record's body to the
    new bytes."""
    import struct

    from upflow_import.readers.reach_xls import workbook_stream

    stream = workbook_stream(data)
    position = 0
    while True:
        record, length = struct.unpack_from("<HH", stream, position)
        if record == kind:
            break
        position += 4 + length
    original = stream[position:position + 4 + length]
    body = bytearray(original[4:])
    for offset, replacement in patch.items():
        body[offset:offset + len(replacement)] = replacement
    assert data.count(original) == 1
    return data.replace(original, original[:4] + bytes(body))
