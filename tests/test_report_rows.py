"""Rows out: every row's outcome as plain data and DataFrames; the --json document against its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import.cli import main
from upflow_import.fields import Field
from upflow_import.model import ContactRecord
from upflow_import.repository import Id

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

HEADERS = ["Identifiant Client", "Nom du client", "Ville", "Délai de paiement", "Email du contact"]


def records(*rows: tuple[object, ...]) -> ui.Table:
    return ui.read_records(rows, headers=HEADERS)


def by_row(report: ui.ImportReport) -> dict[int, dict[str, object]]:
    return {row["row"]: row for row in report.to_rows()}  # type: ignore[misc]


def test_each_row_says_what_became_of_it_with_its_typed_values_and_cells() -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(records(("C1", "Acme", "Paris", 30, None), ("C2", "Globex", "Lyon", None, None)),
                   repository)
    report = ui.import_file(records(
        ("C1", "Acme", "Paris", 30, None),               # as stored
        ("C2", "Globex", "Nice", None, "Compta@Globex.fr"),  # city changed, a contact added
        ("C3", "Initech", "Lille", 45.0, None),          # new
        ("C4", "Umbrella", None, "soon", None),          # an error
    ), repository, lang="fr")
    rows = by_row(report)
    assert {number: row["status"] for number, row in rows.items()} == {
        2: "unchanged", 3: "created", 4: "created", 5: "failed"}
    assert (rows[3]["client"], rows[3]["contact"]) == ("update", "create")
    assert (rows[2]["client"], rows[2]["contact"]) == ("unchanged", None)
    assert rows[4]["values"] == {"client.external_id": "C3", "client.name": "Initech", "client.city": "Lille",
                                 "client.payment_term_days": 45}
    assert rows[3]["values"]["contact.email"] == "Compta@Globex.fr"  # type: ignore[index]
    assert rows[5]["cells"] == {"Identifiant Client": "C4", "Nom du client": "Umbrella", "Ville": None,
                                "Délai de paiement": "soon", "Email du contact": None}
    (issue,) = rows[5]["issues"]  # type: ignore[misc]
    assert issue["code"] == "value.invalid_integer" and issue["row"] == 5
    # In the report's language by default, in another when asked.
    (english,) = report.to_rows("en")[3]["issues"]  # type: ignore[misc]
    assert issue["message"] == report.rows[3].issues[0].message_in("fr") != english["message"]
    json.dumps(report.to_rows())  # plain data all the way down


def test_an_update_alone_is_updated_and_a_dry_run_says_what_would_happen() -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(records(("C1", "Acme", "Paris", None, None)), repository)
    report = ui.import_file(records(("C1", "Acme", "Lyon", None, None)), repository, dry_run=True)
    assert [row["status"] for row in report.to_rows()] == ["updated"]
    assert repository.client_by_external_id("C1").values[Field.CLIENT_CITY] == "Paris"


def test_rows_not_imported_because_of_another_rows_error_are_skipped() -> None:
    report = ui.import_file(records(("C1", "Acme", None, None, None), ("C2", "Globex", None, "soon", None)),
                            ui.InMemoryRepository(), on_error="abort")
    assert [(row["row"], row["status"], row["client"]) for row in report.to_rows()] == [
        (2, "skipped", "dropped"), (3, "failed", "dropped")]


class FailingContacts(ui.InMemoryRepository):
    def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        raise RuntimeError("the contacts table is locked")


def test_a_failed_write_fails_its_row_with_the_write_error() -> None:
    report = ui.import_file(records(("C1", "Acme", None, None, "jean@acme.fr")), FailingContacts())
    (row,) = report.to_rows()
    assert (row["status"], row["client"], row["contact"]) == ("failed", "create", "failed")
    assert [issue["code"] for issue in row["issues"]] == ["apply.failed"]  # type: ignore[attr-defined]


def test_the_rows_as_a_pandas_and_a_polars_dataframe() -> None:
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    report = ui.import_file(records(("C1", "Acme", "Paris", 30, "jean@acme.fr"),
                                    ("C2", "Globex", None, "soon", None)), ui.InMemoryRepository())
    frame = report.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns[:6]) == ["row", "status", "client", "contact", "issue_codes", "issue_messages"]
    assert frame["status"].tolist() == ["created", "failed"]
    assert frame["issue_codes"].tolist() == ["", "value.invalid_integer"]
    assert frame.loc[0, "client.payment_term_days"] == 30
    failed = frame[frame["status"] == "failed"]
    assert failed["row"].tolist() == [3]
    polar = report.to_polars()
    assert isinstance(polar, polars.DataFrame)
    assert polar["status"].to_list() == ["created", "failed"]
    assert polar.filter(polars.col("status") == "created")["contact.email"].to_list() == ["jean@acme.fr"]


def test_a_missing_dataframe_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import importlib

    real = importlib.import_module

    def without_pandas(name: str, *args: object) -> object:
        if name == "pandas":
            raise ImportError(name)
        return real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib, "import_module", without_pandas)
    report = ui.import_file(records(("C1", "Acme", None, None, None)), ui.InMemoryRepository())
    with pytest.raises(ImportError, match=r"to_pandas\(\) needs pandas.*pip install pandas"):
        report.to_pandas()
    assert builtins  # the library imports pandas only when asked


# -- the JSON Schema of --json ------------------------------------------------------------------------


jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def validator() -> object:
    schema = ui.report_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def cli_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict[str, object]:
    main([str(argument) for argument in args])
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


@pytest.mark.parametrize(("command", "sample"), [
    ("check", "clients_fr.csv"),
    ("check", "clients_with_errors.csv"),
    ("plan", "clients_en.xlsx"),
    ("apply", "clients_fr.csv"),
    ("apply", "clients_with_errors.csv"),
    ("apply", "groups.csv"),
    ("plan", "contacts_only.csv"),
])
def test_real_reports_validate_against_the_shipped_schema(
        validator: object, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str,
        sample: str) -> None:
    arguments: list[str | Path] = [command, EXAMPLES / sample, "--json"]
    if command != "check":
        arguments += ["--db", tmp_path / "store.db"]
    document = cli_json(capsys, *arguments)
    validator.validate(document)  # type: ignore[attr-defined]
    assert document["file"]["rows"] > 0  # type: ignore[index]


def test_a_report_with_updates_in_french_validates(validator: object, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    cli_json(capsys, "apply", EXAMPLES / "clients_fr.csv", "--json", "--db", store)
    changed = tmp_path / "changed.csv"
    text = (EXAMPLES / "clients_fr.csv").read_text("cp1252").replace("Paris", "Marseille")
    changed.write_text(text, encoding="cp1252")
    document = cli_json(capsys, "apply", changed, "--json", "--db", store, "--lang", "fr")
    validator.validate(document)  # type: ignore[attr-defined]
    assert {op["op"] for op in document["operations"]} == {"update_client"}  # type: ignore[attr-defined]


def test_the_error_document_validates(validator: object, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    unreadable = tmp_path / "notes.pdf"
    unreadable.write_bytes(b"%PDF-1.4 not a spreadsheet")
    document = cli_json(capsys, "check", unreadable, "--json")
    validator.validate(document)  # type: ignore[attr-defined]
    assert document["error"]["code"] == "file.unsupported_format"  # type: ignore[index]


def test_a_document_that_strays_from_the_report_is_invalid(validator: object) -> None:
    report = ui.import_file(b"Nom du client;Ville\nAcme;Paris\n", ui.InMemoryRepository())
    document = report.to_dict()
    validator.validate(document)  # type: ignore[attr-defined]
    document["summary"]["errors"] = "none"  # type: ignore[index]
    assert not validator.is_valid(document)  # type: ignore[attr-defined]


def test_every_field_key_and_issue_code_fits_the_schema(validator: object) -> None:
    from upflow_import.issues import CATALOGUE

    schema = ui.report_json_schema()["$defs"]
    field_key = jsonschema.Draft202012Validator(schema["field_key"])
    assert all(field_key.is_valid(field.value) for field in Field)
    code = jsonschema.Draft202012Validator(schema["issue"]["properties"]["code"])
    assert all(code.is_valid(name) for name in CATALOGUE)


def test_the_schema_ships_in_the_package() -> None:
    from importlib.resources import files

    shipped = files("upflow_import").joinpath("schema/report.schema.json")
    assert json.loads(shipped.read_text("utf-8")) == ui.report_json_schema()
    # That the built wheel carries it too is checked by CI, which builds the wheel.
