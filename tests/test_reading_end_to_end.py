"""The reading misreads end to end: what a person importing the file sees, through
import_file() and the command line, on files written by the csv module and XlsxWriter."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

import upflow_import as ui
from upflow_import.cli import main

ROWS = [
    ["Nom du client", "Ville", "Email du contact"],
    ["Dupont", "Paris", "anne@dupont.fr"],
    ["Société Générale", "Orléans", "paul@sg.fr"],
]
TITLE = ["Export clients", "Date : 03/12/2026"]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Clients")
    for row_index, row in enumerate(rows):
        for column_index, value in enumerate(row):
            sheet.write_string(row_index, column_index, value)
    workbook.close()
    return path


def names(repository: ui.InMemoryRepository) -> list[str]:
    return sorted(client.name for client in repository.clients())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_tab_separated_file_creates_the_clients_by_their_own_names(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "clients.txt", ROWS, encoding=encoding, delimiter="\t")
    repository = ui.InMemoryRepository()

    report = ui.import_file(path, repository)

    assert report.ok
    assert names(repository) == ["Dupont", "Société Générale"]
    assert sorted(contact.email for contact in repository.contacts()) == ["anne@dupont.fr", "paul@sg.fr"]


def test_a_utf8_file_with_a_cp1252_line_imports_the_right_name_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(b"".join(
        "{};{};{}\r\n".format(*row).encode("cp1252" if row[0].startswith("Soc") else "utf-8")
        for row in [*ROWS, ["Crème & Co", "Nîmes", "c@creme.fr"]]))
    repository = ui.InMemoryRepository()

    report = ui.import_file(path, repository, lang="fr")

    assert names(repository) == ["Crème & Co", "Dupont", "Société Générale"]
    document = report.to_dict()
    [warning] = [issue for issue in document["issues"] if issue["code"] == "file.mixed_encoding"]
    assert warning["severity"] == "warning"
    assert "Ligne(s) 3 en Windows-1252" in warning["message"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_two_cell_title_row_is_refused_and_header_row_imports_the_file(tmp_path: Path, fmt: str) -> None:
    rows = [TITLE, [], *ROWS]
    path = (write_csv(tmp_path / "clients.csv", rows) if fmt == "csv"
            else write_xlsx(tmp_path / "clients.xlsx", rows))
    repository = ui.InMemoryRepository()

    with pytest.raises(ui.UpflowImportError) as raised:
        ui.import_file(path, repository)
    report = ui.import_file(path, repository, header_row=3)

    assert raised.value.code == "header.title_row"
    assert names(repository) == ["Dupont", "Société Générale"]
    assert [row.number for row in report.rows] == [4, 5]


def test_the_command_line_reads_a_unicode_text_export_and_names_mixed_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write_csv(tmp_path / "export.txt", ROWS, encoding="utf-16", delimiter="\t")
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("Nom du client;Ville\r\nCrème;Nîmes\r\n".encode() + "Société;Sète\r\n".encode("cp1252"))

    assert main(["check", str(export), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert main(["check", str(mixed), "--lang", "fr"]) == 0
    human = capsys.readouterr().out

    assert document["file"]["delimiter"] == "\t"
    assert [entry["column"] for entry in document["mapping"]] == [
        "Nom du client", "Ville", "Email du contact"]
    assert "file.mixed_encoding" in human
    assert "Ligne(s) 3 en Windows-1252 (cp1252)" in human


def test_the_command_line_refuses_merged_columns_and_takes_header_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    colon = write_csv(tmp_path / "colon.csv", ROWS, delimiter=":")
    titled = write_csv(tmp_path / "titled.csv", [TITLE, *ROWS])
    db = tmp_path / "store.db"

    assert main(["check", str(colon), "--lang", "fr"]) == 2
    merged = capsys.readouterr()
    assert main(["check", str(titled)]) == 2
    title = capsys.readouterr()
    assert main(["apply", str(titled), "--header-row", "2", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["plan", str(titled), "--header-row", "x", "--db", str(db)]) == 2
    wrong = capsys.readouterr()

    assert "header.merged_columns" in merged.out + merged.err
    assert "--header-row 2" in title.out + title.err
    assert "row number" in wrong.out + wrong.err
    with ui.SqliteRepository(db) as store:
        assert sorted(str(client["name"]) for client in store.export()["clients"]) == [
            "Dupont", "Société Générale"]


def test_header_row_from_a_real_command_line(tmp_path: Path) -> None:
    write_csv(tmp_path / "titled.csv", [TITLE, [], *ROWS])

    done = subprocess.run([sys.executable, "-m", "upflow_import", "check", "titled.csv", "--header-row", "3",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, encoding="utf-8",
                          check=False, timeout=120)

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["clients"]["create"] == 2
