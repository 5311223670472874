"""Every limit of ``Limits``, in every format it applies to, through ``read_table`` and ``import_file``:
a file beyond it is ``file.too_large`` naming that limit, within a time bound proportional to its
size (checked in a child process with a memory cap, so that a limit that does not hold fails the
test instead of taking the run down)."""

from __future__ import annotations

import io
import json
import random
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import attrs
import pytest
import xlwt
from reader_files import crafted_xlsx, csv_bytes, xlsb_number, xlsb_row_header, xlsb_with_records

import upflow_import as ui

MiB = 1024 * 1024

_CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))
import upflow_import as ui

ui.read_table(b"Nom\nAcme\n", isolate=True)  # the isolated reader's worker starts here, not in a case
for case in json.loads(sys.stdin.read()):
    limits = ui.Limits(**case["limits"])
    with open(case["path"], "rb") as file:
        kind = case["source"]
        source = file.read() if kind == "bytes" else file if kind == "file" else case["path"]
        started = time.monotonic()
        try:
            if case["via"] == "read_table":
                sum(1 for _ in ui.read_table(source, limits=limits).rows)
            else:
                ui.import_file(source, ui.InMemoryRepository(), dry_run=True, limits=limits)
            outcome = None
        except ui.UpflowImportError as error:
            outcome = [error.code, dict(error.issue.params).get("limit")]
        seconds = time.monotonic() - started
    print(json.dumps({**case, "outcome": outcome, "seconds": seconds}), flush=True)
"""


@attrs.frozen
class Case:
    """A file beyond ``limit`` once ``limits`` apply."""

    name: str
    data: bytes
    limit: str
    limits: ui.Limits
    source: str = "path"


def bound(size: int) -> float:
    """Seconds a refusal may take: generous (a busy CI machine), and proportional to the size."""
    return 10 + 4 * size / MiB


def check_in_child(tmp_path: Path, cases: list[Case]) -> None:
    requests = []
    for case in cases:
        path = tmp_path / case.name
        path.write_bytes(case.data)
        for via in ("read_table", "import_file"):
            requests.append({"name": case.name, "path": str(path), "source": case.source, "via": via,
                             "limits": attrs.asdict(case.limits)})
    budget = sum(bound(len(case.data)) for case in cases) * 2 + 60
    process = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(requests), capture_output=True,
                             text=True, timeout=budget, check=False)
    assert process.returncode == 0, process.stderr[-3000:]
    answers = [json.loads(line) for line in process.stdout.splitlines()]
    assert len(answers) == len(requests)
    by_name = {case.name: case for case in cases}
    for answer in answers:
        case = by_name[answer["name"]]
        assert (answer["name"], answer["via"], answer["outcome"]) == (
            case.name, answer["via"], ["file.too_large", case.limit])
        assert answer["seconds"] < bound(len(case.data)), answer


def repeated_rows(count: int, cells: int = 2, *, dimension: bool = True) -> bytes:
    """An XLSX whose sheet has ``count`` rows of ``cells`` numbers after the header."""
    row = b"".join(b'<c r="%s%%d"><v>1</v></c>' % column_name(index) for index in range(cells))
    body = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + b"".join(
        b'<row r="%d">' % number + row.replace(b"%d", b"%d" % number) + b"</row>"
        for number in range(2, count + 2))
    last = column_name(max(cells, 2) - 1) + b"%d" % (count + 1)
    return crafted_xlsx(body, dimension=b"A1:" + last if dimension else None)


def column_name(index: int) -> bytes:
    letters = b""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = bytes([65 + remainder]) + letters
    return letters


def ods(rows: list[list[str]], *, repeat_rows: int = 1) -> bytes:
    """An OpenDocument spreadsheet written by hand (``repeat_rows`` copies of the rows after the
    first one, each written out)."""
    def row(cells: list[str]) -> bytes:
        return b"<table:table-row>" + b"".join(
            b'<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
            % cell.encode() for cell in cells) + b"</table:table-row>"

    body = row(rows[0]) + b"".join(row(cells) for cells in rows[1:]) * repeat_rows
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="S">' + body +
               b"</table:table></office:spreadsheet></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                         b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                         b'vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    return buffer.getvalue()


def xls(rows: int, columns: int) -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("S")
    for column in range(columns):
        sheet.write(0, column, f"h{column}")
    for number in range(1, rows + 1):
        for column in range(columns):
            sheet.write(number, column, number)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_limit_is_too_large_in_every_format_within_a_bound(tmp_path: Path) -> None:
    header = [f"h{index}" for index in range(20)]
    big_csv = csv_bytes([header, *([["x" * 10] * 20] * 15_000)])  # 3.5 MB
    wide = [f"h{index}" for index in range(3_000)]
    long_cell = "".join(random.Random(7).choices(string.ascii_letters, k=3_000_000))  # hardly compressible
    cases = [
        # max_bytes: before anything is parsed, whichever way the file comes.
        Case("bytes.csv", big_csv, "max_bytes", ui.Limits(max_bytes=MiB)),
        Case("bytes_given.csv", big_csv, "max_bytes", ui.Limits(max_bytes=MiB), source="bytes"),
        Case("file_object.xlsx", repeated_rows(30_000), "max_bytes", ui.Limits(max_bytes=100_000),
             source="file"),
        # max_uncompressed_bytes and max_compression_ratio: from the archive's directory.
        Case("uncompressed.xlsx", repeated_rows(100_000), "max_uncompressed_bytes",
             ui.Limits(max_uncompressed_bytes=MiB)),
        Case("uncompressed.ods", ods([["a", "b"], ["1", "2"]], repeat_rows=100_000), "max_uncompressed_bytes",
             ui.Limits(max_uncompressed_bytes=MiB)),
        Case("ratio.xlsx", repeated_rows(100_000), "max_compression_ratio",
             ui.Limits(max_compression_ratio=5)),
        Case("ratio.ods", ods([["a", "b"], ["1", "2"]], repeat_rows=100_000), "max_compression_ratio",
             ui.Limits(max_compression_ratio=5)),
        # max_rows: while a CSV is read; from a workbook's cells before calamine reads them.
        Case("rows.csv", big_csv, "max_rows", ui.Limits(max_rows=1_000)),
        Case("rows.xlsx", repeated_rows(100_000), "max_rows", ui.Limits(max_rows=1_000)),
        Case("rows_without_dimension.xlsx", repeated_rows(100_000, dimension=False), "max_rows",
             ui.Limits(max_rows=1_000)),
        Case("rows.xls", xls(5_000, 2), "max_rows", ui.Limits(max_rows=1_000)),
        Case("rows.ods", ods([["a", "b"], ["1", "2"]], repeat_rows=50_000), "max_rows",
             ui.Limits(max_rows=1_000, max_compression_ratio=10_000)),
        # max_columns
        Case("columns.csv", csv_bytes([wide, ["1"] * 3_000]), "max_columns", ui.Limits(max_columns=100)),
        Case("columns.xlsx", repeated_rows(10, 3_000), "max_columns", ui.Limits(max_columns=100)),
        Case("columns.xls", xls(10, 200), "max_columns", ui.Limits(max_columns=100)),
        Case("columns.ods", ods([wide, ["1"] * 3_000]), "max_columns", ui.Limits(max_columns=100)),
        # max_cell_chars
        Case("cell.csv", csv_bytes([["Nom", "Note"], ["Acme", long_cell]]), "max_cell_chars",
             ui.Limits(max_cell_chars=1_000)),
        Case("cell.xlsx", crafted_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2">'
                                       b'<c r="A2" t="inlineStr"><is><t>' + long_cell.encode() +
                                       b"</t></is></c></row>"),
             "max_cell_chars", ui.Limits(max_cell_chars=1_000)),
        Case("cell.xls", xls_bytes_with_cell("y" * 5_000), "max_cell_chars", ui.Limits(max_cell_chars=1_000)),
        Case("cell.ods", ods([["Nom"], [long_cell]]), "max_cell_chars", ui.Limits(max_cell_chars=1_000)),
        # max_cells: the rectangle the workbook's cells span.
        Case("cells.xlsx", repeated_rows(2_000, 100), "max_cells", ui.Limits(max_cells=10_000)),
        Case("cells.xls", xls(1_000, 100), "max_cells", ui.Limits(max_cells=10_000)),
        Case("cells.ods", ods([[f"h{index}" for index in range(100)], ["1"] * 100], repeat_rows=1_000),
             "max_cells", ui.Limits(max_cells=10_000, max_compression_ratio=10_000)),
    ]

    check_in_child(tmp_path, cases)


def xls_bytes_with_cell(text: str) -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("S")
    sheet.write(0, 0, "Nom")
    sheet.write(1, 0, text)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_limit_of_workbook_cells_holds_in_xlsb(tmp_path: Path, corpus_dir: Path) -> None:
    base = (corpus_dir / "date.xlsb").read_bytes()
    many_rows = b"".join(xlsb_row_header(row) + xlsb_number(0) for row in range(2, 20_000))
    block = b"".join(xlsb_row_header(row) + b"".join(xlsb_number(column) for column in range(100))
                     for row in range(2, 500))
    cases = [
        Case("rows.xlsb", xlsb_with_records(base, many_rows), "max_rows", ui.Limits(max_rows=1_000)),
        Case("columns.xlsb", xlsb_with_records(base, xlsb_row_header(2) + xlsb_number(5_000)), "max_columns",
             ui.Limits(max_columns=100)),
        Case("cells.xlsb", xlsb_with_records(base, block), "max_cells", ui.Limits(max_cells=10_000)),
        Case("bytes.xlsb", base, "max_bytes", ui.Limits(max_bytes=1_000), source="bytes"),
    ]

    check_in_child(tmp_path, cases)


@pytest.mark.parametrize("name", ["max_bytes", "max_uncompressed_bytes", "max_rows", "max_columns",
                                  "max_cell_chars", "max_cells"])
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ui.Limits(**{name: 0})
