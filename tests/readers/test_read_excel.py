"""Workbooks: XLSX written by XlsxWriter, XLS by xlwt, and the real XLSB/XLS/ODS of the corpus."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from reader_files import xls_bytes, xlsx_bytes

import upflow_import as ui


def values(table: ui.Table) -> list[tuple[int, tuple[str | None, ...]]]:
    return [(row.number, row.values) for row in table.rows]


def test_cells_become_the_text_a_person_typed() -> None:
    data = xlsx_bytes({"Clients": [
        ["Code postal", "Délai", "Taux", "Bruit", "Date", "Rendez-vous", "Actif", "Inactif", "Nom"],
        [75001.0, 30, 12.5, 0.1 + 0.2, datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1, 10, 30),
         True, False, "  Acme\u00a0 "],
        [1e-05, 12345678901234.0, -3.0, 1 / 3, None, None, None, None, ""],
    ]})

    table = ui.read_table(data)

    assert table.format == "xlsx"
    assert (table.sheet, table.encoding, table.delimiter) == ("Clients", None, None)
    assert values(table) == [
        (2, ("75001", "30", "12.5", "0.3", "2024-03-01", "2024-03-01 10:30:00", "1", "0", "Acme")),
        (3, ("0.00001", "12345678901234", "-3", "0.333333333333333", None, None, None, None, None)),
    ]


def test_blank_rows_are_skipped_and_numbers_are_the_sheet_rows() -> None:
    data = xlsx_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"], [None, None], [None, None],
                             ["Globex", "Lyon"]]})
    assert values(ui.read_table(data)) == [(2, ("Acme", "Paris")), (5, ("Globex", "Lyon"))]


def test_a_table_starting_lower_and_further_right_keeps_its_real_rows_and_columns() -> None:
    data = xlsx_bytes({"S": [["Nom", None, "Ville"], ["Acme", "note", "Paris"]]}, start=(2, 2))

    table = ui.read_table(data)

    assert table.headers == ("Nom", "[D]", "Ville")
    assert values(table) == [(4, ("Acme", "note", "Paris"))]
    assert [(issue.code, issue.column, dict(issue.params)["position"]) for issue in table.issues] == [
        ("header.empty", "[D]", "D")]


def test_a_blank_header_over_an_empty_column_is_dropped_and_duplicates_are_renamed() -> None:
    data = xlsx_bytes({"S": [["Email", None, "Email", "Nom"], ["a@x.fr", None, "b@x.fr", "Acme"]]})

    table = ui.read_table(data)

    assert table.headers == ("Email", "Email (2)", "Nom")
    assert values(table) == [(2, ("a@x.fr", "b@x.fr", "Acme"))]
    assert [(issue.code, issue.column, issue.row, dict(issue.params)) for issue in table.issues] == [
        ("header.duplicate", "Email", None, {"position": "C", "renamed_to": "Email (2)"})]


def test_a_title_row_over_a_wider_table_is_refused() -> None:
    data = xlsx_bytes({"S": [["Nom", "Ville"], ["Acme", "Paris"]]}, title="Liste des clients 2024")

    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data)

    assert raised.value.code == "header.title_row"
    assert (raised.value.issue.row, raised.value.issue.value) == (1, "Liste des clients 2024")


def test_the_first_visible_sheet_is_read_unless_one_is_named() -> None:
    data = xlsx_bytes({"Notes": [["Caché", "Oui"], ["x", "y"]],
                       "Clients": [["Nom", "Ville"], ["Acme", "Paris"]],
                       "Autres": [["Nom", "Pays"], ["Globex", "FR"]]}, hidden=["Notes"])

    assert ui.read_table(data).sheet == "Clients"
    assert values(ui.read_table(data, sheet="Autres")) == [(2, ("Globex", "FR"))]
    assert ui.read_table(data, sheet="Notes").headers == ("Caché", "Oui")
    assert ui.read_table(data, sheet=" autres ").sheet == "Autres"


def test_an_unknown_sheet_lists_the_sheets() -> None:
    data = xlsx_bytes({"Feuil1": [["Nom"], ["Acme"]], "Feuil2": [["Nom"], ["Globex"]]})

    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(data, sheet="Clients")

    assert raised.value.code == "file.sheet_not_found"
    assert raised.value.issue.message == (
        "The workbook has no sheet named 'Clients'; its sheets are: 'Feuil1', 'Feuil2'.")
    assert raised.value.issue.message_in("fr") == (
        "Le classeur n'a pas de feuille nommée « Clients » ; ses feuilles sont : « Feuil1 », « Feuil2 ».")
    assert "Feuil2" in raised.value.issue.message_in("fr")


def test_an_empty_sheet_is_file_empty() -> None:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(xlsx_bytes({"S": []}))
    assert raised.value.code == "file.empty"


def test_rows_are_loaded_once_and_survive_the_source_being_closed() -> None:
    source = io.BytesIO(xlsx_bytes({"S": [["Nom"], ["Acme"], ["Globex"]]}))
    table = ui.read_table(source)
    source.close()
    assert values(table) == values(table) == [(2, ("Acme",)), (3, ("Globex",))]


def test_xls_written_by_xlwt_reads_like_xlsx() -> None:
    data = xls_bytes({"Clients": [["Nom", "Code postal", "Délai"], ["Société Générale", 75001.0, 30],
                                  [None, None, None], ["Globex", "69002", 45.5]]})

    table = ui.read_table(data)

    assert (table.format, table.sheet) == ("xls", "Clients")
    assert table.headers == ("Nom", "Code postal", "Délai")
    assert values(table) == [(2, ("Société Générale", "75001", "30")), (4, ("Globex", "69002", "45.5"))]


def test_excel_limits_are_checked() -> None:
    data = xlsx_bytes({"S": [["Nom", "Note"], ["Acme", "x" * 50], ["Globex", "y"]]})
    cases = {"max_rows": ui.Limits(max_rows=1), "max_columns": ui.Limits(max_columns=1),
             "max_cell_chars": ui.Limits(max_cell_chars=20), "max_cells": ui.Limits(max_cells=5),
             "max_uncompressed_bytes": ui.Limits(max_uncompressed_bytes=1000),
             "max_bytes": ui.Limits(max_bytes=1000)}
    for limit, limits in cases.items():
        with pytest.raises(ui.FileTooLargeError) as raised:
            ui.read_table(data, limits=limits)
        assert dict(raised.value.issue.params)["limit"] == limit


@pytest.mark.parametrize("extension", ["xlsx", "xlsb", "xls", "ods"])
def test_corpus_dates_read_as_iso_in_every_format(corpus_dir: Path, extension: str) -> None:
    table = ui.read_table(corpus_dir / f"date.{extension}")
    assert table.format == extension
    assert table.headers == ("2021-01-01", "15")
    assert next(iter(table.rows)).values[1] == "16"


@pytest.mark.parametrize("extension", ["xlsx", "xlsb", "xls", "ods"])
def test_corpus_hidden_sheets_are_skipped_by_default(corpus_dir: Path, extension: str) -> None:
    path = corpus_dir / f"any_sheets.{extension}"
    table = ui.read_table(path)
    assert (table.sheet, table.headers) == ("Visible", ("1", "2"))
    # The hidden sheet is chosen when named (it is empty, hence not "sheet not found").
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(path, sheet="Hidden")
    assert raised.value.code == "file.empty"


@pytest.mark.parametrize("name", ["pass_protected.xlsx", "pass_protected.xlsb", "pass_protected.ods",
                                  "issue_385.xls"])
def test_corpus_password_protected_files(corpus_dir: Path, name: str) -> None:
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.read_table(corpus_dir / name)
    assert raised.value.code == "file.password_protected"


def test_corpus_ods_repeated_rows_are_expanded(corpus_dir: Path) -> None:
    table = ui.read_table(corpus_dir / "number_rows_repeated.ods")
    assert table.headers == ("A", "B")
    assert len(list(table.rows)) == 4


def test_corpus_ods_repetition_bomb_is_too_large(corpus_dir: Path) -> None:
    with pytest.raises(ui.FileTooLargeError):
        ui.read_table(corpus_dir / "issue_594_dos.ods")
