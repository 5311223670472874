"""Hostile workbooks: refused with ``file.too_large`` before calamine can abort or exhaust
memory, checked in a child process (an abort there fails the test, it does not end the run)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
import xlwt
from isolation import read_in_child
from reader_files import (
    crafted_xlsx,
    replace_entry,
    xls_bytes,
    xls_with_patched_record,
    xlsb_row_header,
    xlsb_with_far_cell,
    xlsb_with_records,
    xlsx_bytes,
    xlsx_with_sheet_at,
    xlsx_with_sheet_stream,
)

MEMORY_CEILING_MIB = 500
VALUE = b'<v>1</v></c>'


def far_cell_xlsx() -> bytes:
    """XlsxWriter's own file with a value at A1 and one at XFD1048576 (5 KB; calamine asks
    for 512 GiB and aborts)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write("A1", "Nom")
    sheet.write("XFD1048576", "far")
    workbook.close()
    return buffer.getvalue()


def xls_with_far_cells(sheets: int) -> bytes:
    """xlwt's file with a value at A1 and at the last BIFF8 cell of each sheet."""
    workbook = xlwt.Workbook()
    for index in range(sheets):
        sheet = workbook.add_worksheet(f"S{index}") if hasattr(workbook, "add_worksheet") else \
            workbook.add_sheet(f"S{index}")
        sheet.write(0, 0, "Nom")
        sheet.write(65535, 255, "far")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def announcing_strings(count: int) -> bytes:
    """XlsxWriter's file whose shared strings claim ``count`` strings."""
    data = xlsx_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]})
    strings = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
    lying = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="%d"' % count, strings)
    assert lying != strings
    return replace_entry(data, "xl/sharedStrings.xml", lying)


def spaces(megabytes: int) -> Iterator[bytes]:
    """A sheet whose only cell holds ``megabytes`` MiB of spaces, streamed."""
    yield (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
           b'main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
    block = b" " * (1 << 20)
    for _ in range(megabytes):
        yield block
    yield b"</t></is></c></row></sheetData></worksheet>"


@pytest.fixture(scope="session")
def gigabyte_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XLSX whose sheet inflates to 1.1 GB (declared honestly): about 5 MB on disk."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"Sheet1": [["Nom"]]})))
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, base.read(info))
                continue
            with archive.open(info.filename, "w", force_zip64=True) as sheet:
                for chunk in spaces(1100):
                    sheet.write(chunk)
    return path


def write(folder: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_cells_reaching_too_far_are_refused_before_calamine_sees_them(tmp_path: Path) -> None:
    files = {
        "far_cell.xlsx": far_cell_xlsx(),
        # The same cell behind a dimension that lies, without references, behind a namespace
        # prefix, with its reference after another attribute or quoted differently.
        "lying_dimension.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                                             b'<row r="1048576"><c r="XFD1048576">' + VALUE + b"</row>",
                                             dimension=b"A1:B1"),
        "no_references.xlsx": crafted_xlsx(b'<row><c t="s"><v>0</v></c>' + (b"<c>" + VALUE) * 1200 + b"</row>"
                                           b'<row r="1048576"><c>' + VALUE + b"</row>"),
        "prefixed.xlsx": crafted_xlsx(b'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                      b'main" r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="XFD1">'
                                      b"<x:v>1</x:v></x:c></x:row>", dimension=b"A1"),
        "reference_later.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                             b'<c t="n" r="XFD1">' + VALUE + b"</row>", dimension=b"A1:B1"),
        "quoted_differently.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                                b"<c r = 'XFD1048576'>" + VALUE + b"</row>",
                                                dimension=b"A1:B1"),
        "too_many_cells.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                                            b'<row r="900000"><c r="ALL900000">' + VALUE + b"</row>"),
        "four_far_sheets.xls": xls_with_far_cells(4),
        # Shared strings announcing 2**32 - 1 of them: calamine reserves 96 GiB on opening.
        "shared_strings_count.xlsx": announcing_strings(4_294_967_295),
        # A Dimensions record whose first row is past its last: calamine reserves 2**32 rows.
        "lying_dimensions.xls": xls_with_patched_record(
            xls_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]}), 0x0200,
            {0: struct.pack("<I", 0x005F0000)}),
        # The sheet stored away from xl/worksheets/, found through the workbook's relationships.
        "sheet_elsewhere.xlsx": xlsx_with_sheet_at("xl/data/clients.xml", "/xl/data/clients.xml",
                                                   b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                                   b'<c r="XFD1048576">' + VALUE + b"</row>"),
    }

    outcome = read_in_child(write(tmp_path, files))

    assert outcome.codes == dict.fromkeys(files, "file.too_large")
    assert outcome.peak_mib < MEMORY_CEILING_MIB


def test_far_cells_in_xlsb_and_ods_are_refused(tmp_path: Path, corpus_dir: Path) -> None:
    base = (corpus_dir / "date.xlsb").read_bytes()
    paths = write(tmp_path, {
        "far_cell.xlsb": xlsb_with_far_cell(base, 1_048_575, 16_383),
        # A number record of length 0: calamine reads its column from what the previous record
        # left in its buffer, here the row header's row.
        "stale_buffer.xlsb": xlsb_with_records(base, xlsb_row_header(1_048_575) + b"\x05\x00"),
    })

    outcome = read_in_child([*paths, corpus_dir / "issue_594_dos.ods"])

    assert outcome.codes == {"far_cell.xlsb": "file.too_large", "stale_buffer.xlsb": "file.too_large",
                             "issue_594_dos.ods": "file.too_large"}
    assert outcome.peak_mib < MEMORY_CEILING_MIB


def test_look_alikes_that_calamine_reads_cheaply_are_not_refused(tmp_path: Path, corpus_dir: Path) -> None:
    near = xlsb_with_far_cell((corpus_dir / "date.xlsb").read_bytes(), 10, 3)
    files = {
        # A claimed dimension alone, a formatted empty cell, an empty row: calamine stores none.
        "dimension_only.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                            b'<c r="B1" t="s"><v>1</v></c></row>',
                                            dimension=b"A1:XFD1048576"),
        "formatted_far_cell.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                                b'<c r="B1" t="s"><v>1</v></c></row>'
                                                b'<row r="1048576"><c r="XFD1048576" s="0"/></row>'),
        "far_empty_row.xlsx": crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
                                           b'<c r="B1" t="s"><v>1</v></c></row><row r="1048576"/>'),
        "near_cell.xlsb": near,
    }

    outcome = read_in_child(write(tmp_path, files))

    assert outcome.codes == dict.fromkeys(files, None)
    assert outcome.rows == {"dimension_only.xlsx": 0, "formatted_far_cell.xlsx": 0, "far_empty_row.xlsx": 0,
                            "near_cell.xlsb": 3}


def test_zip_bombs_are_refused_without_inflating_them(tmp_path: Path, gigabyte_bomb: Path) -> None:
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        base = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"S": [["Nom"]]})))
        for info in base.infolist():
            archive.writestr(info.filename, base.read(info))
        for index in range(10_001):
            archive.writestr(f"xl/media/pad{index}.bin", b"")
    files = {
        "ratio.xlsx": xlsx_with_sheet_stream(spaces(300)),
        # The sheet's header says 5 KB; it inflates to 300 MB.
        "lying_size.xlsx": xlsx_with_sheet_stream(
            (bytes(range(256)) * 4096 for _ in range(300)), declared=5_000),
        "many_entries.xlsx": many.getvalue(),
    }

    outcome = read_in_child([gigabyte_bomb, *write(tmp_path, files)])

    assert outcome.codes == {"bomb.xlsx": "file.too_large", "ratio.xlsx": "file.too_large",
                             "lying_size.xlsx": "file.corrupt", "many_entries.xlsx": "file.too_large"}
    assert outcome.peak_mib < MEMORY_CEILING_MIB
