"""Mapping memory: a file imported with an explicit mapping teaches the store how to map the next one."""

from __future__ import annotations

import csv
import doctest
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import import mapping_memory
from upflow_import.cli import main
from upflow_import.fields import Field
from upflow_import.sqlite import MIGRATIONS, SCHEMA_VERSION

# The automatic mapping takes "Code" for the customer ID (its values are not 411
# ledger accounts, which would settle it) and leaves "Secteur"
# unmapped; this user's files mean an accounting code and a region.
HEADERS = ["Société", "Code", "Secteur", "Contact"]
MAPPING = {"Société": "client.name", "Code": "client.accounting_code", "Secteur": "client.state",
           "Contact": "contact.email"}


def write_csv(path: Path, rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def first_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "january.csv", [["Acme", "CPT-ACME", "Nord", "jean@acme.fr"]])


def second_file(tmp_path: Path) -> Path:
    # The same headers, in another order and case: the same mapping applies.
    return write_csv(tmp_path / "february.csv", [["globex@globex.fr", "Globex", "Sud", "CPT-GLO"]],
                     headers=["CONTACT", "société", "SECTEUR", "Code"])


def test_without_memory_the_second_file_is_mapped_automatically(tmp_path: Path) -> None:
    mapping = ui.auto_map(ui.read_table(second_file(tmp_path)))
    assert mapping.field_for("Code") is Field.CLIENT_EXTERNAL_ID
    assert mapping.field_for("SECTEUR") is None


@pytest.mark.parametrize("make", [ui.InMemoryRepository, lambda: ui.SqliteRepository(":memory:")],
                         ids=["memory", "sqlite"])
def test_an_explicit_mapping_is_remembered_for_the_next_file_with_the_same_headers(
        tmp_path: Path, make: type[ui.InMemoryRepository]) -> None:
    repository = make()
    assert isinstance(repository, ui.MappingMemory)
    first = ui.import_file(first_file(tmp_path), repository, mapping=MAPPING)
    assert first.ok and "mapping.remembered" not in [issue.code for issue in first.issues]

    second = ui.import_file(second_file(tmp_path), repository)
    assert second.ok
    assert [(issue.code, issue.severity) for issue in second.issues] == [
        ("mapping.remembered", ui.Severity.WARNING)]
    assert second.mapping.to_dict() == {"CONTACT": "contact.email", "société": "client.name",
                                        "SECTEUR": "client.state", "Code": "client.accounting_code"}
    assert all(match.confidence == 1.0 for match in second.mapping.matches)
    stored = repository.find_clients_by_names(["globex"])
    assert [(client.values[Field.CLIENT_ACCOUNTING_CODE], client.values[Field.CLIENT_STATE])
            for client in stored] == [("CPT-GLO", "Sud")]
    assert second.to_dict()["issues"][0]["code"] == "mapping.remembered"


def test_remember_mapping_false_neither_saves_nor_uses(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(first_file(tmp_path), repository, mapping=MAPPING, remember_mapping=False)
    assert "mapping.remembered" not in [i.code for i in ui.import_file(second_file(tmp_path), repository,
                                                                       dry_run=True).issues]
    ui.import_file(first_file(tmp_path), repository, mapping=MAPPING)
    report = ui.import_file(second_file(tmp_path), repository, dry_run=True, remember_mapping=False)
    assert "mapping.remembered" not in [issue.code for issue in report.issues]
    assert report.mapping.field_for("Code") is not Field.CLIENT_ACCOUNTING_CODE


def test_a_dry_run_or_an_unusable_mapping_is_not_remembered(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(first_file(tmp_path), repository, mapping=MAPPING, dry_run=True)
    twice = {"Société": "client.name", "Code": "client.name", "Contact": "contact.email"}
    unusable = ui.import_file(first_file(tmp_path), repository, mapping=twice)
    assert "mapping.field_mapped_twice" in [issue.code for issue in unusable.issues]
    report = ui.import_file(second_file(tmp_path), repository, dry_run=True)
    assert "mapping.remembered" not in [issue.code for issue in report.issues]


def test_an_explicit_mapping_wins_over_the_remembered_one_and_replaces_it(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(first_file(tmp_path), repository, mapping=MAPPING)
    other = {**MAPPING, "Code": "client.external_id"}
    report = ui.import_file(second_file(tmp_path), repository, mapping=other)
    assert "mapping.remembered" not in [issue.code for issue in report.issues]
    assert report.mapping.field_for("Code") is Field.CLIENT_EXTERNAL_ID
    third = ui.import_file(first_file(tmp_path), repository, dry_run=True)
    assert third.mapping.field_for("Code") is Field.CLIENT_EXTERNAL_ID


def test_the_fingerprint_ignores_order_case_and_the_failed_rows_message_column() -> None:
    fingerprint = ui.header_fingerprint(HEADERS)
    assert fingerprint is not None and len(fingerprint) == 64
    assert ui.header_fingerprint(["CODE", "contact", "secteur", "Societe"]) == fingerprint
    assert ui.header_fingerprint([*HEADERS, "Import errors"]) == fingerprint
    assert ui.header_fingerprint([*HEADERS, "Erreurs d'import"]) == fingerprint
    assert ui.header_fingerprint([*HEADERS, "Notes"]) != fingerprint
    # Headers that normalise alike cannot be told apart: not remembered.
    assert ui.header_fingerprint(["Nom", "NOM"]) is None
    assert ui.header_fingerprint([]) is None


def test_a_failed_rows_file_comes_back_with_the_remembered_mapping(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    source = write_csv(tmp_path / "c.csv", [["Acme", "CPT-ACME", "Nord", "jean@acme.fr"],
                                            ["Globex", "CPT-GLO", "Sud", "bad@"]])
    report = ui.import_file(source, repository, mapping=MAPPING)
    failed = tmp_path / "failed.csv"
    assert ui.write_failed_rows(report, failed, lang="en") == 1
    again = ui.import_file(failed, repository, dry_run=True)
    assert again.mapping.field_for("Secteur") is Field.CLIENT_STATE
    assert again.mapping.field_for("Import errors") is None
    assert {"mapping.remembered", "mapping.unmapped_column"} <= {issue.code for issue in again.issues}


V2_STORE = """
CREATE TABLE clients (id INTEGER PRIMARY KEY, external_id TEXT, name TEXT NOT NULL, name_key TEXT NOT NULL,
    accounting_code TEXT, vat_number TEXT, address TEXT, postal_code TEXT, city TEXT, state TEXT,
    country TEXT, account_manager_email TEXT, dunning_plan TEXT, payment_term_days INTEGER,
    parent_id INTEGER REFERENCES clients(id));
INSERT INTO clients (id, external_id, name, name_key, city) VALUES (1, 'C001', 'Acme', 'acme', 'Paris');
"""


def test_a_version_2_store_gains_the_mapping_memory_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    with ui.SqliteRepository(path) as repository:
        repository.create_client(ui.ClientRecord((2,), external_id="C001", name="Acme",
                                                 address=ui.Address(city="Paris")), None)
    # Take the store back to version 2, as an older upflow-import left it.
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE mappings")
    connection.execute("PRAGMA user_version = 2")
    connection.commit()
    connection.close()
    assert SCHEMA_VERSION == len(MIGRATIONS) == 3

    with ui.SqliteRepository(path) as repository:
        assert repository.schema_version == 3
        (client,) = repository.find_clients_by_external_ids(["C001"])
        assert client.name == "Acme" and client.values[Field.CLIENT_CITY] == "Paris"
        repository.save_mapping("f" * 64, MAPPING)
    with ui.SqliteRepository(path, read_only=True) as reader:
        assert reader.load_mapping("f" * 64) == MAPPING


def test_a_read_only_store_at_version_2_is_migrated_before_planning(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    connection = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        migration(connection)
    connection.execute("PRAGMA user_version = 2")
    connection.commit()
    connection.close()
    with ui.SqliteRepository(path, read_only=True) as reader:
        assert reader.schema_version == 3 and reader.load_mapping("f" * 64) is None


def test_the_command_line_remembers_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    first_file(tmp_path)
    second_file(tmp_path)
    assert main(["apply", "january.csv", "--mapping", "mapping.json"]) == 0
    capsys.readouterr()

    # plan reads the memory of the store without writing to it.
    assert main(["plan", "february.csv", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [issue["code"] for issue in document["issues"]] == ["mapping.remembered"]
    assert {"column": "Code", "field": "client.accounting_code", "confidence": 1.0} in document["mapping"]

    assert main(["apply", "february.csv", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "mapping.remembered" in out
    assert "comme lors d'un import précédent d'un fichier aux mêmes en-têtes" in out
    assert "client.accounting_code" in out

    # Without the memory "Code" is taken for a customer ID: Globex would be a second customer.
    assert main(["plan", "february.csv", "--no-mapping-memory", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert "client.same_name_exists" in [issue["code"] for issue in document["issues"]]
    assert "mapping.remembered" not in [issue["code"] for issue in document["issues"]]
    assert {"column": "SECTEUR", "field": None, "confidence": 0.0} in document["mapping"]


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(mapping_memory).failed == 0
