"""Template files: what a finance team downloads, fills in and imports back."""

from __future__ import annotations

import csv
import doctest
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import import _sheets, templates
from upflow_import.cli import main
from upflow_import.fields import SPECS, Field
from upflow_import.values import parse_flag, parse_position

FORMATS = ("csv", "xlsx")
LANGS = ("en", "fr")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", FORMATS)
def test_a_fresh_template_maps_every_field_at_full_confidence_and_checks_clean(
        tmp_path: Path, kind: str, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"template.{kind}"
    ui.write_template(path, lang=lang)  # type: ignore[arg-type]

    table = ui.read_table(path)
    assert table.format == kind
    assert table.headers == tuple(SPECS[field].label(lang) for field in Field)  # type: ignore[arg-type]
    mapping = ui.auto_map(table)
    assert {mapping.field_for(column) for column in table.headers} == set(Field)
    assert all(mapping.confidence(column) == 1.0 for column in table.headers)

    assert main(["check", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["errors"] == 0 and document["summary"]["warnings"] == 0
    assert document["summary"]["clients"]["create"] == 1 and document["summary"]["contacts"]["create"] == 1


def test_the_example_row_imports_with_its_values_typed(tmp_path: Path) -> None:
    ui.write_template(tmp_path / "t.csv", lang="fr")
    repository = ui.InMemoryRepository()
    assert ui.import_file(tmp_path / "t.csv", repository).ok
    (client,) = repository.clients()
    assert client.values[Field.CLIENT_POSTAL_CODE] == "75002"
    assert client.values[Field.CLIENT_COUNTRY] == "FR"
    assert client.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30
    (contact,) = repository.contacts()
    assert contact.values[Field.CONTACT_PHONE] == "+33123456789"
    assert contact.values[Field.CONTACT_POSITION] == "ACCOUNTING" and contact.is_main


@pytest.mark.parametrize(("lang", "separator"), [("fr", ";"), ("en", ",")])
def test_a_csv_template_is_utf8_with_a_bom_and_the_separator_of_its_language(
        tmp_path: Path, lang: str, separator: str) -> None:
    path = tmp_path / "template.csv"
    ui.write_template(path, lang=lang)  # type: ignore[arg-type]
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, example = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator)
    assert header[0] == SPECS[Field.CLIENT_EXTERNAL_ID].label(lang)  # type: ignore[arg-type]
    assert len(header) == len(Field) == len(example)
    # Every field is quoted: a program splitting on another separator sees no cell start with =.
    first_line = data.decode("utf-8-sig").split("\r\n")[0]
    assert all(cell.startswith('"') and cell.endswith('"') for cell in first_line.split(separator))
    assert ui.read_table(path).delimiter == separator
    if lang == "fr":
        assert any("Région" in cell for cell in header)  # accents survive, as Excel reads a BOM-marked file


def _sheet_xml(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        return (archive.read("xl/worksheets/sheet1.xml").decode("utf-8"),
                archive.read("xl/styles.xml").decode("utf-8"))


def _cell_xfs(styles: str) -> list[str]:
    section = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert section is not None
    return re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", section.group(1), re.S)


def _fonts(styles: str) -> list[str]:
    section = re.search(r"<fonts[^>]*>(.*?)</fonts>", styles, re.S)
    assert section is not None
    return re.findall(r"<font>.*?</font>|<font/>", section.group(1), re.S)


def _attribute(element: str, name: str) -> str:
    found = re.search(rf'\b{name}="([^"]*)"', element)
    assert found is not None, (name, element)
    return found.group(1)


def test_the_xlsx_template_guides_whoever_fills_it_in(tmp_path: Path) -> None:
    path = tmp_path / "modele.xlsx"
    ui.write_template(path, lang="fr")
    sheet, styles = _sheet_xml(path)
    xfs, fonts = _cell_xfs(styles), _fonts(styles)
    columns = list(Field)

    # The header row is frozen: the pane splits below row 1.
    pane = re.search(r"<pane [^>]*/>", sheet)
    assert pane is not None and 'state="frozen"' in pane.group(0) and 'ySplit="1"' in pane.group(0)
    # Every header cell is bold.
    header = re.search(r'<row r="1"[^>]*>(.*?)</row>', sheet, re.S)
    assert header is not None
    header_cells = re.findall(r"<c [^>]*>", header.group(1))
    assert len(header_cells) == len(columns)
    for cell in header_cells:
        font = fonts[int(_attribute(xfs[int(_attribute(cell, "s"))], "fontId"))]
        assert "<b/>" in font, cell
    # Columns have widths; ids, postal code and phone columns are text: number format "@"
    # (built in as 49, or declared in the workbook).
    text_formats = {"49", *re.findall(r'<numFmt numFmtId="(\d+)" formatCode="@"/>', styles)}
    cols = re.findall(r"<col [^>]*/>", sheet)
    by_column = {int(_attribute(col, "min")): col for col in cols}
    assert all('customWidth="1"' in by_column[index + 1] for index in range(len(columns)))
    for field in (Field.CLIENT_EXTERNAL_ID, Field.CLIENT_POSTAL_CODE, Field.GROUP_EXTERNAL_ID,
                  Field.CONTACT_EXTERNAL_ID, Field.CONTACT_PHONE, Field.CLIENT_ACCOUNTING_CODE):
        col = by_column[columns.index(field) + 1]
        assert _attribute(xfs[int(_attribute(col, "style"))], "numFmtId") in text_formats, field
    # Drop-down lists on the position and main-contact columns, over the whole column.
    validations = re.findall(r"<dataValidation [^>]*>.*?</dataValidation>", sheet, re.S)
    lists = {_attribute(v, "sqref"): re.search(r"<formula1>(.*?)</formula1>", v).group(1)  # type: ignore[union-attr]
             for v in validations if 'type="list"' in v}
    letter = {field: chr(ord("A") + columns.index(field)) for field in columns}
    position, main_contact = letter[Field.CONTACT_POSITION], letter[Field.CONTACT_IS_MAIN]
    assert lists == {f"{position}2:{position}1048576": '"Comptable,Commercial,Acheteur,Payeur"',
                     f"{main_contact}2:{main_contact}1048576": '"1,0"'}
    # No cell is a formula or a number: the example row is all strings, "75002" included.
    assert "<f>" not in sheet and "<v>75002</v>" not in sheet


def test_the_english_template_lists_the_position_codes(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    ui.write_template(path, lang="en")
    sheet, _ = _sheet_xml(path)
    assert '"ACCOUNTING,SALES,PURCHASER,PAYER"' in sheet


@pytest.mark.parametrize("lang", LANGS)
def test_every_drop_down_choice_is_a_value_the_importer_accepts(lang: str) -> None:
    columns = {field: templates._column(field, lang) for field in Field}  # type: ignore[arg-type]
    positions = columns[Field.CONTACT_POSITION].choices
    assert [parse_position(choice)[0] for choice in positions] == list(ui.Position)
    assert [parse_flag(choice)[0] for choice in columns[Field.CONTACT_IS_MAIN].choices] == [True, False]


def test_a_template_can_be_written_to_a_file_object_with_an_explicit_format() -> None:
    for kind in FORMATS:
        out = io.BytesIO()
        ui.write_template(out, format=kind, lang="en")
        assert ui.read_table(out.getvalue()).format == kind
    with pytest.raises(ui.UpflowImportError) as caught:
        ui.write_template(io.BytesIO())
    assert caught.value.code == "export.unsupported_format"
    with pytest.raises(ui.UpflowImportError) as caught:
        ui.write_template("template.ods")
    assert caught.value.code == "export.unsupported_format"


def test_without_xlsxwriter_xlsx_asks_for_the_extra_and_csv_still_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # makes "import xlsxwriter" fail
    with pytest.raises(ui.UpflowImportError) as caught:
        ui.write_template(tmp_path / "t.xlsx")
    assert caught.value.code == "export.xlsx_unavailable"
    assert "upflow-import[xlsx]" in (caught.value.issue.hint or "")
    assert not (tmp_path / "t.xlsx").exists()

    assert main(["template", str(tmp_path / "t.xlsx"), "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "[export.xlsx_unavailable]" in err and "XlsxWriter" in err
    assert 'pip install "upflow-import[xlsx]"' in err
    assert main(["template", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").exists()


def test_the_template_command_says_what_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", str(tmp_path / "modele.csv"), "--lang", "fr"]) == 0
    assert "Modèle écrit dans" in capsys.readouterr().out
    assert ui.read_table(tmp_path / "modele.csv").headers[1] == "Nom du client"


def test_the_docstring_examples_run() -> None:
    for module in (templates, _sheets):
        assert doctest.testmod(module).failed == 0
