"""Formats come from the bytes: what is not a spreadsheet is refused with the right code."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from reader_files import csv_bytes, replace_entry, xlsx_bytes

import upflow_import as ui

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def code_of(source: object, **options: object) -> str:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(source, **options)  # type: ignore[arg-type]
    return raised.value.code


@pytest.mark.parametrize(("data", "detected"), [
    (PDF, "a PDF document"),
    (PNG, "a PNG image"),
    (b"<!DOCTYPE html><html><body><table><tr><td>Nom</td></tr></table></body></html>", "an HTML page"),
    (random.Random(7).randbytes(4096), "binary data"),
    (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     "an Excel 2003 XML spreadsheet"),
])
def test_what_is_not_a_spreadsheet_is_unsupported(data: bytes, detected: str) -> None:
    with pytest.raises(ui.UnreadableFileError) as raised:
        ui.read_table(data)
    assert raised.value.code == "file.unsupported_format"
    assert dict(raised.value.issue.params)["detected"] == detected


def numbers_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Index/Document.iwa", b"\x00\x01\x02")
        archive.writestr("Index/Tables/DataList.iwa", b"\x00")
        archive.writestr("Metadata/DocumentIdentifier", b"5E2B")
        archive.writestr("preview.jpg", b"\xff\xd8\xff")
    return buffer.getvalue()


def test_an_apple_numbers_document_is_refused_with_its_own_advice(tmp_path: Path) -> None:
    assert code_of(numbers_archive()) == "file.numbers_unsupported"
    bundle = tmp_path / "Clients.numbers"
    (bundle / "Index").mkdir(parents=True)
    (bundle / "Index" / "Document.iwa").write_bytes(b"\x00")
    assert code_of(bundle) == "file.numbers_unsupported"
    error = ui.UnreadableFileError.from_code("file.numbers_unsupported")
    assert "XLSX" in (error.issue.hint or "")


def test_a_zip_that_is_not_a_workbook_is_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
    assert code_of(buffer.getvalue()) == "file.unsupported_format"


def test_a_truncated_xlsx_is_corrupt() -> None:
    data = xlsx_bytes({"S": [["Nom"], ["Acme"]]})
    assert code_of(data[: len(data) // 2]) == "file.corrupt"


def test_the_extension_is_only_a_hint(tmp_path: Path) -> None:
    xlsx_named_csv = tmp_path / "clients.csv"
    xlsx_named_csv.write_bytes(xlsx_bytes({"S": [["Nom"], ["Acme"]]}))
    csv_named_xlsx = tmp_path / "clients.xlsx"
    csv_named_xlsx.write_bytes(csv_bytes([["Nom", "Ville"], ["Acme", "Paris"]]))

    assert ui.read_table(xlsx_named_csv).format == "xlsx"
    assert ui.read_table(csv_named_xlsx).format == "csv"


def test_an_encrypted_office_file_is_password_protected(corpus_dir: Path) -> None:
    data = (corpus_dir / "pass_protected.xlsx").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # Office stores it as an OLE2 container
    assert code_of(data) == "file.password_protected"


def test_a_missing_path_raises_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ui.read_table(tmp_path / "absent.csv")


def test_a_zip_with_two_entries_of_one_name_is_corrupt() -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"S": [["Nom"], ["Acme"]]})))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    assert code_of(buffer.getvalue()) == "file.corrupt"


def test_shared_strings_announcing_more_than_they_hold_are_corrupt() -> None:
    data = xlsx_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]})
    strings = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
    lying = strings.replace(b'uniqueCount="4"', b'uniqueCount="100000"')
    assert lying != strings
    assert code_of(replace_entry(data, "xl/sharedStrings.xml", lying)) == "file.corrupt"
