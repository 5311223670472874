"""The failed-rows export: exactly the rows with errors, fixed by the user and imported again."""

from __future__ import annotations

import csv
import doctest
import io
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import upflow_import as ui
from upflow_import import exports
from upflow_import.cli import main
from upflow_import.fields import Field

HEADERS = ["Identifiant Client", "Nom du client", "Code postal", "Délai de paiement par défaut",
           "Email du contact", "Téléphone du contact"]
ROWS = [
    ["C1", "Acme", "01000", "30", "jean@acme.fr", "+33 1 23 45 67 89"],
    ["C2", "Globex", "75002", "trente", "anne@globex.fr", "+33 1 42 68 53 00"],  # bad term
    ["C3", "Initech", "69002", "45", "paul@initech.fr", ""],
    ["C4", "Umbrella", "13001", "60", "marie@", "+33 4 91 00 00 00"],  # bad email
    ["C5", "Hooli", "33000", "", "", ""],
    ["C6", "Stark", "06000", "15", "tony@stark.fr", "04 93 00 00 03"],
]


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]],
              delimiter: str = ";") -> Path:
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def read_back(path: Path) -> list[list[str]]:
    """Every row of an exported file, header first, as a spreadsheet program shows the text."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return [[str(cell) for cell in row] for row in sheet.to_python()]


def rewrite(path: Path, rows: list[list[str]]) -> None:
    """Save ``rows`` back to ``path`` in its format, as the user does after fixing cells."""
    if path.suffix == ".csv":
        text = io.StringIO()
        csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
        path.write_bytes(text.getvalue().encode("utf-8-sig"))
        return
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            sheet.write_string(r, c, cell)
    workbook.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_two_bad_rows_of_six_are_exported_then_fixed_and_imported(tmp_path: Path, kind: str) -> None:
    source = write_csv(tmp_path / "clients.csv", HEADERS, ROWS)
    repository = ui.InMemoryRepository()
    report = ui.import_file(source, repository, lang="fr")
    # The bad term drops client C2; the bad email drops Umbrella's contact only.
    assert report.summary.rows_with_errors == 2
    assert (len(repository.clients()), len(repository.contacts())) == (5, 3)

    failed = tmp_path / f"failed.{kind}"
    assert ui.write_failed_rows(report, failed) == 2
    header, *rows = read_back(failed)
    assert header == [*HEADERS, "Erreurs d'import", "Comment corriger"]
    # A CSV marks a cell starting like a formula with a ', an XLSX with the quote-prefix style.
    mark = "'" if kind == "csv" else ""
    assert [row[:6] for row in rows] == [
        ["C2", "Globex", "75002", "trente", "anne@globex.fr", mark + "+33 1 42 68 53 00"],
        ["C4", "Umbrella", "13001", "60", "marie@", mark + "+33 4 91 00 00 00"],
    ]
    assert rows[0][6] == "Délai de paiement par défaut : « trente » n'est pas un nombre entier."
    assert rows[0][7] == "Écrivez un nombre entier de jours, par exemple 30."
    assert rows[1][6] == "Email du contact : « marie@ » n'est pas une adresse email valide."
    assert rows[1][7] == "Écrivez une adresse complète, par exemple jean.dupont@example.com."

    rows[0][3] = "30"
    rows[1][4] = "marie@umbrella.fr"
    rewrite(failed, [header, *rows])
    again = ui.import_file(failed, repository)
    assert again.ok
    # The message and hint columns are simply not imported; nothing warns about an apostrophe.
    assert [(issue.code, issue.column) for issue in again.issues] == [
        ("mapping.unmapped_column", "Erreurs d'import"), ("mapping.unmapped_column", "Comment corriger")]
    assert (again.summary.clients.create, again.summary.contacts.create) == (1, 2)
    assert (len(repository.clients()), len(repository.contacts())) == (6, 5)
    globex = repository.client_by_external_id("C2")
    assert globex.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30
    (marie,) = repository.contacts_of(repository.client_by_external_id("C4").id)
    assert marie.email == "marie@umbrella.fr"
    # The neutralised "+33…" phone came back as the number, not as text starting with '.
    assert marie.values[Field.CONTACT_PHONE] == "+33491000000"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_text_starting_with_plus_comes_back_without_the_apostrophe(tmp_path: Path, kind: str) -> None:
    source = write_csv(tmp_path / "c.csv", ["Nom du client", "Ville", "Email du contact"],
                       [["+Plus SARL", "-Nord-", "bad@"], ["=Egal", "@Home", "x@"]])
    report = ui.import_file(source, ui.InMemoryRepository(), dry_run=True)
    failed = tmp_path / f"failed.{kind}"
    ui.write_failed_rows(report, failed, lang="en")
    _, *rows = read_back(failed)
    mark = "'" if kind == "csv" else ""
    assert [row[:2] for row in rows] == [[mark + "+Plus SARL", mark + "-Nord-"],
                                         [mark + "=Egal", mark + "@Home"]]
    repository = ui.InMemoryRepository()
    ui.import_file(failed, repository, mapping={"Email du contact": None})
    assert sorted((c.name, c.values[Field.CLIENT_CITY]) for c in repository.clients()) == [
        ("+Plus SARL", "-Nord-"), ("=Egal", "@Home")]


TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]


def parsed_with(cell: str) -> ui.ParsedImport:
    """One row whose email is invalid (so the row fails) and whose city is ``cell``."""
    table = ui.Table.from_rows(["Nom du client", "Ville", "Email du contact"],
                               [["Acme", cell, "not-an-email"]])
    return ui.parse(table, ui.auto_map(table))


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_csv_cell_starting_like_a_formula_gets_a_leading_apostrophe(trigger: str) -> None:
    cell = f"{trigger}HYPERLINK(\"http://evil.example\",\"x\")"
    out = io.BytesIO()
    assert ui.write_failed_rows(parsed_with(cell), out, format="csv", lang="en") == 1
    (_, row) = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert row[1] == "'" + cell


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_an_xlsx_cell_starting_like_a_formula_is_a_quote_prefixed_string(trigger: str) -> None:
    cell = f"{trigger}1+cmd|' /C calc'!A0"
    out = io.BytesIO()
    ui.write_failed_rows(parsed_with(cell), out, format="xlsx", lang="en")
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet  # never a formula
    city = re.search(r'<c r="B2"([^>]*)>', sheet)
    assert city is not None and 't="s"' in city.group(1)  # a shared string
    # Its style is Excel's quote prefix: text for Excel, and the cell's value is unchanged.
    style = re.search(r's="(\d+)"', city.group(1))
    assert style is not None
    with zipfile.ZipFile(out) as archive:
        styles = archive.read("xl/styles.xml").decode("utf-8")
    cell_formats = re.findall(r"<xf [^>]*?/?>", styles.split("<cellXfs", 1)[1])
    assert 'quotePrefix="1"' in cell_formats[int(style.group(1))]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[1][1] == cell


def test_only_the_formula_starts_are_neutralised() -> None:
    out = io.BytesIO()
    ui.write_failed_rows(parsed_with("Saint-Étienne"), out, format="csv", lang="en")
    assert ',"Saint-Étienne",' in out.getvalue().decode("utf-8-sig")


def test_a_failed_rows_file_that_fails_again_keeps_one_message_column(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", ["Nom du client", "Email du contact"], [["Acme", "jean@"]])
    first = tmp_path / "failed.csv"
    ui.write_failed_rows(ui.import_file(source, ui.InMemoryRepository(), dry_run=True), first, lang="fr")
    second = tmp_path / "failed-again.xlsx"
    ui.write_failed_rows(ui.import_file(first, ui.InMemoryRepository(), dry_run=True), second, lang="en")
    header, row = read_back(second)
    assert header == ["Nom du client", "Email du contact", "Import errors", "How to fix"]
    assert row == ["Acme", "jean@", "Email du contact: 'jean@' is not a valid email address.",
                   "Write a full address such as jean.dupont@example.com."]


def test_a_whole_file_error_exports_every_row_with_its_message(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", ["Ville", "Email du contact"],
                       [["Paris", "a@b.fr"], ["Lyon", "c@d.fr"]])
    report = ui.import_file(source, ui.InMemoryRepository(), dry_run=True)
    out = tmp_path / "failed.csv"
    assert ui.write_failed_rows(report, out, lang="en") == 2
    _, *rows = read_back(out)
    assert [row[:2] for row in rows] == [["Paris", "a@b.fr"], ["Lyon", "c@d.fr"]]
    assert all(row[2].startswith("No column is mapped to Customer name or Customer ID") for row in rows)


def test_a_csv_row_with_the_wrong_number_of_cells_is_exported_with_its_message(tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_bytes(b"Nom du client;Ville\nAcme;Paris\nGlobex\n")
    out = tmp_path / "failed.csv"
    assert ui.write_failed_rows(ui.import_file(source, ui.InMemoryRepository(), dry_run=True), out) == 1
    _, row = read_back(out)
    assert row == ["Globex", "", "Line 3 has 1 cell but the header has 2.",
                   "Every line must have the same number of separators; quote cells that contain the "
                   "separator."]


def test_with_no_failed_row_the_file_holds_the_header_only(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", ["Nom du client"], [["Acme"]])
    out = tmp_path / "failed.csv"
    assert ui.write_failed_rows(ui.import_file(source, ui.InMemoryRepository()), out, lang="en") == 0
    assert read_back(out) == [["Nom du client", "Import errors", "How to fix"]]


def test_apply_writes_the_failed_rows_file_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "clients.csv", HEADERS, ROWS)
    assert main(["apply", "clients.csv", "--failed-rows", "errors.xlsx", "--lang", "fr"]) == 1
    out = capsys.readouterr().out
    assert "Lignes en erreur écrites dans errors.xlsx (2)" in out
    assert [row[0] for row in read_back(tmp_path / "errors.xlsx")] == ["Identifiant Client", "C2", "C4"]
    # check and plan accept it too; --json keeps stdout one JSON document.
    assert main(["check", "clients.csv", "--failed-rows", "check.csv", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["rows"]["with_errors"] == 2
    header, *rows = read_back(tmp_path / "check.csv")
    assert header[-2:] == ["Import errors", "How to fix"] and len(rows) == 2


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(exports).failed == 0
