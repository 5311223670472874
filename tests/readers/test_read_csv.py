"""CSV reading: encodings, separators, line endings, row numbers, bad lines and limits."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reader_files import csv_bytes

import upflow_import as ui
from upflow_import.readers import csv_format

TABLE = [
    ["Nom du client", "Adresse", "Ville", "Téléphone"],
    ["Société Générale", "29, boulevard Haussmann", "Paris", "+33 1 42 14 20 00"],
    ["Dupont; fils & Cie", 'Le "Moulin"', "Saint-Étienne", ""],
    ["Ça marche | ou pas", "", "Orléans", "04 77 00 00 00"],
]


def expected_rows(rows: list[list[str]]) -> list[tuple[str | None, ...]]:
    return [tuple(cell or None for cell in row) for row in rows]


@pytest.mark.parametrize("lineterminator", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "|"])
def test_written_csv_reads_back_identical(delimiter: str, encoding: str, lineterminator: str) -> None:
    data = csv_bytes(TABLE, delimiter=delimiter, encoding=encoding, lineterminator=lineterminator)

    table = ui.read_table(data)

    assert table.format == "csv"
    assert table.delimiter == delimiter
    assert table.encoding == encoding
    assert table.headers == tuple(TABLE[0])
    rows = list(table.rows)
    assert [row.values for row in rows] == expected_rows(TABLE[1:])
    assert [row.number for row in rows] == [2, 3, 4]
    assert table.issues == []


def test_semicolon_file_whose_quoted_cells_are_full_of_commas_is_still_semicolon() -> None:
    rows = [["Nom", "Adresse", "Commentaire"]] + [
        [f"Client {i}", f"{i}, rue de la Paix, bât. B, 3e étage", "a, b, c, d, e"] for i in range(20)]
    data = csv_bytes(rows, delimiter=";")
    assert data.count(b",") > data.count(b";")

    table = ui.read_table(data)

    assert table.delimiter == ";"
    first = next(iter(table.rows))
    assert first.values == ("Client 0", "0, rue de la Paix, bât. B, 3e étage", "a, b, c, d, e")


def test_quoted_line_breaks_stay_in_their_cell_and_row_numbers_follow_the_lines() -> None:
    data = csv_bytes([["Nom", "Adresse"], ["Acme", "1 rue A\nBâtiment 2\nEscalier C"], ["Globex", "Lyon"]])

    rows = list(ui.read_table(data).rows)

    assert rows[0].values == ("Acme", "1 rue A\nBâtiment 2\nEscalier C")
    assert [row.number for row in rows] == [2, 5]


def test_blank_lines_are_skipped_but_counted() -> None:
    data = b"Nom;Ville\r\n\r\nAcme;Paris\r\n;\r\n   \r\nGlobex;Lyon\r\n\r\n"

    rows = list(ui.read_table(data).rows)

    assert [(row.number, row.values) for row in rows] == [(3, ("Acme", "Paris")), (6, ("Globex", "Lyon"))]


def test_header_on_a_later_line_keeps_real_line_numbers() -> None:
    rows = list(ui.read_table(b"\n\nNom;Ville\nAcme;Paris\n").rows)
    assert [(row.number, row.values) for row in rows] == [(4, ("Acme", "Paris"))]


def test_empty_cells_are_none_and_other_cells_are_kept_as_written() -> None:
    table = ui.read_table(b"Nom;Ville;Pays\n  Acme  ;;France\n")
    assert [row.values for row in table.rows] == [("  Acme  ", None, "France")]


def test_a_row_with_the_wrong_number_of_cells_is_kept_and_reported_on_its_line() -> None:
    table = ui.read_table(b"Nom;Ville;Pays\nAcme;Paris;France\nGlobex;Lyon\nInitech;Nice;France;extra\n")

    rows = list(table.rows)

    assert [row.values for row in rows] == [("Acme", "Paris", "France"), ("Globex", "Lyon", None),
                                            ("Initech", "Nice", "France")]
    assert [(issue.code, issue.row, dict(issue.params)) for issue in table.issues] == [
        ("csv.inconsistent_columns", 3, {"actual": 2, "expected": 3}),
        ("csv.inconsistent_columns", 4, {"actual": 4, "expected": 3}),
    ]
    assert all(issue.is_error and issue.field is None for issue in table.issues)


def test_iterating_twice_reports_each_bad_line_once() -> None:
    table = ui.read_table(b"Nom;Ville\nAcme\n")
    list(table.rows)
    list(table.rows)
    assert [issue.code for issue in table.issues] == ["csv.inconsistent_columns"]


def test_empty_cells_beyond_the_header_are_an_excel_artefact_not_an_error() -> None:
    table = ui.read_table(b"Nom;Ville;;;\r\nAcme;Paris;;;\r\nGlobex;Lyon\r\n")

    assert table.headers == ("Nom", "Ville")
    assert [row.values for row in table.rows] == [("Acme", "Paris"), ("Globex", "Lyon")]
    assert table.issues == []


def test_an_unclosed_quote_is_reported_on_the_line_it_opens() -> None:
    table = ui.read_table(b'Nom;Ville\nAcme;"Paris\nGlobex;Lyon\nInitech;Nice\n')

    rows = list(table.rows)

    assert [row.number for row in rows] == [2]
    assert [(issue.code, issue.row) for issue in table.issues] == [("csv.unclosed_quote", 2)]


def test_a_closed_quote_spanning_lines_at_the_end_of_the_file_is_fine() -> None:
    table = ui.read_table(b'Nom;Adresse\nAcme;"1 rue A\nBat. B"\n')
    assert [row.values for row in table.rows] == [("Acme", "1 rue A\nBat. B")]
    assert table.issues == []


def test_title_line_over_a_wider_table_is_refused() -> None:
    data = csv_bytes([["Liste des clients 2024", "", ""], ["Nom", "Ville", "Pays"], ["Acme", "Paris", "FR"]])

    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data)

    assert raised.value.code == "header.title_row"
    assert raised.value.issue.value == "Liste des clients 2024"


def test_a_single_column_file_is_not_a_title() -> None:
    table = ui.read_table(b"Nom du client\nAcme\nGlobex\n")
    assert table.headers == ("Nom du client",)
    assert [row.values for row in table.rows] == [("Acme",), ("Globex",)]


def test_headers_are_cleaned_renamed_when_duplicated_and_blank_ones_reported_when_filled() -> None:
    data = "\ufeff Nom\u00a0du  client ;Email;;Email;Ville\nAcme;a@x.fr;note;b@x.fr;Paris\n".encode()

    table = ui.read_table(data)
    list(table.rows)

    assert table.headers == ("Nom du client", "Email", "[3]", "Email (2)", "Ville")
    assert [(i.code, i.column, i.row, dict(i.params)) for i in table.issues] == [
        ("header.duplicate", "Email", None, {"position": "4", "renamed_to": "Email (2)"}),
        ("header.empty", "[3]", None, {"position": "3"}),
    ]


def test_a_blank_header_over_an_empty_column_is_not_reported() -> None:
    table = ui.read_table(b"Nom;;Ville\nAcme;;Paris\n")
    list(table.rows)
    assert table.headers == ("Nom", "[2]", "Ville")
    assert table.issues == []


def test_cp1252_is_the_fallback_and_its_undefined_bytes_do_not_fail() -> None:
    data = "Nom;Ville\nCafé Müller;Besançon – Doubs\n".encode("cp1252") + b"X\x81Y;\x9d\n"

    table = ui.read_table(data)

    assert table.encoding == "cp1252"
    assert [row.values for row in table.rows] == [("Café Müller", "Besançon – Doubs"), ("X\x81Y", "\x9d")]



@given(st.binary(max_size=64))
def test_cp1252_is_decoded_byte_by_byte_as_windows_reads_it(data: bytes) -> None:
    # Each byte alone: cp1252's own character, or the C1 character of the same value for the
    # five bytes cp1252 leaves undefined.
    def one(byte: int) -> str:
        try:
            return bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            return chr(byte)

    assert csv_format._decode_cp1252(data) == "".join(map(one, data))


def test_reading_cp1252_registers_nothing_in_the_codec_registry() -> None:
    handlers = ("upflow_import.cp1252_undefined_as_c1",)
    ui.read_table("Nom\nX\x81Y\n".encode("latin-1"))
    for name in handlers:
        with pytest.raises(LookupError):
            codecs.lookup_error(name)

def test_utf16_without_bom_is_recognised() -> None:
    table = ui.read_table("Nom;Ville\nÉric;Paris\n".encode("utf-16-le"))
    assert table.encoding == "utf-16-le"
    assert [row.values for row in table.rows] == [("Éric", "Paris")]


def test_explicit_encoding_and_delimiter_win() -> None:
    data = "Nom,Ville;Pays\nA,B;C\n".encode("latin-1")

    table = ui.read_table(data, encoding="latin-1", delimiter=",")

    assert (table.encoding, table.delimiter) == ("iso8859-1", ",")
    assert table.headers == ("Nom", "Ville;Pays")


def test_a_wrong_explicit_encoding_is_a_file_encoding_error_naming_the_line() -> None:
    data = "Nom;Ville\nAcme;Paris\nCafé;Lyon\n".encode("cp1252")

    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data, encoding="utf-8")

    assert raised.value.code == "file.encoding"
    assert raised.value.issue.row == 3


def test_an_unknown_encoding_name_is_a_file_encoding_error() -> None:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(b"Nom\nAcme\n", encoding="klingon-8")
    assert raised.value.code == "file.encoding"


def test_a_nul_character_makes_the_file_corrupt() -> None:
    data = b"Nom;Ville\n" + b"Acme;Paris\n" * 2000 + b"Glo\x00bex;Lyon\n"
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data)
    assert (raised.value.code, raised.value.issue.row) == ("file.corrupt", 2002)


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", b"\xef\xbb\xbf", "\ufeff\r\n".encode("utf-16")])
def test_an_empty_file_is_file_empty(data: bytes) -> None:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data)
    assert raised.value.code == "file.empty"


def test_rows_beyond_max_rows_are_too_large_while_reading() -> None:
    table = ui.read_table(b"Nom\nA\nB\nC\n", limits=ui.Limits(max_rows=2))
    with pytest.raises(ui.FileTooLargeError) as raised:
        list(table.rows)
    assert raised.value.code == "file.too_large"
    assert dict(raised.value.issue.params)["limit"] == "max_rows"


def test_columns_beyond_max_columns_are_too_large() -> None:
    with pytest.raises(ui.FileTooLargeError) as raised:
        ui.read_table(b"a;b;c;d\n1;2;3;4\n", limits=ui.Limits(max_columns=3))
    assert dict(raised.value.issue.params)["limit"] == "max_columns"


@pytest.mark.parametrize("cell", ["x" * 101, "x" * 60 + "\n" + "y" * 60, "z" * 200_000])
def test_a_cell_longer_than_max_cell_chars_is_too_large(cell: str) -> None:
    data = csv_bytes([["Nom", "Note"], ["Acme", "ok"], ["Globex", cell]])
    limits = ui.Limits(max_cell_chars=100)

    with pytest.raises(ui.FileTooLargeError) as raised:
        list(ui.read_table(data, limits=limits).rows)

    assert dict(raised.value.issue.params)["limit"] == "max_cell_chars"
    assert raised.value.issue.row == 3


def test_a_cell_at_max_cell_chars_is_fine() -> None:
    data = csv_bytes([["Nom", "Note"], ["Acme", "x" * 100]])
    rows = list(ui.read_table(data, limits=ui.Limits(max_cell_chars=100)).rows)
    assert rows[0].values == ("Acme", "x" * 100)


_LONG_CELLS = [
    "x" * 300_000,  # one run of plain text
    "ab;cd," * 50_000,  # separators of other dialects, quoted
    ("word " * 40 + "\n") * 1_500,  # a quoted cell spanning lines, each short
    "say \"\"hi\"\" " * 12_000 + "z" * 150_000,  # doubled quotes, then a long run
]


@pytest.mark.parametrize("cell", _LONG_CELLS, ids=["run", "separators", "lines", "quotes"])
def test_a_cell_longer_than_the_csv_module_limit_is_read_without_changing_it(cell: str) -> None:
    before = csv.field_size_limit()
    assert len(cell) > before  # the module alone would refuse it
    data = csv_bytes([["Nom", "Note"], ["Acme", cell], ["Globex", "court"]])

    rows = list(ui.read_table(data, limits=ui.Limits(max_cell_chars=1_000_000)).rows)

    assert [row.values for row in rows] == [("Acme", cell), ("Globex", "court")]
    assert csv.field_size_limit() == before


def test_a_hostile_100_mb_cell_is_refused_by_max_cell_chars_without_changing_the_csv_limit() -> None:
    before = csv.field_size_limit()
    data = b"Nom;Note\nAcme;" + b"x" * 100_000_000 + b"\n"
    with pytest.raises(ui.FileTooLargeError) as raised:
        list(ui.read_table(data, limits=ui.Limits(max_cell_chars=1_000_000, max_bytes=200_000_000)).rows)
    assert dict(raised.value.issue.params)["limit"] == "max_cell_chars"
    assert raised.value.issue.row == 2
    assert csv.field_size_limit() == before


def test_the_csv_limit_another_thread_sees_is_the_default_while_a_file_with_long_cells_is_imported(
        tmp_path: Path) -> None:
    import threading

    default = csv.field_size_limit()
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes([["Customer name", "Address"],
                                *[[f"Client {n}", f"{n} rue " + "x" * 200_000] for n in range(20)]]))
    seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.add(csv.field_size_limit())
            # What such a thread would do: its own reading bound by the default limit.
            with pytest.raises(csv.Error):
                next(csv.reader(["x" * (default + 1)]))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        report = ui.import_file(path, ui.InMemoryRepository(), dry_run=True,
                                limits=ui.Limits(max_cell_chars=1_000_000), isolate=False)
    finally:
        stop.set()
        watcher.join()
    assert seen == {default}
    assert csv.field_size_limit() == default
    assert report.summary.rows == 20


def test_a_file_over_max_bytes_is_too_large_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(b"Nom\n" + b"Acme\n" * 100)
    with pytest.raises(ui.FileTooLargeError) as raised:
        ui.read_table(path, limits=ui.Limits(max_bytes=100))
    assert dict(raised.value.issue.params)["limit"] == "max_bytes"


def test_rows_are_produced_lazily_from_the_text() -> None:
    table = ui.read_table(b"Nom;Ville\n" + b"Acme;Paris\n" * 10 + b"Globex;Lyon;extra\n")
    first = next(iter(table.rows))
    assert first.number == 2
    # Nothing past the first row has been read: the bad last line is not known yet.
    assert table.issues == []
    assert len(list(table.rows)) == 11
    assert [issue.row for issue in table.issues] == [12]


def test_source_may_be_a_path_a_string_path_bytes_or_a_binary_file(tmp_path: Path) -> None:
    data = b"Nom;Ville\nAcme;Paris\n"
    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    with path.open("rb") as file:
        sources = [path, str(path), data, bytearray(data), io.BytesIO(data), file]
        tables = [ui.read_table(source) for source in sources]
    assert {tuple(row.values for row in table.rows) for table in tables} == {(("Acme", "Paris"),)}
    assert tables[0].name == "clients.csv"


def test_a_text_file_object_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ui.read_table(io.StringIO("Nom\nAcme\n"))  # type: ignore[arg-type]
