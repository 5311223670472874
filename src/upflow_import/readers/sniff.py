"""Which kind of file this is, from its bytes (the file name is only a hint).

- zip archives are told apart by their parts: ``xl/workbook.xml`` is XLSX
  (XLSM too), ``xl/workbook.bin`` XLSB, an OpenDocument ``mimetype`` or
  ``content.xml`` ODS, ``Index/*.iwa`` an Apple Numbers document;
- an OLE2 compound file is XLS, unless it holds an ``EncryptedPackage``
  (a password-protected XLSX/XLSB, which Office stores that way) or has no
  workbook stream at all (a Word or Outlook file);
- PDF, images, other archives and binary data are ``file.unsupported_format``;
  so are HTML pages and XML files that some tools save with an ``.xls`` name;
- 0 bytes, or only whitespace and byte-order marks, is ``file.empty``;
- anything else is text, read as CSV.
"""

from __future__ import annotations

import io
import zipfile
from typing import Literal

from upflow_import.errors import UnreadableFileError
from upflow_import.readers.archive import ZIP_ERRORS

__all__ = ["OLE2_MAGIC", "Kind", "sniff", "utf16_byte_order"]

Kind = Literal["csv", "xlsx", "xls", "xlsb", "ods"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_WHITESPACE = b" \t\r\n\x0b\x0c"

# Magic numbers of formats people send by mistake, named in the error message.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\x00\x00\x00\x0cjP", "a JPEG 2000 image"),
)
_SAMPLE = 8192


def sniff(data: bytes, name: str | None = None) -> Kind:
    """The format of ``data``, or an :class:`~upflow_import.UnreadableFileError` saying why
    it cannot be read (``file.empty``, ``file.unsupported_format``,
    ``file.numbers_unsupported``, ``file.password_protected``, ``file.corrupt``)."""
    if _is_blank(data):
        raise UnreadableFileError.from_code("file.empty")
    if data.startswith(_ZIP_MAGICS):
        return _sniff_zip(data, name)
    if data.startswith(OLE2_MAGIC):
        return _sniff_ole2(data)
    for magic, detected in _SIGNATURES:
        if data.startswith(magic):
            raise UnreadableFileError.from_code("file.unsupported_format", detected=detected)
    if name is not None and name.lower().endswith(".numbers"):
        # Old Numbers documents are not zip archives either; the name is all we have.
        raise UnreadableFileError.from_code("file.numbers_unsupported")
    _check_text(data)
    return "csv"


def _is_blank(data: bytes) -> bool:
    head = data
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):]
            break
    # UTF-16 whitespace is whitespace with NUL bytes in between. Look at the start first:
    # a file with content shows it there, and the whole file is only scanned when it does not.
    blanks = _WHITESPACE + b"\x00"
    return not head[:_SAMPLE].translate(None, blanks) and not head.translate(None, blanks)


def _sniff_zip(data: bytes, name: str | None) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = _small_entry(archive, "mimetype")
    except ZIP_ERRORS as error:
        raise UnreadableFileError.from_code("file.corrupt", detail=f"broken zip archive: {error}") from None
    lowered = {entry.lower() for entry in names}
    if any(entry.endswith(".iwa") for entry in lowered) or (
            name is not None and name.lower().endswith(".numbers")):
        raise UnreadableFileError.from_code("file.numbers_unsupported")
    if len(_families(lowered)) > 1:
        # calamine tries its XLSX reader, then XLSB, then ODS, whatever the file says it is: the
        # parts checked before calamine must be the ones it reads (an XLSX with a workbook.bin
        # entry passed as XLSB, and calamine read its unchecked XML sheet; found while fixing
        # a fuzzing finding).
        raise UnreadableFileError.from_code("file.corrupt", detail="the archive holds the parts of several "
                                     "workbook formats")
    if mimetype is not None and mimetype.startswith(b"application/vnd.oasis.opendocument."):
        if b"spreadsheet" in mimetype:
            return "ods"
        raise UnreadableFileError.from_code("file.unsupported_format", detected="an OpenDocument text or "
                                     "presentation, not a spreadsheet")
    if any(entry.endswith("workbook.bin") for entry in lowered):
        return "xlsb"
    if any(entry.endswith("workbook.xml") for entry in lowered) or (
            "[content_types].xml" in lowered and any("/worksheets/" in entry for entry in lowered)):
        return "xlsx"
    if "content.xml" in lowered:
        return "ods"
    if any(entry.startswith("word/") for entry in lowered):
        raise UnreadableFileError.from_code("file.unsupported_format", detected="a Word document")
    if any(entry.startswith("ppt/") for entry in lowered):
        raise UnreadableFileError.from_code("file.unsupported_format", detected="a PowerPoint presentation")
    raise UnreadableFileError.from_code("file.unsupported_format", detected="a zip archive")


def _families(lowered: set[str]) -> set[Kind]:
    """The workbook formats whose main parts ``lowered`` (entry names in lower case) holds."""
    names = {entry.replace("\\", "/") for entry in lowered}
    families: set[Kind] = set()
    if any(entry.endswith(("workbook.xml", "workbook.xml.rels")) for entry in names):
        families.add("xlsx")
    if any(entry.endswith(("workbook.bin", "workbook.bin.rels")) for entry in names):
        families.add("xlsb")
    if "content.xml" in names:
        families.add("ods")
    return families


def _small_entry(archive: zipfile.ZipFile, entry: str) -> bytes | None:
    try:
        info = archive.getinfo(entry)
    except KeyError:
        return None
    if info.file_size > 200:
        return None
    with archive.open(info) as file:
        return file.read(200).strip()


def _sniff_ole2(data: bytes) -> Kind:
    # Directory entry names are UTF-16: a cheap look for them is enough to route
    # the file; the XLS reader parses the container properly afterwards.
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise UnreadableFileError.from_code("file.password_protected")
    return "xls"


def _check_text(data: bytes) -> None:
    sample = data[:_SAMPLE]
    stripped = sample.lstrip(_WHITESPACE).lower()
    if stripped.startswith(b"\xef\xbb\xbf"):
        stripped = stripped[3:].lstrip(_WHITESPACE)
    if stripped.startswith((b"<!doctype html", b"<html", b"<table")):
        raise UnreadableFileError.from_code("file.unsupported_format", detected="an HTML page")
    if stripped.startswith(b"<?xml"):
        detected = ("an Excel 2003 XML spreadsheet" if b"urn:schemas-microsoft-com:office:spreadsheet"
                    in sample else "an XML file")
        raise UnreadableFileError.from_code("file.unsupported_format", detected=detected)
    if _looks_utf16(sample):
        return
    if b"\x00" in sample:
        raise UnreadableFileError.from_code("file.unsupported_format", detected="binary data")
    controls = sum(sample.count(bytes([byte])) for byte in _CONTROL_BYTES)
    if controls * 100 > len(sample):
        raise UnreadableFileError.from_code("file.unsupported_format", detected="binary data")


# Bytes that never appear in a text file (tab, newlines, form feed and escape excepted).
_CONTROL_BYTES = tuple(b for b in range(32) if b not in (0, 9, 10, 12, 13, 27))


def _looks_utf16(sample: bytes) -> bool:
    """Text in UTF-16 has a NUL in every other byte (for Latin text) or starts with a BOM."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return utf16_byte_order(sample) is not None


def utf16_byte_order(sample: bytes) -> str | None:
    """``'utf-16-le'`` or ``'utf-16-be'`` when ``sample`` looks like BOM-less UTF-16 text."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls >= 0.6 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.6 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None
