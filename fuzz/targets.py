"""Fuzz targets, seed files and structure-aware mutators for ``upflow_import``.

The two targets take the bytes of one file:

- ``read_table``: :func:`upflow_import.read_table`, then every row, twice;
- ``pipeline``: :func:`upflow_import.import_file` as a dry run against an
  :class:`~upflow_import.InMemoryRepository` that already holds some of the
  seed's clients and contacts, then the report's JSON document.

Allowed outcomes: a table or a report that keep their invariants (below), or
an :class:`~upflow_import.UpflowImportError` with a catalogued code. Anything
else raises :class:`Finding`; an abort, a signal, a hang or the memory cap
hit kills the worker process, which :mod:`run` records.

The mutators know the formats: CSV text (separators, quotes, line breaks,
NUL, huge fields, encodings), zip workbooks (XML of XLSX and ODS parts:
references, lying ``dimension``, far cells, shared-string counts and huge
tables, deep nesting, entity declarations, encodings; missing, renamed and
duplicated parts; binary XLSB records), XLS records (BIFF8 records found in
the compound file, their fields and lengths), and plain bytes. Every
mutation is drawn from a :class:`random.Random`, so an input is reproduced by
its seed file and the random seed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

import upflow_import as ui
from upflow_import.issues import CATALOGUE
from upflow_import.readers.csv_format import decode_text

__all__ = [
    "FUZZ_LIMITS",
    "TARGETS",
    "Finding",
    "Mutator",
    "Seed",
    "corpus_seeds",
    "run_target",
    "synthetic_seeds",
]

#: Limits of the fuzzed reads: smaller than the defaults so that each input stays cheap, large
#: enough for every seed; the worker's memory cap (2 GiB) is far above what they allow.
FUZZ_LIMITS = ui.Limits(max_uncompressed_bytes=256 * 1024 * 1024, max_rows=200_000, max_cells=4_000_000)

MiB = 1024 * 1024
#: Largest input the mutators aim at (they cut what grows beyond it).
_BUDGET = 2 * MiB


class Finding(Exception):
    """An outcome that is not allowed: another exception, or a broken invariant."""


@attrs.frozen
class Seed:
    """A file to mutate: its name (``corpus:…`` for a corpus file), kind and bytes."""

    name: str
    kind: str
    data: bytes


# --------------------------------------------------------------------------------------------
# Targets


def _check_table(table: ui.Table, limits: ui.Limits) -> int:
    headers = table.headers
    if not all(isinstance(header, str) and header for header in headers):
        raise Finding(f"a header that is not a non-empty string: {headers!r}")
    if len(headers) > limits.max_columns:
        raise Finding(f"{len(headers)} columns over max_columns")
    passes = []
    for _ in range(2):
        seen = []
        last = 0
        for row in table.rows:
            if row.number <= last:
                raise Finding(f"row number {row.number} after {last}")
            last = row.number
            if len(row.values) != len(headers):
                raise Finding(f"row {row.number}: {len(row.values)} values for {len(headers)} headers")
            for value in row.values:
                if value is not None and (not isinstance(value, str) or len(value) > limits.max_cell_chars):
                    raise Finding(f"row {row.number}: a cell of type {type(value).__name__} or too long")
            seen.append(row)
        passes.append(seen)
    if passes[0] != passes[1]:
        raise Finding("iterating the rows twice gave different rows")
    if len(passes[0]) > limits.max_rows:
        raise Finding(f"{len(passes[0])} rows over max_rows")
    for issue in table.issues:
        if issue.code not in CATALOGUE:
            raise Finding(f"uncatalogued issue code {issue.code!r}")
    return len(passes[0])


def read_table_target(data: bytes) -> str:
    table = ui.read_table(data, limits=FUZZ_LIMITS)
    return f"table {table.format} {_check_table(table, FUZZ_LIMITS)} rows"


def _repository_template() -> ui.InMemoryRepository:
    repository = ui.InMemoryRepository()
    repository.add_account_managers(["am@example.com"])
    repository.add_dunning_plans(["Standard"])
    ui.import_file(csv_bytes(SEED_ROWS[:4]), repository)
    return repository


_TEMPLATE: list[ui.InMemoryRepository] = []


def pipeline_target(data: bytes) -> str:
    if not _TEMPLATE:
        _TEMPLATE.append(_repository_template())
    repository = copy.deepcopy(_TEMPLATE[0])
    report = ui.import_file(data, repository, dry_run=True, limits=FUZZ_LIMITS)
    # Every row with something in it is in the report; blank ones (only spaces) are skipped,
    # unless the reader found a problem in them (cells beyond the header, an unclosed quote).
    table = ui.read_table(data, limits=FUZZ_LIMITS)
    numbers = {row.number for row in table.rows if any(value and value.strip() for value in row.values)}
    numbers |= {issue.row for issue in table.issues if issue.row is not None}
    if [row.number for row in report.rows] != sorted(numbers):
        raise Finding(f"the report's rows {len(report.rows)} are not the file's rows {len(numbers)}")
    file_error = any(issue.is_error for issue in report.file_issues)  # drops every row
    for row in report.rows:
        dropped = row.client is ui.Outcome.DROPPED or row.contact is ui.Outcome.DROPPED
        if dropped and not row.has_errors and not file_error:
            raise Finding(f"row {row.number} dropped without an error")
    for issue in report.issues:
        if issue.code not in CATALOGUE:
            raise Finding(f"uncatalogued issue code {issue.code!r}")
    document = report.to_dict()
    json.dumps(document)
    json.dumps(report.to_dict("fr"))
    summary = report.summary
    if summary.rows != len(numbers):
        raise Finding("the summary's row count is not the file's")
    if repository.clients() != _TEMPLATE[0].clients():
        raise Finding("a dry run wrote to the repository")
    return f"report {summary.rows} rows {summary.errors} errors"


TARGETS: dict[str, Callable[[bytes], str]] = {"read_table": read_table_target, "pipeline": pipeline_target}


def run_target(target: str, data: bytes) -> str:
    """Run ``target`` on ``data``; return a one-line outcome, or raise :class:`Finding`."""
    try:
        return TARGETS[target](data)
    except ui.UpflowImportError as error:
        if error.code not in CATALOGUE:
            raise Finding(f"UpflowImportError with uncatalogued code {error.code!r}") from error
        if error.code == "file.too_large" and dict(error.issue.params).get("limit") == "memory":
            raise Finding("the memory cap was hit (MemoryError turned into file.too_large)") from error
        return f"error {error.code}"
    except Finding:
        raise
    except Exception as error:
        raise Finding(f"{type(error).__name__}: {error}"[:500]) from error


# --------------------------------------------------------------------------------------------
# Seeds

SEED_HEADERS = ["Identifiant Client", "Nom du client", "Email du contact", "Prénom du contact",
                "Nom du contact", "Téléphone du contact", "Code postal", "Pays",
                "Délai de paiement par défaut",
                "Contact principal", "Nom du groupe", "Numéro de TVA", "Email du Responsable de Compte",
                "Nom du plan de relance", "Poste du contact"]
SEED_ROWS: list[list[object]] = [
    SEED_HEADERS,
    ["C001", "Société Générale", "jean.dupont@example.com", "Jean", "Dupont", "06 12 34 56 78", 75001.0,
     "France", 30, 1, None, "FR 40 303 265 045", "am@example.com", "Standard", "Comptable"],
    ["C001", "Société Générale", "marie@example.com", "Marie", "Curie", "+33 1 23 45 67 89", "75001", "FR",
     "30.0", 0, None, None, None, None, "SALES"],
    ["C002", "Globex; fils", "contact@globex.example", "A", 'B"C', None, "69002", "Allemagne", 45, None,
     "Société Générale", "DE123456789", None, None, None],
    ["C003", "Initech", "bad-email@", None, None, "12", "1234", "Frnce", "-3", 2, "Nowhere", "XX", "x@y",
     "Unknown", "Boss"],
    [None, None, None, None, None, None, None, None, None, None, None, None, None, None, None],
    ["C004", "=HYPERLINK(\"x\")", "Z@EXAMPLE.COM", "Ünïcödé", "Line\nbreak", None, "2A004", "United Kingdom",
     "1e3", "1", "C001", None, None, None, "Payeur"],
    ["C002", "Globex", "other@globex.example", None, None, None, None, None, None, "1", None, None, None,
     None, None],
]


def csv_bytes(rows: Sequence[Sequence[object]], *, delimiter: str = ";", encoding: str = "utf-8",
              lineterminator: str = "\r\n") -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return text.getvalue().encode(encoding, errors="replace")


def _xlsx_writer(rows: Sequence[Sequence[object]]) -> bytes | None:
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return None
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Clients")
    workbook.add_worksheet("Hidden").hide()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def _xls_writer(rows: Sequence[Sequence[object]]) -> bytes | None:
    try:
        import xlwt  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return None
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Clients")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.add_sheet("Other").write(0, 0, "x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(entries: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


_MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
_OFFICE_RELS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def crafted_xlsx(rows: Sequence[Sequence[object]], *, shared: bool = True) -> bytes:
    """A minimal XLSX written by hand (shared or inline strings), so every part is known."""
    strings: dict[str, int] = {}
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}".encode()
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(b'<c r="%s"><v>%s</v></c>' % (ref, repr(value).encode()))
                continue
            text = str(value).replace("&", "&amp;").replace("<", "&lt;").encode()
            if shared:
                index = strings.setdefault(str(value), len(strings))
                cells.append(b'<c r="%s" t="s"><v>%d</v></c>' % (ref, index))
            else:
                cells.append(b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text))
        body.append(b'<row r="%d">%s</row>' % (r, b"".join(cells)))
    last = f"{_column(max(len(row) for row in rows) - 1)}{len(rows)}".encode()
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + _MAIN +
             b'><dimension ref="A1:' + last + b'"/><sheetData>' + b"".join(body) +
             b"</sheetData></worksheet>")
    entries = [
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
         b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'),
        ("_rels/.rels", b'<?xml version="1.0"?><Relationships ' + _RELS + b'><Relationship Id="rId1" Type="'
         + _OFFICE_RELS + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", b'<?xml version="1.0"?><workbook ' + _MAIN + b' xmlns:r="' + _OFFICE_RELS +
         b'"><sheets><sheet name="Clients" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", b'<?xml version="1.0"?><Relationships ' + _RELS +
         b'><Relationship Id="rId1" Type="' + _OFFICE_RELS + b'/worksheet" Target="worksheets/sheet1.xml"/>'
         b'<Relationship Id="rId2" Type="' + _OFFICE_RELS + b'/sharedStrings" Target="sharedStrings.xml"/>'
         b"</Relationships>"),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if shared:
        items = b"".join(b"<si><t>%s</t></si>" % key.replace("&", "&amp;").replace("<", "&lt;").encode()
                         for key in strings)
        entries.append(("xl/sharedStrings.xml", b'<?xml version="1.0"?><sst ' + _MAIN + b' count="%d" '
                        b'uniqueCount="%d">%s</sst>' % (len(strings), len(strings), items)))
    return _zip(entries)


def crafted_ods(rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal ODS written by hand, with repeated cells and rows."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append(b'<table:table-cell table:number-columns-repeated="1"/>')
            elif isinstance(value, (int, float)):
                cells.append(b'<table:table-cell office:value-type="float" office:value="%s"><text:p>%s'
                             b"</text:p></table:table-cell>" % (repr(value).encode(), repr(value).encode()))
            else:
                text = str(value).replace("&", "&amp;").replace("<", "&lt;").encode()
                cells.append(b'<table:table-cell office:value-type="string"><text:p>%s</text:p>'
                             b"</table:table-cell>" % text)
        body.append(b"<table:table-row>%s</table:table-row>" % b"".join(cells))
    body.append(b'<table:table-row table:number-rows-repeated="3"><table:table-cell '
                b'table:number-columns-repeated="4"/></table:table-row>')
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="Clients">' + b"".join(body) +
               b"</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                b'<manifest:file-entry manifest:full-path="/" '
                b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                b"</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def synthetic_seeds() -> list[Seed]:
    """Seed files made here, from :data:`SEED_ROWS` (XlsxWriter and xlwt when installed)."""
    rows = SEED_ROWS
    seeds = [
        Seed("semicolon.csv", "csv", csv_bytes(rows)),
        Seed("comma_cp1252.csv", "csv", csv_bytes(rows, delimiter=",", encoding="cp1252")),
        Seed("pipe_utf16.csv", "csv", csv_bytes(rows, delimiter="|", encoding="utf-16")),
        Seed("bom_lf.csv", "csv", csv_bytes(rows, encoding="utf-8-sig", lineterminator="\n")),
        Seed("title_row.csv", "csv", csv_bytes([["Export du 01/02/2024"], *rows])),
        Seed("shared.xlsx", "xlsx", crafted_xlsx(rows)),
        Seed("inline.xlsx", "xlsx", crafted_xlsx(rows, shared=False)),
        Seed("crafted.ods", "ods", crafted_ods(rows)),
    ]
    written = _xlsx_writer(rows)
    if written is not None:
        seeds.append(Seed("xlsxwriter.xlsx", "xlsx", written))
    old = _xls_writer(rows)
    if old is not None:
        seeds.append(Seed("xlwt.xls", "xls", old))
    return seeds


_KINDS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".xls": "xls",
          ".ods": "ods"}


def corpus_seeds(folder: Path, *, max_bytes: int = 2 * MiB) -> list[Seed]:
    """The spreadsheet files of ``folder`` (by extension, at most ``max_bytes`` each)."""
    seeds = []
    for path in sorted(folder.iterdir()):
        kind = _KINDS.get(path.suffix.lower())
        if kind is not None and path.is_file() and path.stat().st_size <= max_bytes:
            seeds.append(Seed(f"corpus:{path.name}", kind, path.read_bytes()))
    return seeds


# --------------------------------------------------------------------------------------------
# Mutators

_INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                0xFFFFF, 0x100000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]
_FAR_REFERENCES = [b"XFD1048576", b"A1048576", b"XFD1", b"ZZZZ1", b"A0", b"A99999999999", b"1A", b"", b"a1",
                   b"XFE1", b"AMK1", b"B2", b"$A$1", b"A1:B2", b"A-1", b"ALL900000", b"Z" * 40 + b"1"]
_NUMBERS = [b"0", b"-1", b"1", b"4294967295", b"4294967296", b"18446744073709551615", b"1048576", b"16384",
            b"1e308", b"-1e308", b"NaN", b"inf", b"999999999999", b"2147483648", b"0.5", b"", b"x",
            b"1" * 400]
_CELL_TYPES = [b"s", b"str", b"inlineStr", b"b", b"e", b"n", b"d", b"", b"z"]
_VALUES = [b"-1", b"99999999", b"1e308", b"NaN", b"", b"abc", b"2024-13-45T99:99:99", b"0.1", b"4294967295",
           b"1", b"0", b"#DIV/0!", b"TRUE", b"45000.5", b"-45000", b"2958466", b"1" * 30]
_CSV_INSERTS = [";", ",", "|", "\t", '"', '""', "\n", "\r", "\r\n", "\x00", "\x85", "\u2028", "\ufeff",
                "\x0c", "=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "\\", "'", " ", "\xa0", "é", "\U0001f600",
                "\udcff"]
_CSV_CELLS = ["a@", "@@", "jean@exemple..fr", "1e400", "30.0", "-5", "NaN", "Frnce", "+33 6", "2", "",
              "  ", "C001", "Société Générale", "Z@EXAMPLE.COM", "ACCOUNTING", "Payeur", "0", "1", "None",
              "null", "0x1F", "75001.0", "9" * 30, "FR", "DE", "GB123456789"]
_ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1",
              "mac_roman", "cp850", "shift_jis"]
_BIFF_RECORDS = [0x0200, 0x00FC, 0x0208, 0x0203, 0x00FD, 0x0204, 0x027E, 0x00BD, 0x0085, 0x0809, 0x003C,
                 0x0006, 0x041E, 0x00E5, 0x0031, 0x00E0, 0x00FF, 0x0201, 0x00BE, 0x0022, 0x0042, 0x013D]
_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
    for level in range(1, 10)) + b"]>")
_EXTERNAL = b'<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd"><!ENTITY % p SYSTEM "http://127.0.0.1/">]>'
_ENTITY_REFERENCES = [b"&lol9;", b"&ext;", b"&#0;", b"&#xFFFF;", b"&#1114112;", b"&amp;amp;", b"&unknown;",
                      b"&#xD800;", b"&#65;", b"&", b"&lt", b"]]>", b"<![CDATA[<c r='XFD1'>]]>"]
_MAGICS = [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
           b"<?xml", b"%PDF", b"PK\x05\x06" + bytes(18), b""]
# The main parts of each zip-based format, to add to a file of another one.
_OTHER_FORMATS = [
    ("xl/workbook.bin", b"\x83\x01\x00"),
    ("xl/_rels/workbook.xml.rels", b'<?xml version="1.0"?><Relationships ' + _RELS + b"/>"),
    ("xl/workbook.xml", b'<?xml version="1.0"?><workbook ' + _MAIN + b"/>"),
    ("content.xml", b'<?xml version="1.0"?><office:document-content/>'),
    ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
    ("xl/sharedStrings.xml", b'<sst ' + _MAIN + b' uniqueCount="4294967295"><si><t>a</t></si></sst>'),
]
_ATTRIBUTE = re.compile(rb"""\b([\w:.-]+)\s*=\s*(["'])([^"'<>]{0,64})\2""")
_ELEMENT = re.compile(rb"<([\w:.-]+)[^<>]*?(?:/>|>[^<]*</\1>)")
_OPEN_TAG = re.compile(rb"<[\w:.-]+[^<>]*>")


class Mutator:
    """Structure-aware mutations of seed files, drawn from ``rng``."""

    def __init__(self, rng: random.Random, seeds: Sequence[Seed]) -> None:
        self.rng = rng
        self.seeds = list(seeds)
        self.log: list[str] = []

    # -- entry points ------------------------------------------------------------------------

    def input(self) -> tuple[bytes, str, list[str]]:
        """A new input: the bytes, the seed's name and the mutations applied."""
        rng = self.rng
        self.log = []
        if rng.random() < 0.04:
            return self.arbitrary(), "(random bytes)", self.log
        # A kind first, then one of its seeds: a corpus of many workbooks must not crowd out CSV.
        kinds = sorted({seed.kind for seed in self.seeds})
        kind = rng.choice(kinds)
        seed = rng.choice([seed for seed in self.seeds if seed.kind == kind])
        data = self.mutate(seed.data, seed.kind)
        return data, seed.name, self.log

    def mutate(self, data: bytes, kind: str) -> bytes:
        """``data`` (a file of ``kind``) changed by one to three mutations of its kind."""
        rng = self.rng
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            if len(data) > _BUDGET:
                data = data[:_BUDGET]
                self.log.append("cut to the size budget")
            if kind in ("xlsx", "xlsb", "ods") and rng.random() < 0.85:
                data = self.zip_mutation(data)
            elif kind == "csv" and rng.random() < 0.85:
                data = self.csv_mutation(data)
            elif kind == "xls" and rng.random() < 0.6:
                data = self.biff_mutation(data)
            else:
                data = self.bytes_mutation(data)
        return data

    def arbitrary(self) -> bytes:
        rng = self.rng
        magic = rng.choice(_MAGICS)
        self.log.append(f"arbitrary after {magic[:8]!r}")
        return magic + rng.randbytes(rng.choice([0, 1, 7, 64, 512, 4096]))

    # -- bytes ---------------------------------------------------------------------------------

    def bytes_mutation(self, data: bytes) -> bytes:
        rng = self.rng
        damaged = bytearray(data or b"\x00")
        choice = rng.randrange(7)
        position = rng.randrange(len(damaged))
        if choice == 0:
            for _ in range(rng.randint(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            self.log.append("bytes: overwrite")
        elif choice == 1:
            size = rng.choice([1, 2, 4, 8])
            value = rng.choice(_INTERESTING) & ((1 << (8 * size)) - 1)
            damaged[position:position + size] = value.to_bytes(size, rng.choice(["little", "big"]))
            self.log.append(f"bytes: {value:#x} at {position}")
        elif choice == 2:
            del damaged[position:position + rng.randint(1, 64)]
            self.log.append(f"bytes: delete at {position}")
        elif choice == 3:
            damaged[position:position] = rng.randbytes(rng.randint(1, 32))
            self.log.append(f"bytes: insert at {position}")
        elif choice == 4:
            del damaged[position:]
            self.log.append(f"bytes: cut at {position}")
        elif choice == 5:
            start = rng.randrange(len(damaged))
            piece = bytes(damaged[start:start + rng.randint(1, 256)])
            damaged[position:position] = piece * rng.randint(1, 16)
            self.log.append(f"bytes: repeat {len(piece)} at {position}")
        else:
            other = rng.choice(self.seeds).data
            cut = rng.randrange(len(other) + 1)
            damaged[position:] = other[cut:]
            self.log.append("bytes: splice another seed")
        return bytes(damaged)

    # -- CSV -------------------------------------------------------------------------------------

    def csv_mutation(self, data: bytes) -> bytes:
        rng = self.rng
        try:
            text, encoding = decode_text(data, None)
        except ui.UpflowImportError:
            return self.bytes_mutation(data)
        lines = text.splitlines(keepends=True) or [""]
        choice = rng.randrange(11)
        index = rng.randrange(len(lines))
        if choice == 0:
            for _ in range(rng.randint(1, 6)):
                position = rng.randrange(len(text) + 1)
                text = text[:position] + rng.choice(_CSV_INSERTS) + text[position:]
            self.log.append("csv: insert characters")
        elif choice == 1:
            size = rng.choice([1_000, 40_000, 300_000, 2_000_000])
            position = rng.randrange(len(text) + 1)
            filler = rng.choice(["x", "é", ";", '"', "\n", "a;b", " "])
            text = text[:position] + filler * (size // len(filler)) + text[position:]
            self.log.append(f"csv: field of {size} {filler!r}")
        elif choice == 2:
            lines[index] = '"' + lines[index]
            text = "".join(lines)
            self.log.append(f"csv: unterminated quote on line {index + 1}")
        elif choice == 3:
            count = min(rng.choice([10, 500, 5_000, 50_000]), _BUDGET // max(len(lines[index]), 1))
            lines[index:index + 1] = [lines[index]] * max(count, 1)
            text = "".join(lines)
            self.log.append(f"csv: line {index + 1} x{count}")
        elif choice == 4:
            separator = rng.choice([";", ",", "|", "\t"])
            lines[0] = lines[0].rstrip("\r\n") + separator * rng.choice([1, 5, 999, 2000]) + "\n"
            text = "".join(lines)
            self.log.append("csv: header columns")
        elif choice == 5:
            del lines[index]
            text = "".join(lines)
            self.log.append(f"csv: delete line {index + 1}")
        elif choice == 6:
            rng.shuffle(lines)
            text = "".join(lines)
            self.log.append("csv: shuffle lines")
        elif choice == 7:
            cells = re.split(r"([;,|])", lines[index])
            for _ in range(rng.randint(1, 4)):
                spot = rng.randrange(0, len(cells), 2) if len(cells) > 1 else 0
                cells[spot] = rng.choice(_CSV_CELLS)
            lines[index] = "".join(cells) + ("" if lines[index].endswith("\n") else "\n")
            text = "".join(lines)
            self.log.append(f"csv: garbage cells on line {index + 1}")
        elif choice == 8:
            text = rng.choice(["Export clients\n", "\n\n\n", ";;;;\n", '"\n', "sep=;\n"]) + text
            self.log.append("csv: something above the header")
        elif choice == 9:
            text = text.replace(rng.choice(["\r\n", "\n"]), rng.choice(["\r", "\n", "\r\n", "\x85", "\n\n"]))
            self.log.append("csv: line endings")
        else:
            self.log.append("csv: encoding only")
        encoding = rng.choice(_ENCODINGS) if rng.random() < 0.3 else encoding
        self.log.append(f"csv: encode {encoding}")
        return text.encode(encoding, errors="replace") if encoding != "utf-8" else text.encode(
            "utf-8", errors="surrogatepass")

    # -- zip workbooks ---------------------------------------------------------------------------

    def zip_mutation(self, data: bytes) -> bytes:
        rng = self.rng
        try:
            source = zipfile.ZipFile(io.BytesIO(data))
            entries = [(info, source.read(info)) for info in source.infolist()]
        except Exception:  # a damaged archive: damage it further
            return self.bytes_mutation(data)
        if not entries:
            return self.bytes_mutation(data)
        choice = rng.random()
        position = rng.randrange(len(entries))
        info, content = entries[position]
        names = [entry.filename for entry, _ in entries]
        extra: list[tuple[str, bytes]] = []
        if choice < 0.55:
            xml = [i for i, (entry, _) in enumerate(entries) if entry.filename.endswith((".xml", ".rels"))]
            weighted = [i for i in xml if re.search(r"sheet|content|sharedStrings|workbook",
                                                    entries[i][0].filename)]
            if xml:
                position = rng.choice(weighted if weighted and rng.random() < 0.8 else xml)
                info, content = entries[position]
                content = self.xml_mutation(content)
            else:
                content = self.bytes_mutation(content)
            self.log.append(f"zip: in {info.filename}")
            entries[position] = (info, content)
        elif choice < 0.65:
            entries[position] = (info, self.bytes_mutation(content))
            self.log.append(f"zip: bytes of {info.filename}")
        elif choice < 0.72:
            del entries[position]
            self.log.append(f"zip: remove {info.filename}")
        elif choice < 0.78:
            new = rng.choice([info.filename.upper(), info.filename.lower(), "x/" + info.filename,
                              info.filename.replace("/", "\\"), "/" + info.filename, info.filename + " "])
            entries[position] = (zipfile.ZipInfo(new), content)
            self.log.append(f"zip: rename {info.filename} to {new}")
        elif choice < 0.82:
            name = rng.choice([info.filename, info.filename.upper()])
            extra.append((name, self.bytes_mutation(content)))
            self.log.append(f"zip: second {name}")
        elif choice < 0.90:
            count = rng.choice([10, 1_000, 50_000, 300_000])
            strings = b"".join(b"<si><t>s%d</t></si>" % index for index in range(count))
            announced = rng.choice([count, count * 10, 0, 4294967295])
            target = next((name for name in names if name.lower().endswith("sharedstrings.xml")),
                          "xl/sharedStrings.xml")
            entries = [(entry, body) for entry, body in entries if entry.filename != target]
            extra.append((target, b'<?xml version="1.0"?><sst ' + _MAIN + b' uniqueCount="%d">%s</sst>'
                          % (announced, strings)))
            self.log.append(f"zip: {count} shared strings announcing {announced}")
        elif choice < 0.95:
            rows, columns = rng.choice([(100, 20), (5_000, 20), (100_000, 1), (300, 1_200), (20_000, 25)])
            target = next((name for name in names if re.search(r"sheet\d*\.xml$|content\.xml$", name)),
                          "xl/worksheets/sheet1.xml")
            entries = [(entry, body) for entry, body in entries if entry.filename != target]
            extra.append((target, self._big_sheet(rows, columns, ods=target.endswith("content.xml"))))
            self.log.append(f"zip: {target} of {rows}x{columns}")
        elif choice < 0.97:
            name, body = rng.choice(_OTHER_FORMATS)
            extra.append((name, body))
            self.log.append(f"zip: add {name}")
        else:
            extra.append((f"xl/media/pad{rng.randrange(100)}.bin", b"\x00" * rng.choice([10, 2 * MiB])))
            self.log.append("zip: padding entry")
        stored = rng.random() < 0.1
        rebuilt = _rezip(entries, extra, stored=stored)
        if rng.random() < 0.05:
            rebuilt = self.bytes_mutation(rebuilt)
        return rebuilt

    def _big_sheet(self, rows: int, columns: int, *, ods: bool) -> bytes:
        if ods:
            row = b"<table:table-row>" + b'<table:table-cell office:value-type="float" office:value="1"/>' * \
                columns + b"</table:table-row>"
            return (b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
                    b'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:'
                    b'table:1.0"><office:body><office:spreadsheet><table:table table:name="S">' +
                    row * rows +
                    b"</table:table></office:spreadsheet></office:body></office:document-content>")
        cells = b"".join(b'<c r="%s%%d"><v>1</v></c>' % _column(c).encode() for c in range(columns))
        body = b"".join(b'<row r="%d">' % r + cells.replace(b"%d", b"%d" % r) + b"</row>"
                        for r in range(1, rows + 1))
        return (b'<?xml version="1.0"?><worksheet ' + _MAIN + b"><sheetData>" + body +
                b"</sheetData></worksheet>")

    def xml_mutation(self, content: bytes) -> bytes:
        rng = self.rng
        choice = rng.randrange(13)
        if choice == 0:
            attributes = list(_ATTRIBUTE.finditer(content))
            if attributes:
                match = rng.choice(attributes)
                name = match[1].rsplit(b":", 1)[-1]
                if name in (b"r", b"ref", b"sqref"):
                    value = rng.choice(_FAR_REFERENCES)
                elif name == b"t":
                    value = rng.choice(_CELL_TYPES)
                else:
                    value = rng.choice(_NUMBERS + _FAR_REFERENCES[:3])
                self.log.append(f"xml: {match[1]!r}={value[:20]!r}")
                return content[:match.start(3)] + value + content[match.end(3):]
        if choice == 1:
            far = rng.choice(_FAR_REFERENCES[:9])
            spots = [m.start() for m in re.finditer(rb"</row>|</(?:\w+:)?sheetData>|</table:table-row>",
                                                   content)]
            if spots:
                spot = rng.choice(spots)
                if content[spot:spot + 6] == b"</row>":
                    piece = b'<c r="%s"><v>1</v></c>' % far
                elif b"table-row" in content[spot:spot + 20]:
                    piece = (b'<table:table-cell table:number-columns-repeated="%s" '
                             b'office:value-type="float" office:value="1"/>' % rng.choice(_NUMBERS[:8]))
                else:
                    number = re.sub(rb"\D", b"", far) or b"1048576"
                    piece = b'<row r="%s"><c r="%s" t="s"><v>0</v></c></row>' % (number, far)
                self.log.append(f"xml: far cell {piece[:60]!r}")
                return content[:spot] + piece + content[spot:]
        if choice == 2:
            claim = rng.choice([b"A1", b"A1:B2", b"A1:XFD1048576", b"XFD1048576", b"B2:A1", b"A1:A0", b""])
            self.log.append(f"xml: dimension {claim!r}")
            if b"dimension" in content:
                return re.sub(rb'(<(?:\w+:)?dimension\s+ref=")[^"]*', lambda m: m[1] + claim, content,
                              count=1)
            return content.replace(b"<sheetData", b'<dimension ref="%s"/><sheetData' % claim, 1)
        if choice == 3:
            depth = rng.choice([100, 10_000, 200_000])
            tag = rng.choice([b"a", b"c", b"row", b"is", b"r", b"t", b"table:table-row", b"text:span"])
            spot = self._inside(content)
            self.log.append(f"xml: nesting {depth} <{tag!r}>")
            return content[:spot] + (b"<%s>" % tag) * depth + (b"</%s>" % tag) * depth + content[spot:]
        if choice == 4:
            doctype = rng.choice([_LAUGHS, _EXTERNAL])
            declaration = re.match(rb"<\?xml[^>]*\?>", content)
            spot = declaration.end() if declaration else 0
            content = content[:spot] + doctype + content[spot:]
            reference = rng.choice([b"&lol9;", b"&ext;", b"&lol5;"])
            texts = [m.end(1) for m in re.finditer(rb"(<(?:\w+:)?(?:t|v|p)>)", content)]
            if texts:
                place = rng.choice(texts)
                content = content[:place] + reference + content[place:]
            self.log.append(f"xml: doctype {doctype[:20]!r} and {reference!r}")
            return content
        if choice == 5:
            reference = rng.choice(_ENTITY_REFERENCES)
            spot = self._inside(content)
            self.log.append(f"xml: {reference!r}")
            return content[:spot] + reference + content[spot:]
        if choice == 6:
            encoding = rng.choice([b"UTF-16", b"ebcdic-cp-us", b"bogus", b"cp1252", b"ISO-8859-1", b"UTF-32"])
            self.log.append(f"xml: declared encoding {encoding!r}")
            if rng.random() < 0.5:
                return content.decode("utf-8", "replace").encode("utf-16")
            declared = re.sub(rb'encoding="[^"]*"', b'encoding="' + encoding + b'"', content, count=1)
            return declared if declared != content else b'<?xml version="1.0" encoding="' + encoding + \
                b'"?>' + content
        if choice == 7:
            elements = list(_ELEMENT.finditer(content))
            if elements:
                match = rng.choice(elements)
                count = max(min(rng.choice([2, 100, 5_000]), _BUDGET // len(match[0])), 1)
                self.log.append(f"xml: <{match[1]!r}> x{count}")
                return content[:match.start()] + match[0] * count + content[match.end():]
        if choice == 8:
            elements = list(_ELEMENT.finditer(content))
            if elements:
                match = rng.choice(elements)
                self.log.append(f"xml: remove <{match[1]!r}>")
                return content[:match.start()] + content[match.end():]
        if choice == 9:
            values = list(re.finditer(rb"<((?:\w+:)?v)>([^<]*)</\1>", content))
            if values:
                match = rng.choice(values)
                value = rng.choice(_VALUES)
                self.log.append(f"xml: <v>{value[:20]!r}")
                return content[:match.start(2)] + value + content[match.end(2):]
        if choice == 10:
            # Anywhere, or right after an element ends (what a reader looping to the end trips on).
            ends = [m.end() for m in re.finditer(rb"</[\w:.-]+>", content)]
            cut = rng.choice(ends) if ends and rng.random() < 0.5 else rng.randrange(len(content) + 1)
            self.log.append(f"xml: cut at {cut}")
            return content[:cut]
        if choice == 11:
            tags = list(_OPEN_TAG.finditer(content))
            if tags:
                match = rng.choice(tags)
                piece = rng.choice([b' state="hidden"', b' state="veryHidden"', b' name=""',
                                    b' name="' + b"N" * 300 + b'"', b' r:id="rId99"',
                                    b' xml:space="preserve"',
                                    b" x=\"" + b"y" * 70_000 + b"\"", b' spans="1:16384"', b' hidden="1"',
                                    b' table:number-rows-repeated="1048576"'])
                end = match.end() - (2 if match[0].endswith(b"/>") else 1)
                self.log.append(f"xml: attribute {piece[:30]!r}")
                return content[:end] + piece + content[end:]
        if choice == 12:
            prefixed = re.sub(rb"<(/?)(c|row|v)\b", rb"<\1x:\2", content)
            if prefixed != content:
                self.log.append("xml: namespace prefix")
                return prefixed.replace(b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                        b'spreadsheetml/2006/main" ', 1)
        return self.bytes_mutation(content)

    def _inside(self, content: bytes) -> int:
        """A position just after a random opening tag (or anywhere)."""
        tags = [m.end() for m in _OPEN_TAG.finditer(content)]
        return self.rng.choice(tags) if tags else self.rng.randrange(len(content) + 1)

    # -- XLS ---------------------------------------------------------------------------------

    def biff_mutation(self, data: bytes) -> bytes:
        rng = self.rng
        record = rng.choice(_BIFF_RECORDS)
        header = struct.pack("<H", record)
        spots = []
        start = data.find(header, 512)
        while start >= 0 and len(spots) < 200:
            if start + 4 <= len(data):
                length = struct.unpack_from("<H", data, start + 2)[0]
                if length <= 8224 and start + 4 + length <= len(data):
                    spots.append((start, length))
            start = data.find(header, start + 1)
        if not spots:
            return self.bytes_mutation(data)
        start, length = rng.choice(spots)
        damaged = bytearray(data)
        if rng.random() < 0.2:
            value = rng.choice([0, 1, length + 1, 0xFFFF, 8224, 8225])
            damaged[start + 2:start + 4] = struct.pack("<H", value & 0xFFFF)
            self.log.append(f"biff: record {record:#06x} at {start} length {value}")
            return bytes(damaged)
        for _ in range(rng.randint(1, 3)):
            size = rng.choice([1, 2, 4])
            offset = start + 4 + (rng.randrange(length) if length else 0)
            value = rng.choice(_INTERESTING) & ((1 << (8 * size)) - 1)
            damaged[offset:offset + size] = value.to_bytes(size, "little")
            self.log.append(f"biff: record {record:#06x} at {start}: {value:#x} at +{offset - start - 4}")
        return bytes(damaged[:len(data)])


def _rezip(entries: Sequence[tuple[zipfile.ZipInfo, bytes]], extra: Sequence[tuple[str, bytes]], *,
           stored: bool) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for info, content in entries:
            copied = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copied.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else method
            archive.writestr(copied, content)
        for name, content in extra:
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=method)
    return buffer.getvalue()
