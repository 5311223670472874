"""Regression tests of the differential fuzzer's findings (``fuzz/differential.py``): workbooks
that the guard read one way and calamine another, so that the guard passed them while calamine
asked for gigabytes and aborted the interpreter. Each file is built here from a file written by
XlsxWriter or xlwt (or a hand-made ODS) plus the edit the fuzzer found, and read in a child
process with a memory cap, so that a regression fails the test instead of ending the run. Each
must be refused before calamine reads it."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
import xlwt
from isolation import read_in_child
from reader_files import replace_entry, xlsx_bytes

from upflow_import.readers.reach_xls import workbook_stream

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
from differential import compound_file
from targets import SEED_ROWS, crafted_ods

REFUSED = {"file.corrupt", "file.unsupported_format", "file.too_large"}
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FAR_SHEET = (b'<?xml version="1.0"?><worksheet xmlns="' + MAIN + b'"><sheetData><row r="1"><c r="A1"><v>1</v>'
             b'</c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')


def written_xlsx() -> bytes:
    return xlsx_bytes({"Clients": [["Nom du client", "Ville"], ["Acme", "Paris"]]})


def entry(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def with_entries(data: bytes, added: dict[str, bytes]) -> bytes:
    """``data`` with more entries (or entries replaced)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in added:
                target.writestr(info.filename, source.read(info))
        for name, content in added.items():
            target.writestr(name, content)
    return buffer.getvalue()


def with_sheet_row(row: bytes, *, root_attributes: bytes = b"") -> bytes:
    """XlsxWriter's workbook with ``row`` added at the end of its sheet's data."""
    data = written_xlsx()
    sheet = entry(data, "xl/worksheets/sheet1.xml").replace(b"</sheetData>", row + b"</sheetData>")
    if root_attributes:
        sheet = sheet.replace(b"<worksheet ", b"<worksheet " + root_attributes + b" ", 1)
    return replace_entry(data, "xl/worksheets/sheet1.xml", sheet)


def with_far_sheet_behind(sheet_tag: bytes, relationship: bytes = b"") -> bytes:
    """XlsxWriter's workbook with a far-reaching part ``xl/worksheets/sheet9.xml`` related as
    ``rIdBig`` (or as ``relationship``), and its ``<sheet>`` element replaced by ``sheet_tag``."""
    data = written_xlsx()
    workbook = entry(data, "xl/workbook.xml")
    original = re.search(rb"<sheet [^>]*/>", workbook)
    assert original is not None
    relations = entry(data, "xl/_rels/workbook.xml.rels")
    relationship = relationship or (b'<Relationship Id="rIdBig" Type="' + RELATIONSHIPS + b'/worksheet" '
                                    b'Target="worksheets/sheet9.xml"/>')
    return with_entries(data, {
        "xl/workbook.xml": workbook.replace(original[0], sheet_tag),
        "xl/_rels/workbook.xml.rels": relations.replace(b"</Relationships>",
                                                        relationship + b"</Relationships>"),
        "xl/worksheets/sheet9.xml": FAR_SHEET,
    })


def with_shared_strings_count_after_a_mib() -> bytes:
    data = written_xlsx()
    strings = entry(data, "xl/sharedStrings.xml")
    # Hexadecimal noise: it deflates about 2:1, within the archive's ratio check.
    padding = b' x="' + bytes(range(256)).hex().encode() * 2200 + b'"'
    lying = re.sub(rb'\s(?:uniqueCount|count)="\d+"', b"", strings)
    lying = lying.replace(b"<sst ", b"<sst" + padding + b' uniqueCount="4294967295" ', 1)
    return replace_entry(data, "xl/sharedStrings.xml", lying)


XLSX_CASES = {
    # <c> with two r attributes: the guard read the first, calamine the last.
    "duplicate_r_far_last.xlsx": with_sheet_row(b'<row r="3"><c r="A3" r="XFD1048576"><v>1</v></c></row>'),
    "duplicate_r_far_first.xlsx": with_sheet_row(b'<row r="3"><c r="XFD1048576" r="A3"><v>1</v></c></row>'),
    # r="A3" inside another attribute's value, found by the guard's search for r.
    "r_inside_a_value.xlsx": with_sheet_row(b'<row r="3"><c x=\' r="A3"\' r="XFD1048576"><v>1</v></c></row>'),
    # No space between two attributes: calamine reads the r, the guard's pattern wanted a space.
    "unseparated_attributes.xlsx": with_sheet_row(b'<row r="3"><c s="0"r="XFD1048576"><v>1</v></c></row>'),
    # A non-ASCII namespace prefix: not a \w prefix for the guard's bytes patterns.
    "non_ascii_prefix.xlsx": with_sheet_row(
        "<row r=\"3\"><é:c r=\"XFD1048576\"><é:v>1</é:v></é:c></row>".encode(),
        root_attributes=b'xmlns:\xc3\xa9="' + MAIN + b'"'),
    # The shared strings' count after the first MiB of the part, which the guard read alone.
    "shared_strings_count_after_a_mib.xlsx": with_shared_strings_count_after_a_mib(),
    # <sheet> with two *:id attributes: the guard took one, calamine the other.
    "sheet_ids_far_second.xlsx": with_far_sheet_behind(
        b'<sheet name="Clients" sheetId="1" r:id="rId1" x:id="rIdBig" xmlns:x="' + RELATIONSHIPS + b'"/>'),
    "sheet_ids_far_first.xlsx": with_far_sheet_behind(
        b'<sheet name="Clients" sheetId="1" x:id="rIdBig" xmlns:x="' + RELATIONSHIPS + b'" r:id="rId1"/>'),
}


def test_xlsx_sheets_read_otherwise_by_the_guard_are_refused(tmp_path: Path) -> None:
    paths = []
    for name, data in XLSX_CASES.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=60)

    assert {name: outcome.codes[name] in REFUSED for name in XLSX_CASES} == dict.fromkeys(XLSX_CASES, True), (
        outcome.codes)


def ods_with_repeat(attribute: bytes) -> bytes:
    """The hand-made ODS with a row whose first cell, holding a value, repeats as ``attribute``
    says, before a second value."""
    data = crafted_ods(SEED_ROWS)
    content = entry(data, "content.xml")
    row = (b"<table:table-row><table:table-cell " + attribute
           + b' office:value-type="float" office:value="1"/>'
           b'<table:table-cell office:value-type="float" office:value="2"/></table:table-row>')
    first_row = content.index(b"<table:table-row")
    return with_entries(data, {"content.xml": content[:first_row] + row + content[first_row:]})


ODS_CASES = {
    "repeat_with_a_sign.ods": ods_with_repeat(b'table:number-columns-repeated="+16384"'),
    "repeat_as_character_references.ods": ods_with_repeat(b'table:number-columns-repeated="&#49;6384"'),
    "repeat_with_spaces.ods": ods_with_repeat(b'table:number-columns-repeated=" 16384 "'),
}


def test_ods_repeat_counts_in_odd_forms_are_refused(tmp_path: Path) -> None:
    paths = []
    for name, data in ODS_CASES.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=60)

    assert {name: outcome.codes[name] in REFUSED for name in ODS_CASES} == dict.fromkeys(ODS_CASES, True), (
        outcome.codes)


def xlwt_stream(*, far_sheets: int) -> bytes:
    """xlwt's workbook stream: one small sheet, or ``far_sheets`` sheets with a value at A1 and at
    IV65536 (16.7 million cells each: 2 GB for calamine with four of them)."""
    workbook = xlwt.Workbook()
    if not far_sheets:
        workbook.add_sheet("Clients").write(0, 0, "Nom du client")
    for index in range(far_sheets):
        sheet = workbook.add_sheet(f"S{index}")
        sheet.write(0, 0, "Nom")
        sheet.write(65535, 255, "far")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return workbook_stream(buffer.getvalue())


def two_stream_files(folder: Path, names: tuple[str, str]) -> list[Path]:
    """Compound files with a small and a far-reaching workbook stream under ``names``, in both
    orders."""
    small, far = xlwt_stream(far_sheets=0), xlwt_stream(far_sheets=4)
    paths = []
    for order in ((small, far), (far, small)):
        path = folder / f"{'small_first' if order[0] is small else 'far_first'}.xls"
        path.write_bytes(compound_file(list(zip(names, order, strict=True))))
        paths.append(path)
    return paths


@pytest.mark.parametrize("names", [("Workbook", "Workbook"), ("Book", "Book")])
def test_xls_with_one_workbook_stream_name_twice_is_refused(tmp_path: Path, names: tuple[str, str]) -> None:
    # The fuzzer's: the guard read the last entry of the name, calamine the first.
    outcome = read_in_child(two_stream_files(tmp_path, names), per_file_seconds=60)

    assert {name: code in REFUSED for name, code in outcome.codes.items()} == {
        "small_first.xls": True, "far_first.xls": True}, outcome.codes


@pytest.mark.parametrize("names", [("Workbook", "WORKBOOK"), ("WORKBOOK", "Workbook"), ("Book", "Workbook"),
                                   ("Workbook", "Book"), ("Book", "BOOK"), ("workbook", "BOOK")])
def test_xls_with_workbook_streams_of_several_spellings_is_checked_where_calamine_reads(
        tmp_path: Path, names: tuple[str, str]) -> None:
    # The fuzzer's: the guard took the last entry once the names were lowered, calamine the
    # first of Workbook, Book, WORKBOOK, BOOK in that order of preference, whatever the entries'
    # order (Excel 5/97 files hold both a Book and a Workbook stream). That one is checked now:
    # with the far stream there, the file is too large; with the small one, it reads.
    outcome = read_in_child(two_stream_files(tmp_path, names), per_file_seconds=60)

    assert sorted(outcome.codes.values(), key=str) == [None, "file.too_large"], outcome.codes


def test_a_zip_entry_named_with_backslashes_beside_the_sheet_is_refused(tmp_path: Path) -> None:
    # The fuzzer's: xl\worksheets\sheet1.xml beside xl/worksheets/sheet1.xml. The guard checked
    # the second; calamine's zip reader takes both for the same name and read the first.
    for order in ("added after", "added before"):
        data = written_xlsx()
        if order == "added after":
            data = with_entries(data, {"xl\\worksheets\\sheet1.xml": FAR_SHEET})
        else:
            source = zipfile.ZipFile(io.BytesIO(data))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
                target.writestr("xl\\worksheets\\sheet1.xml", FAR_SHEET)
                for info in source.infolist():
                    target.writestr(info.filename, source.read(info))
            data = buffer.getvalue()
        path = tmp_path / f"{order.replace(' ', '_')}.xlsx"
        path.write_bytes(data)

    outcome = read_in_child(sorted(tmp_path.iterdir()), per_file_seconds=60)

    assert {name: code in REFUSED for name, code in outcome.codes.items()} == {
        "added_after.xlsx": True, "added_before.xlsx": True}, outcome.codes


def test_a_relationship_id_given_twice_is_refused(tmp_path: Path) -> None:
    # The fuzzer's: a second relationship rId1, external, to a far-reaching part. The guard skipped
    # the external one; calamine does not look at TargetMode and read the far part.
    cases = {}
    for name, mode in (("external.xlsx", b' TargetMode="External"'), ("internal.xlsx", b"")):
        second = (b'<Relationship Id="rId1" Type="' + RELATIONSHIPS + b'/worksheet" '
                  b'Target="worksheets/sheet9.xml"' + mode + b"/>")
        cases[name] = with_far_sheet_behind(b'<sheet name="Clients" sheetId="1" r:id="rId1"/>', second)
    paths = []
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=60)

    assert {name: code in REFUSED for name, code in outcome.codes.items()} == dict.fromkeys(cases, True), (
        outcome.codes)
