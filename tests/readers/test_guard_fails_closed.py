"""The checks before python-calamine read a file exactly as calamine does, or refuse it.

Each hostile file is a real writer's file (XlsxWriter, xlwt, a hand-made ODS zip) with one
edit of a kind that once made the checks and calamine disagree. calamine is replaced by a spy
that fails the test if it opens a file refused before opening, or reads a sheet refused before
reading: a guard that lets one through fails here without calamine ever seeing it.
"""

from __future__ import annotations

import io
import random
import shutil
import string
import struct
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from reader_files import (
    SHEET_START,
    crafted_xlsx,
    csv_bytes,
    replace_entry,
    xls_bytes,
    xlsb_row_header,
    xlsb_with_records,
    xlsx_bytes,
)

import upflow_import as ui
from upflow_import.readers import excel
from upflow_import.readers.reach_xls import check_xls, workbook_stream

FAR = b'<c r="XFD1048576" t="s"><v>1</v></c>'
FIRST = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'


class _SheetSpy:
    """calamine's workbook, except that reading a sheet is recorded in ``breaches`` and refused."""

    def __init__(self, workbook: CalamineWorkbook, breaches: list[str]) -> None:
        self._workbook = workbook
        self._breaches = breaches

    @property
    def sheets_metadata(self) -> Any:
        return self._workbook.sheets_metadata

    def get_sheet_by_name(self, name: str) -> Any:
        self._breaches.append(f"calamine read the sheet {name!r}")
        raise RuntimeError("stopped by the spy")


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes, bool], str]:
    """Read ``data`` with calamine spied on: the code of the refusal. ``opens``: calamine may
    open the workbook (the refusal is about a sheet), else it may not even open it."""

    def read(data: bytes, opens: bool) -> str:
        breaches: list[str] = []

        class Spy:
            @staticmethod
            def from_filelike(filelike: Any) -> _SheetSpy:
                if not opens:
                    breaches.append("calamine opened the file")
                    raise RuntimeError("stopped by the spy")
                return _SheetSpy(CalamineWorkbook.from_filelike(filelike), breaches)

        monkeypatch.setattr(excel, "CalamineWorkbook", Spy)
        with pytest.raises(ui.UpflowImportError) as refused:
            ui.read_table(data)
        # The spy's refusal surfaces as file.corrupt: what counts is that it was not reached.
        assert breaches == []
        return refused.value.code

    return read


def with_entry(data: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    content = zipfile.ZipFile(io.BytesIO(data)).read(name)
    edited = edit(content)
    assert edited != content
    return replace_entry(data, name, edited)


def sheet(body: bytes, head: bytes = SHEET_START) -> bytes:
    """XlsxWriter's workbook with a first sheet of ``body`` (the content of ``<sheetData>``)
    after ``head``."""
    base = xlsx_bytes({"Sheet1": [["Nom", "Ville"]]})
    content = head + b"<sheetData>" + body + b"</sheetData></worksheet>"
    return replace_entry(base, "xl/worksheets/sheet1.xml", content)


# --------------------------------------------------------------------------------------------
# XLSX worksheets

SHEET_CASES = {
    # calamine keeps one of two r attributes, the first or the last depending on the others.
    "duplicate attribute": FIRST + b'<row r="2"><c r="A2" r="XFD1048576" t="s"><v>1</v></c></row>',
    "duplicate row number": FIRST + b'<row r="2" r="1048576"><c t="s"><v>1</v></c></row>',
    # calamine reads letters before a row number, lowercase letters, numbers that wrap.
    "row number with letters": FIRST + b'<row r="A1048576"><c t="s"><v>1</v></c></row>',
    "lowercase reference": FIRST + b'<row r="2"><c r="xfd2" t="s"><v>1</v></c></row>',
    "leading zero": FIRST + b'<row r="2"><c r="A02" t="s"><v>1</v></c></row>',
    "wrapping number": FIRST + b'<row r="2"><c r="A4294967298" t="s"><v>1</v></c></row>',
    "signed row number": FIRST + b'<row r="+1048576"><c t="s"><v>1</v></c></row>',
    # quick-xml takes the name after the first ":", whatever the letters before it.
    "non-ASCII prefix": FIRST + '<row r="2"><é:c r="XFD2" t="s"><é:v>1</é:v></é:c></row>'.encode(),
    "two prefixes": FIRST + b'<row r="2"><a:b:c r="XFD2" t="s"><v>1</v></a:b:c></row>',
    "form feed in a tag": FIRST + b'<row r="2"><c\x0cr="XFD2" t="s"><v>1</v></c></row>',
    "closing tag with attributes": FIRST + b'<row r="2"><c r="B2" t="s"><v>1</v></c r="A2"></row>',
    # What quick-xml skips, a regular expression reads.
    "comment": FIRST + b'<!-- </row> --><row r="2"><c t="s"><v>1</v></c></row>',
    "CDATA": FIRST + b'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[<c r="B2">]]></t></is></c></row>',
    "processing instruction": FIRST + b"<?pi </row>?>",
    # calamine skips a cell's value whole, structure included.
    "row inside a value": FIRST + b'<row r="2"><c r="A2"><v>1<row r="9"/></v></c></row>',
    "cell inside a value": FIRST + b'<row r="2"><c r="A2" t="str"><v>x<c r="XFD2"/></v></c></row>',
    "cell children that do not nest": FIRST + b'<row r="2"><c r="A2"><v>1</x:v></c></row>',
    "stray '<'": FIRST + b'<row r="2"><c r="A2" t="str"><v>a<b</v></c></row>',
    "'<' in an attribute": FIRST + b'<row r="2"><c r="A2" t="s" x="<c r=\'XFD2\'>"><v>1</v></c></row>',
}


@pytest.mark.parametrize("body", SHEET_CASES.values(), ids=SHEET_CASES.keys())
def test_sheets_read_otherwise_than_calamine_reads_them_are_refused(
        guarded: Callable[[bytes, bool], str], body: bytes) -> None:
    assert guarded(sheet(body), True) == "file.corrupt"


def test_a_sheet_that_is_not_utf8_is_refused(guarded: Callable[[bytes, bool], str]) -> None:
    text = (SHEET_START.decode() + "<sheetData>" + FIRST.decode() + "</sheetData></worksheet>")
    utf16 = b"\xff\xfe" + text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le")
    data = replace_entry(xlsx_bytes({"Sheet1": [["Nom"]]}), "xl/worksheets/sheet1.xml", utf16)

    assert guarded(data, True) == "file.corrupt"


@pytest.mark.parametrize("body", [
    # An r found inside another attribute's value once placed this cell at A1.
    FIRST + b'<row r="2"><c x=\' r="A2"\' r="XFD1048576" t="s"><v>1</v></c></row>',
    # Cells without a reference follow the previous one, rows without one the previous row.
    b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="ALL1" t="s"><v>1</v></c></row>'
    b'<row r="1048576"><c t="s"><v>1</v></c></row>',
    FIRST + b"<row>" + b'<c t="s"><v>1</v></c>' * 2_000 + b"</row>",
    # Any prefix, as calamine compares local names.
    FIRST + b'<x:row r="2"><x:c r="XFD1048576" t="s"><x:v>1</x:v></x:c></x:row>',
    FIRST + b'<row r="2"><c t="s" r="XFD1048576"><v>1</v></c></row>',
], ids=["r in a value", "row without cell references", "cells without references", "prefix",
        "reference last"])
def test_sheets_read_exactly_are_refused_for_their_size(guarded: Callable[[bytes, bool], str],
                                                         body: bytes) -> None:
    assert guarded(sheet(body), True) == "file.too_large"


def with_long_string(cells: int, size: int) -> bytes:
    """A workbook whose shared string 2 (``size`` bytes) is shown by ``cells`` cells."""
    body = FIRST + b"".join(b'<row r="%d"><c r="A%d" t="s"><v>2</v></c></row>' % (row, row)
                            for row in range(2, cells + 2))
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>Nom</t></si><si><t>Ville</t></si>'
               b"<si><t>" + b"x" * size + b"</t></si></sst>")
    return replace_entry(crafted_xlsx(body), "xl/sharedStrings.xml", strings)


def test_a_long_shared_string_shown_by_many_cells_is_refused(guarded: Callable[[bytes, bool], str]) -> None:
    # calamine copies the string into each cell: 2 GiB from a file of a few KB.
    assert guarded(with_long_string(2_048, 1 << 20), True) == "file.too_large"


def test_a_long_shared_string_shown_by_some_cells_reads() -> None:
    table = ui.read_table(with_long_string(5_000, 20_000))

    assert len(list(table.rows)) == 5_000


# --------------------------------------------------------------------------------------------
# XLSX parts

def strings_announcing(head: bytes) -> bytes:
    base = xlsx_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]})
    return with_entry(base, "xl/sharedStrings.xml",
                      lambda content: content.replace(b"<sst ", b"<sst " + head + b" ", 1))


def test_a_shared_strings_count_far_into_the_part_is_found(guarded: Callable[[bytes, bool], str]) -> None:
    padded = with_entry(strings_announcing(b""), "xl/sharedStrings.xml",
                        lambda content: content.replace(b"<sst ", b" " * (3 << 20) + b"<sst ", 1)
                        .replace(b'uniqueCount="4"', b'uniqueCount="4294967295"'))

    assert guarded(padded, False) == "file.too_large"


@pytest.mark.parametrize("count", [b"+4294967295", b" 4294967295", b"04294967295", b"&#52;294967295"])
def test_a_shared_strings_count_written_unusually_is_refused(guarded: Callable[[bytes, bool], str],
                                                               count: bytes) -> None:
    data = with_entry(xlsx_bytes({"S": [["Nom", "Ville"]]}), "xl/sharedStrings.xml",
                      lambda content: content.replace(b'uniqueCount="2"', b'uniqueCount="' + count + b'"'))

    assert guarded(data, False) == "file.corrupt"


def test_a_repeated_shared_strings_count_is_refused(guarded: Callable[[bytes, bool], str]) -> None:
    data = with_entry(xlsx_bytes({"S": [["Nom", "Ville"]]}), "xl/sharedStrings.xml",
                      lambda content: content.replace(b'uniqueCount="2"', b'uniqueCount="2" uniqueCount="2"'))

    assert guarded(data, False) == "file.corrupt"


def two_sheets() -> bytes:
    return xlsx_bytes({"Petit": [["Nom"], ["Acme"]], "Grand": [["Nom"], ["Acme"]]})


PART_CASES: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    # Which of two ids calamine follows is not the guard's guess to make.
    "two ids on a sheet": ("xl/workbook.xml", lambda content: content.replace(
        b'r:id="rId1"', b'r:id="rId1" x:id="rId2" xmlns:x="urn:x"')),
    "no id on a sheet": ("xl/workbook.xml", lambda content: content.replace(b' r:id="rId1"', b"")),
    "a sheet name twice": ("xl/workbook.xml", lambda content: content.replace(
        b'name="Grand"', b'name="Petit"')),
    "relationships that do not parse": ("xl/_rels/workbook.xml.rels", lambda content: content.replace(
        b'Id="rId1"', b'Id="rId1" Target=<x>', 1)),
    "relationships that do not end": ("xl/_rels/workbook.xml.rels", lambda content: content.replace(
        b"</Relationships>", b"")),
    "a relationship id twice": ("xl/_rels/workbook.xml.rels", lambda content: content.replace(
        b'Id="rId2"', b'Id="rId1"')),
    "a sheet's relationship missing": ("xl/_rels/workbook.xml.rels", lambda content: content.replace(
        b'Id="rId1"', b'Id="rId9"')),
    "a sheet's part missing": ("xl/_rels/workbook.xml.rels", lambda content: content.replace(
        b'Target="worksheets/sheet1.xml"', b'Target="worksheets/absent.xml"')),
    "two workbooks in the package": ("_rels/.rels", lambda content: content.replace(
        b"</Relationships>", b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="xl/other.xml"/></Relationships>')),
}


@pytest.mark.parametrize("case", PART_CASES.values(), ids=PART_CASES.keys())
def test_workbook_parts_read_otherwise_than_calamine_reads_them_are_refused(
        guarded: Callable[[bytes, bool], str], case: tuple[str, Callable[[bytes], bytes]]) -> None:
    part, edit = case

    assert guarded(with_entry(two_sheets(), part, edit), True) in ("file.corrupt", "file.sheet_not_found")


def test_a_sheet_is_checked_in_the_part_calamine_reads_whatever_its_target_says(
        guarded: Callable[[bytes, bool], str]) -> None:
    # calamine reads {folder}workbook.xml whatever the package's target names, and looks the
    # sheet's part up ignoring case: the far cell is in the part calamine reads.
    data = with_entry(crafted_xlsx(FIRST + b'<row r="1048576">' + FAR + b"</row>"), "_rels/.rels",
                      lambda content: content.replace(b'Target="xl/workbook.xml"', b'Target="xl/BOOK.xml"'))
    data = with_entry(data, "xl/_rels/workbook.xml.rels",
                      lambda content: content.replace(b"worksheets/sheet1.xml", b"WORKSHEETS/Sheet1.XML"))

    assert guarded(data, True) == "file.too_large"


@pytest.mark.parametrize("twin", ["xl/worksheets/Sheet1.xml", "xl\\worksheets\\sheet1.xml"])
def test_zip_entries_that_calamine_would_confuse_are_refused(guarded: Callable[[bytes, bool], str],
                                                             twin: str) -> None:
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(crafted_xlsx(FIRST)))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        archive.writestr(twin, SHEET_START + b"<sheetData>" + FIRST + b'<row r="1048576">' + FAR
                         + b"</row></sheetData></worksheet>")

    assert guarded(buffer.getvalue(), False) == "file.corrupt"


# --------------------------------------------------------------------------------------------
# ODS

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_CONTENT = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="Feuille1">%s</table:table>'
               b"</office:spreadsheet></office:body></office:document-content>")
ODS_ROW = (b'<table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p>'
           b"</table:table-cell></table:table-row>")
VALUE_CELL = (b'<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
              b"</table:table-cell>")


def ods(rows: bytes) -> bytes:
    """An ODS zip laid out as LibreOffice writes it (mimetype first, stored), one table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODS_MIMETYPE)
        archive.writestr("content.xml", ODS_CONTENT % (ODS_ROW + rows), zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
                         zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_a_plain_ods_reads() -> None:
    table = ui.read_table(ods(b"<table:table-row>" + VALUE_CELL + b"</table:table-row>"))

    assert [row.values for row in table.rows] == [("1",)]


@pytest.mark.parametrize("count", [b"+999999", b"&#57;99999", b" 999999", b"0999999", b"999999 "])
def test_ods_repetition_counts_written_unusually_are_refused(guarded: Callable[[bytes, bool], str],
                                                             count: bytes) -> None:
    rows = (b'<table:table-row table:number-rows-repeated="' + count + b'">' + VALUE_CELL
            + b"</table:table-row>")
    cells = (b'<table:table-row><table:table-cell table:number-columns-repeated="' + count
             + b'" office:value-type="float" office:value="1"/></table:table-row>')

    assert guarded(ods(rows), False) == "file.corrupt"
    assert guarded(ods(cells), False) == "file.corrupt"


ODS_CASES = {
    "a count inside another attribute's value": (
        b"<table:table-row table:style-name='table:number-rows-repeated=\"1\"' "
        b'table:number-rows-repeated="3000000">' + VALUE_CELL + b"</table:table-row>", "file.too_large"),
    "a repeated attribute": (
        b'<table:table-row table:number-rows-repeated="1" table:number-rows-repeated="3000000">'
        + VALUE_CELL + b"</table:table-row>", "file.corrupt"),
    "a comment": (b"<!-- <table:table-row> -->", "file.corrupt"),
    "a row inside a cell": (
        b'<table:table-row><table:table-cell office:value-type="string"><table:table-row/>'
        b"</table:table-cell></table:table-row>", "file.corrupt"),
    # <text:s text:c="n"/> is n spaces that calamine writes out.
    "a huge run of spaces": (
        b'<table:table-row><table:table-cell office:value-type="string"><text:p>a'
        b'<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row>', "file.too_large"),
    # Each repetition of the row is a copy of its 100 KB value: 2 GB.
    "a long value repeated": (
        b'<table:table-row table:number-rows-repeated="20000"><table:table-cell office:value-type="string" '
        b'office:string-value="' + b"x" * 100_000 + b'"/></table:table-row>', "file.too_large"),
}


@pytest.mark.parametrize("case", ODS_CASES.values(), ids=ODS_CASES.keys())
def test_ods_content_read_otherwise_than_calamine_reads_it_is_refused(
        guarded: Callable[[bytes, bool], str], case: tuple[bytes, str]) -> None:
    rows, code = case

    assert guarded(ods(rows), False) == code


# --------------------------------------------------------------------------------------------
# XLS

def directory_entries(data: bytes) -> Iterator[int]:
    """Offsets in ``data`` of the directory entries of an xlwt file's first directory sector
    (512-byte sectors)."""
    first = struct.unpack_from("<I", data, 48)[0]
    start = (first + 1) * 512
    return iter(range(start, start + 512, 128))


def entry_name(data: bytes, offset: int) -> str:
    size = struct.unpack_from("<H", data, offset + 64)[0]
    return data[offset:offset + max(size - 2, 0)].decode("utf-16-le")


def named(entry: bytes, name: str) -> bytes:
    return name.encode("utf-16-le").ljust(64, b"\x00") + struct.pack("<H", len(name) * 2 + 2) + entry[66:]


def renamed(data: bytes, new: str) -> bytes:
    """``data`` with its workbook stream's directory entry renamed ``new``."""
    offset = next(offset for offset in directory_entries(data) if entry_name(data, offset) == "Workbook")
    return data[:offset] + named(data[offset:offset + 128], new) + data[offset + 128:]


def twinned(data: bytes, twin: str) -> bytes:
    """``data`` with a second directory entry, ``twin``, for its workbook stream."""
    offsets = list(directory_entries(data))
    original = next(offset for offset in offsets if entry_name(data, offset) == "Workbook")
    free = next(offset for offset in offsets if not entry_name(data, offset))
    return data[:free] + named(data[original:original + 128], twin) + data[free + 128:]


@pytest.mark.parametrize("edit", [
    # Two streams calamine could take for the workbook, one chosen by directory order.
    lambda data: twinned(data, "Workbook"),
    # One, spelled in a case calamine does not look for.
    lambda data: renamed(data, "WorkBook"),
], ids=["Workbook twice", "odd case"])
def test_xls_workbook_streams_calamine_could_choose_otherwise_are_refused(
        guarded: Callable[[bytes, bool], str], edit: Callable[[bytes], bytes]) -> None:
    data = edit(xls_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]}))

    assert guarded(data, False) == "file.corrupt"


@pytest.mark.parametrize("twin", ["Book", "WORKBOOK"])
def test_xls_streams_calamine_does_not_take_do_not_matter(twin: str) -> None:
    # calamine prefers Workbook: the guard checks that one, and the file reads.
    data = twinned(xls_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]}), twin)

    assert [row.values for row in ui.read_table(data).rows] == [("Acme", "Paris")]


def test_an_xls_with_book_and_workbook_streams_passes_the_guard(corpus_dir: Path) -> None:
    # Written for Excel 5 and 97 at once: calamine takes Book (WorkBook is not one of its
    # spellings), and so does the guard.
    data = (corpus_dir / "biff5-rich-text-string.xls").read_bytes()

    check_xls(data, ui.Limits())
    assert len(workbook_stream(data)) == 4_061  # the Book stream's size (WorkBook holds 4,723 bytes)


def test_a_long_xls_shared_string_shown_by_many_cells_is_refused(
        guarded: Callable[[bytes, bool], str]) -> None:
    # calamine copies the string into each cell: 40,000 copies of 30,000 characters from 300 KB.
    long = "x" * 30_000
    data = xls_bytes({"S": [["Nom"], *([long] for _ in range(40_000))]})

    assert guarded(data, False) == "file.too_large"


def test_a_long_xls_shared_string_shown_by_some_cells_reads() -> None:
    table = ui.read_table(xls_bytes({"S": [["Nom"], *(["x" * 30_000] for _ in range(100))]}))

    assert len(list(table.rows)) == 100


def test_an_xls_holding_a_zipped_workbook_is_refused(guarded: Callable[[bytes, bool], str]) -> None:
    # calamine falls back on its zip readers when its XLS reader fails.
    data = xls_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]}) + xlsx_bytes({"S": [["Nom"]]})

    assert guarded(data, False) == "file.corrupt"


# --------------------------------------------------------------------------------------------
# XLSB

def xlsb_record(kind: int, body: bytes) -> bytes:
    def varint(value: int) -> bytes:
        out = b""
        while True:
            byte, value = value & 0x7F, value >> 7
            out += bytes([byte | (0x80 if value else 0)])
            if not value:
                return out

    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    return head + varint(len(body)) + body


def xlsb_with_string(base: bytes, text: str, cells: int) -> bytes:
    """The real XLSB ``base`` with a shared string ``text`` shown by ``cells`` cells of column A."""
    strings = (xlsb_record(0x9F, struct.pack("<II", 1, 1))
               + xlsb_record(0x13, b"\x00" + struct.pack("<I", len(text)) + text.encode("utf-16-le"))
               + xlsb_record(0xA0, b""))
    records = b"".join(xlsb_row_header(row) + xlsb_record(0x07, struct.pack("<III", 0, 0, 0))
                       for row in range(1, cells + 1))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(io.BytesIO(xlsb_with_records(base, records)))
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        archive.writestr("xl/sharedStrings.bin", strings)
    return buffer.getvalue()


def test_a_long_xlsb_shared_string_shown_by_many_cells_is_refused(
        guarded: Callable[[bytes, bool], str], corpus_dir: Path) -> None:
    text = "".join(random.Random(3).choices(string.ascii_letters, k=500_000))
    data = xlsb_with_string((corpus_dir / "date.xlsb").read_bytes(), text, 2_000)

    assert guarded(data, True) == "file.too_large"


def test_a_long_xlsb_shared_string_shown_by_some_cells_reads(corpus_dir: Path) -> None:
    data = xlsb_with_string((corpus_dir / "date.xlsb").read_bytes(), "Acme " * 1_000, 10)

    rows = list(ui.read_table(data).rows)

    assert sum(1 for row in rows for value in row.values if value and value.startswith("Acme")) == 10


# --------------------------------------------------------------------------------------------
# Real writers' files still read

def test_openpyxl_files_read(tmp_path: Path) -> None:
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet_ = workbook.active
    sheet_.title = "Clients"
    sheet_.append(["Nom", "Ville", "Montant"])
    for index in range(50):
        sheet_.append([f"Client {index}", "Paris", index * 1.5])
    workbook.create_sheet("Vide")
    path = tmp_path / "openpyxl.xlsx"
    workbook.save(path)

    table = ui.read_table(path)

    assert table.headers[:2] == ("Nom", "Ville")
    assert len(list(table.rows)) == 50


def test_xlsxwriter_constant_memory_files_read() -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet_ = workbook.add_worksheet("Clients")
    for row in range(30):
        sheet_.write_row(row, 0, ["Nom", "Ville"] if row == 0 else [f"Client {row}", "Lyon"])
    workbook.close()

    table = ui.read_table(buffer.getvalue())

    assert len(list(table.rows)) == 29


@pytest.mark.parametrize("extension", ["xlsx", "ods", "xls"])
def test_libreoffice_files_read(tmp_path: Path, extension: str) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: its exports are not checked here")
    source = tmp_path / "clients.csv"
    source.write_bytes(csv_bytes([["Nom", "Ville", "Montant"],
                                  *[[f"Client {index}", "Nantes", str(index)] for index in range(40)]],
                                 delimiter=","))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", extension, "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)

    table = ui.read_table(tmp_path / f"clients.{extension}")

    assert table.headers == ("Nom", "Ville", "Montant")
    assert len(list(table.rows)) == 40
