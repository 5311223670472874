"""Files that could be read two ways: tab-separated and "Unicode text" exports, merged and
ambiguous separators, UTF-8 files with cp1252 lines, title rows and ``header_row=``.

Each file is written by a real writer (the csv module in the encoding at hand, XlsxWriter);
each test states what a person would see if the reader guessed quietly.
"""

from __future__ import annotations

import codecs
import datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reader_files import csv_bytes, xlsx_bytes

import upflow_import as ui
from upflow_import.readers.headers import title_rows

CLIENTS = [
    ["Nom du client", "Ville", "Email du contact"],
    ["Dupont", "Paris", "anne@dupont.fr"],
    ["Société Générale", "Saint-Étienne", "paul@sg.fr"],
]


def unicode_text_export(rows: list[list[str]]) -> bytes:
    """What Excel's "Unicode text" (Texte Unicode) export writes: UTF-16 LE with a BOM, tabs, CRLF."""
    return codecs.BOM_UTF16_LE + csv_bytes(rows, delimiter="\t", encoding="utf-16-le")


def refusal(data: bytes, **options: object) -> ui.UpflowImportError:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data, **options)  # type: ignore[arg-type]
    return raised.value


# -- tab-separated files -------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be"])
def test_a_tab_separated_file_is_read_in_columns(encoding: str) -> None:
    table = ui.read_table(csv_bytes(CLIENTS, delimiter="\t", encoding=encoding))

    assert table.delimiter == "\t"
    assert table.headers == ("Nom du client", "Ville", "Email du contact")
    assert [row.values for row in table.rows] == [tuple(row) for row in CLIENTS[1:]]
    assert table.issues == []


def test_excel_unicode_text_export_is_read_in_columns() -> None:
    table = ui.read_table(unicode_text_export(CLIENTS))

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.headers == ("Nom du client", "Ville", "Email du contact")
    assert [row.values[0] for row in table.rows] == ["Dupont", "Société Générale"]


def test_a_tab_file_whose_cells_hold_commas_is_still_tab_separated() -> None:
    rows = [["Nom du client", "Adresse"], ["Dupont, fils & Cie", "12, rue de la Paix"],
            ["Acme", "3, place X"]]

    table = ui.read_table(csv_bytes(rows, delimiter="\t"))

    assert table.delimiter == "\t"
    assert [row.values for row in table.rows] == [tuple(row) for row in rows[1:]]


# -- merged columns and ambiguous separators -----------------------------------

@pytest.mark.parametrize(("delimiter", "given", "named"), [
    (":", None, "':'"),          # a separator that is never recognised
    ("\t", ";", "a tab"),        # a tab file read with the wrong explicit separator
    (",", ";", "','"),           # a comma file read with the wrong explicit separator
])
def test_a_header_merged_into_one_column_is_refused(delimiter: str, given: str | None, named: str) -> None:
    data = csv_bytes(CLIENTS, delimiter=delimiter)

    error = refusal(data, delimiter=given)

    assert error.code == "header.merged_columns"
    assert error.issue.value == f"Nom du client{delimiter}Ville{delimiter}Email du contact".replace("\t", " ")
    assert named in error.message_in("en")
    assert "--delimiter" in (error.issue.hint or "")


def test_the_french_message_names_the_tab_in_french() -> None:
    error = refusal(csv_bytes(CLIENTS, delimiter="\t"), delimiter=";")
    assert "une tabulation" in error.message_in("fr")


def test_a_one_column_file_whose_cells_hold_a_colon_now_and_then_is_read() -> None:
    rows = [["Nom du client"], ["Dupont"], ["Acme : siège"], ["Globex"], ["Initech"], ["Umbrella"]]

    table = ui.read_table(csv_bytes(rows))

    assert table.headers == ("Nom du client",)
    assert len(list(table.rows)) == 5


def test_two_separators_splitting_every_line_alike_are_refused() -> None:
    rows = [["Nom,prénom", "Ville,pays"], ["Dupont,Jean", "Paris,France"], ["Martin,Paul", "Lyon,France"]]

    error = refusal(csv_bytes(rows, delimiter=";"))

    assert error.code == "file.ambiguous_delimiter"
    assert "';'" in error.message_in("en") and "','" in error.message_in("en")


def test_a_comma_followed_by_a_space_is_punctuation_not_the_separator() -> None:
    rows = [["Nom, prénom", "Ville"], ["Dupont, Jean", "Paris"], ["Martin, Paul", "Lyon"]]

    table = ui.read_table(csv_bytes(rows, delimiter=";"))

    assert table.delimiter == ";"
    assert table.headers == ("Nom, prénom", "Ville")


def test_an_explicit_separator_settles_an_ambiguous_file() -> None:
    rows = [["Nom,prénom", "Ville"], ["Dupont,Jean", "Paris"]]
    table = ui.read_table(csv_bytes(rows, delimiter=";"), delimiter=";")
    assert table.headers == ("Nom,prénom", "Ville")


# -- encodings -----------------------------------------------------------------

def mixed_file(lines: list[tuple[list[str], str]], *, delimiter: str = ";") -> bytes:
    """Each record written by the csv module and encoded on its own."""
    return b"".join(csv_bytes([cells], delimiter=delimiter, encoding=encoding) for cells, encoding in lines)


def test_a_utf8_file_with_one_cp1252_line_is_read_right_and_the_line_named() -> None:
    data = mixed_file([(CLIENTS[0], "utf-8"), (["Crème & Co", "Nîmes", "a@creme.fr"], "utf-8"),
                       (["Société Générale", "Orléans", "b@sg.fr"], "cp1252"),
                       (["Éric", "Besançon", "c@eric.fr"], "utf-8")])

    table = ui.read_table(data)

    assert table.encoding == "utf-8"
    assert [row.values[:2] for row in table.rows] == [
        ("Crème & Co", "Nîmes"), ("Société Générale", "Orléans"), ("Éric", "Besançon")]
    [issue] = table.issues
    assert (issue.code, issue.severity, issue.row) == ("file.mixed_encoding", ui.Severity.WARNING, None)
    assert dict(issue.params)["lines"] == "3"
    assert issue.message_in("en") == ("Line(s) 3 are in Windows-1252 (cp1252), the rest of the file in "
                                      "UTF-8: each part was read in its own encoding.")


def test_a_utf8_file_with_a_bom_names_its_cp1252_lines_however_many() -> None:
    data = mixed_file([(CLIENTS[0], "utf-8-sig"), (["Société", "Orléans", "a@x.fr"], "cp1252"),
                       (["Hélène", "Sète", "c@x.fr"], "cp1252"), (["Crème", "Nîmes", "b@x.fr"], "utf-8")])

    table = ui.read_table(data)

    assert table.encoding == "utf-8-sig"
    assert [row.values[0] for row in table.rows] == ["Société", "Hélène", "Crème"]
    assert [(issue.code, dict(issue.params)["lines"]) for issue in table.issues] == [
        ("file.mixed_encoding", "2, 3")]


def test_a_cp1252_file_with_one_utf8_line_names_the_utf8_line() -> None:
    data = mixed_file([(CLIENTS[0], "cp1252"), (["Société", "Orléans", "a@x.fr"], "cp1252"),
                       (["Crème", "Nîmes", "b@x.fr"], "utf-8"), (["Hélène", "Sète", "c@x.fr"], "cp1252")])

    table = ui.read_table(data)

    assert table.encoding == "cp1252"
    assert [row.values[0] for row in table.rows] == ["Société", "Crème", "Hélène"]
    assert [(issue.code, dict(issue.params)["lines"]) for issue in table.issues] == [
        ("file.mixed_encoding", "3")]


def test_a_wholly_cp1252_file_is_cp1252_without_a_warning() -> None:
    table = ui.read_table(csv_bytes(CLIENTS, encoding="cp1252"))
    assert table.encoding == "cp1252"
    assert [row.values[0] for row in table.rows] == ["Dupont", "Société Générale"]
    assert table.issues == []


def test_many_mixed_lines_are_counted_after_the_first_twenty() -> None:
    lines = [(CLIENTS[0], "utf-8"), *[([f"Crème {n}", "Nîmes", ""], "utf-8") for n in range(30)],
             *[([f"Société {n}", "Orléans", ""], "cp1252") for n in range(25)]]

    table = ui.read_table(mixed_file(lines))

    [issue] = table.issues
    assert dict(issue.params)["lines"] == ", ".join(str(n) for n in range(32, 52)) + "… (25)"


# Text with the characters that matter: accents, the euro sign, curly quotes, separators.
FRENCH = st.text(st.sampled_from([*"abcXYZ09 éèàçÇœŒ€’«»°É;,", "\u00a0"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(FRENCH, min_size=2, max_size=2), min_size=1, max_size=6))
def test_any_text_written_as_utf8_reads_back_identical_without_warning(rows: list[list[str]]) -> None:
    data = csv_bytes([["Nom", "Ville"], *rows], encoding="utf-8")
    table = ui.read_table(data, delimiter=";")
    assert [row.values for row in table.rows] == [tuple(c or None for c in row) for row in rows if any(row)]
    assert table.issues == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(FRENCH, min_size=2, max_size=2), st.sampled_from(["utf-8", "cp1252"])),
                min_size=1, max_size=6))
def test_each_line_of_a_file_mixing_encodings_reads_back_in_its_own(
        lines: list[tuple[list[str], str]]) -> None:
    # A cp1252 line whose bytes are valid UTF-8 too ("çŒ\xa0" is E7 8C A0, UTF-8 for "猠") is
    # read as UTF-8: the documented limit of any detection. It takes an accented letter followed
    # by one to three of cp1252's 0x80-0xBF characters (€, curly quotes, NBSP…), never a lone
    # accented letter.
    assume(all(encoding == "utf-8" or not _valid_non_ascii_utf8(csv_bytes([cells], encoding=encoding))
               for cells, encoding in lines))
    data = mixed_file([(["Nom", "Ville"], "utf-8"), *lines])

    table = ui.read_table(data, delimiter=";")

    written = [tuple(c or None for c in cells) for cells, _ in lines if any(cells)]
    assert [row.values for row in table.rows] == written
    # The user is told exactly when the file holds non-ASCII lines of both encodings.
    encodings = {encoding for cells, encoding in lines if not csv_bytes([cells], encoding=encoding).isascii()}
    warned = [issue for issue in table.issues if issue.code == "file.mixed_encoding"]
    assert bool(warned) == (encodings == {"utf-8", "cp1252"})


def _valid_non_ascii_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


# -- title rows ----------------------------------------------------------------

def test_a_two_cell_title_row_over_the_header_is_refused_naming_the_header_row() -> None:
    data = csv_bytes([["Export clients", "Date : 03/12/2026"], *CLIENTS])

    error = refusal(data)

    assert error.code == "header.title_row"
    assert error.issue.row == 1
    assert dict(error.issue.params)["header_row"] == 2
    assert "header_row=2" in (error.issue.hint or "")
    assert "--header-row 2" in (error.issue.hint or "")


def test_several_title_rows_and_a_blank_line_are_refused_naming_the_header_row() -> None:
    data = csv_bytes([["Export clients"], ["Date : 03/12/2026", "Page 1"], [], *CLIENTS])

    error = refusal(data)

    assert (error.code, error.issue.row, dict(error.issue.params)["header_row"]) == ("header.title_row", 1, 4)


def test_header_row_reads_below_the_title_rows_keeping_the_real_row_numbers() -> None:
    data = csv_bytes([["Export clients", "Date : 03/12/2026"], [], *CLIENTS])

    table = ui.read_table(data, header_row=3)

    assert table.headers == tuple(CLIENTS[0])
    assert [(row.number, row.values[0]) for row in table.rows] == [(4, "Dupont"), (5, "Société Générale")]


def test_header_row_one_reads_a_file_that_only_looks_titled() -> None:
    rows = [["Nom", "Ville"], ["Martin", "Lyon", "note"]]
    assert refusal(csv_bytes(rows)).code == "header.title_row"

    table = ui.read_table(csv_bytes(rows), header_row=1)

    assert table.headers == ("Nom", "Ville")


def test_header_row_on_a_blank_line_takes_the_next_non_blank_one() -> None:
    table = ui.read_table(csv_bytes([["Titre"], [], *CLIENTS]), header_row=2)
    assert table.headers == tuple(CLIENTS[0])


def test_header_row_beyond_the_file_leaves_nothing_to_read() -> None:
    assert refusal(csv_bytes(CLIENTS), header_row=10).code == "file.empty"


@pytest.mark.parametrize("header_row", [0, -1, 1.0, "2", True])
def test_header_row_must_be_a_row_number(header_row: object) -> None:
    with pytest.raises((TypeError, ValueError), match="header_row"):
        ui.read_table(csv_bytes(CLIENTS), header_row=header_row)  # type: ignore[arg-type]


def test_a_two_cell_title_row_in_a_workbook_is_refused_and_header_row_reads_it() -> None:
    data = xlsx_bytes({"Clients": [["Export clients", "Date : 03/12/2026"], [], *CLIENTS]})

    error = refusal(data)
    table = ui.read_table(data, header_row=3)

    assert (error.code, error.issue.row, dict(error.issue.params)["header_row"]) == ("header.title_row", 1, 3)
    assert table.headers == tuple(CLIENTS[0])
    assert [(row.number, row.values[0]) for row in table.rows] == [(4, "Dupont"), (5, "Société Générale")]


def test_a_title_row_with_a_real_date_cell_in_a_workbook_is_refused() -> None:
    data = xlsx_bytes({"Clients": [["Export clients", datetime.date(2026, 12, 3)], *CLIENTS]})

    error = refusal(data)

    assert (error.code, error.issue.value) == ("header.title_row", "Export clients | 2026-12-03")
    assert dict(error.issue.params)["header_row"] == 2


@pytest.mark.parametrize("isolate", [False, True])
def test_header_row_in_a_workbook_ignores_the_rows_above(isolate: bool) -> None:
    data = xlsx_bytes({"Clients": [["Nom", "Ville"], ["Ancien", "Tableau"], *CLIENTS]})

    table = ui.read_table(data, header_row=3, isolate=isolate)

    assert table.headers == tuple(CLIENTS[0])
    assert [row.number for row in table.rows] == [4, 5]


@pytest.mark.parametrize(("rows", "titles"), [
    ([["Liste des clients 2024"], ["Nom", "Ville"]], 1),
    ([["Export clients", "Date : 03/12/2026"], ["Nom", "Ville", "Email"]], 1),
    ([["Export"], ["Date : 03/12/2026"], ["Nom", "Ville"]], 2),
    ([["Export"], ["Date", "03/12/2026"], ["Nom", "Ville", "Email"]], 2),
    ([["Export clients", None, None, "Date : 03/12/2026"], ["Nom", "Ville", "Email", "Pays", "Poste"]], 1),
    ([["Export clients", "Date : 03/12/2026", "Page 1"], ["A", "B", "C", "D", "E", "F"]], 1),
    # Not titles: a real header over rows, a two-column table, a header with an unnamed column,
    # a narrow row over data (numbers, emails), a one-column file.
    ([["Nom", "Ville"], ["Dupont", "Paris"]], 0),
    ([["Nom", "Ville"], ["Dupont", "Paris"], ["Martin", "Lyon", "note"]], 0),
    ([["Nom", None, "Ville"], ["Acme", "note", "Paris"]], 0),
    ([["Nom", "Ville", "Pays"], ["Dupont", "Paris", "France", "note"]], 0),
    ([["Clients", "2026"], ["Dupont", "Paris", "a@dupont.fr"]], 0),
    ([["Clients", "Export"], ["Dupont", "75001", "Paris"]], 0),
    ([["Nom du client"], ["Dupont"], ["Martin"]], 0),
])
def test_what_counts_as_title_rows(rows: list[list[str | None]], titles: int) -> None:
    assert title_rows(rows) == titles


def test_csv_and_workbook_agree_on_title_rows() -> None:
    rows = [["Export clients", "Date : 03/12/2026"], *CLIENTS]
    assert refusal(csv_bytes(rows)).issue == refusal(xlsx_bytes({"S": rows})).issue

