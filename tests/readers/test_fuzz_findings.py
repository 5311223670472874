"""Regression tests of the fuzzer's findings (``fuzz/``): each input that crashed the interpreter
is now refused with a code, read in a child process so that a regression fails the test instead of
ending the run. Inputs crafted from synthetic files are in ``tests/data/fuzz/``; inputs derived
from the shared corpus are derived again here, at test time."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from isolation import read_in_child

DATA = Path(__file__).resolve().parents[1] / "data" / "fuzz"

#: An XLSX shared-strings part announcing 2**32 - 1 strings: calamine reserves 96 GiB for them.
LYING_SHARED_STRINGS = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main" uniqueCount="4294967295"><si><t>s0</t></si></sst>')


def with_entry(archive: bytes, name: str, content: bytes) -> bytes:
    """``archive`` with one more entry."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        target.writestr(name, content)
    return buffer.getvalue()


def test_crafted_findings_are_refused() -> None:
    # far_cell_xlsx_posing_as_xlsb: XlsxWriter's workbook with a value at XFD1048576 and an
    # xl/workbook.bin entry. It was sniffed as XLSB and its binary parts checked, while calamine,
    # which tries its XLSX reader first, read the XML sheet and aborted on a 512 GiB allocation.
    # ods_misspelt_table_end (the fuzzer's, 1.5 KB: '</ta_ble:table>') and ods_unclosed_table
    # (content.xml ends inside its table): calamine looked for the table's end forever.
    outcome = read_in_child(sorted(DATA.iterdir()), per_file_seconds=30)

    assert outcome.codes == {"far_cell_xlsx_posing_as_xlsb.xlsb": "file.corrupt",
                             "ods_misspelt_table_end.ods": "file.corrupt",
                             "ods_unclosed_table.ods": "file.corrupt"}


def test_xlsb_files_with_an_xlsx_shared_strings_part_are_refused(tmp_path: Path, corpus_dir: Path) -> None:
    # Found by fuzzing (the corpus's XLSB files with this part added): calamine's XLSX reader,
    # tried first on every zip, read the part and reserved room for 2**32 - 1 strings.
    paths = []
    for name in ("date.xlsb", "issue_182.xlsb", "issue_419.xlsb"):
        base = (corpus_dir / name).read_bytes()
        path = tmp_path / name
        path.write_bytes(with_entry(base, "xl/sharedStrings.xml", LYING_SHARED_STRINGS))
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=30)

    assert outcome.codes == dict.fromkeys(["date.xlsb", "issue_182.xlsb", "issue_419.xlsb"], "file.too_large")


def test_a_dimensions_record_of_unusual_length_counts(tmp_path: Path, corpus_dir: Path) -> None:
    # Found by fuzzing (atheris) from the corpus's malformed_format.xls: one byte turned a 16-byte
    # Label record into a Dimensions record. calamine read it as one (claiming 393,239 rows by
    # 16,962 columns) and reserved 266 GB; a Dimensions of another length than 10 or 14 bytes was
    # not counted before.
    data = (corpus_dir / "malformed_format.xls").read_bytes()
    label = bytes.fromhex("040210000000020017000800")
    assert data.count(label) == 1
    path = tmp_path / "dimensions_16.xls"
    path.write_bytes(data.replace(label, b"\x00" + label[1:]))

    outcome = read_in_child([path], per_file_seconds=30)

    assert outcome.codes == {"dimensions_16.xls": "file.too_large"}


def test_ods_content_must_be_well_formed_xml_without_a_dtd(tmp_path: Path) -> None:
    # The rule that fixed the hangs above: content.xml is checked by expat before calamine reads it.
    original = zipfile.ZipFile(DATA / "ods_unclosed_table.ods")
    content = original.read("content.xml") + b"</table:table></office:spreadsheet></office:body>" \
        b"</office:document-content>"
    declaration, _, rest = content.partition(b"?>")
    variants = {
        "closed.ods": content,
        "dtd.ods": declaration + b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + rest,
        "mismatched.ods": content.replace(b"</text:p>", b"</text:q>"),
        "unknown_encoding.ods": content.replace(b'encoding="UTF-8"', b'encoding="bogus"'),
    }
    paths = []
    for name, variant in variants.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for info in original.infolist():
                data = variant if info.filename == "content.xml" else original.read(info.filename)
                target.writestr(zipfile.ZipInfo(info.filename), data)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue())
        paths.append(path)

    outcome = read_in_child(paths, per_file_seconds=30)

    assert outcome.codes == {"closed.ods": None, "dtd.ods": "file.corrupt", "mismatched.ods": "file.corrupt",
                             "unknown_encoding.ods": "file.corrupt"}
