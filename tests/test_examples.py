"""Every example of ``examples/`` runs: the sample files import as described, the scripts work
(the SQL ETL step included), and the SQLAlchemy repository passes the contract test-kit."""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import upflow_import as ui
from upflow_import.fields import Field
from upflow_import.repository import Repository
from upflow_import.testing import RepositoryContract

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, check=False, capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=120)


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # SQLAlchemy resolves the string annotations of the models through the module.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- sample files -----------------------------------------------------------------------------


def test_the_readme_main_command_imports_the_french_sample_cleanly(tmp_path: Path) -> None:
    done = run("-m", "upflow_import", "apply", EXAMPLES / "clients_fr.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CSV, cp1252, separator ';', 8 rows" in done.stdout
    assert "created: 6" in done.stdout and "No issues." in done.stdout
    assert (tmp_path / "upflow.db").exists()


def test_the_french_sample_has_groups_and_main_contacts() -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(EXAMPLES / "clients_fr.csv", repository)
    assert report.ok and report.issues == ()
    assert (report.summary.clients.create, report.summary.contacts.create) == (6, 7)
    group = repository.client_by_external_id("G100")
    assert sorted(c.external_id or "" for c in repository.clients() if c.parent_id == group.id) == [
        "G101", "G102"]


def test_the_error_sample_reports_its_invalid_email() -> None:
    report = ui.import_file(EXAMPLES / "clients_with_errors.csv", ui.InMemoryRepository())
    assert [(issue.code, issue.row, issue.value) for issue in report.issues] == [
        ("value.invalid_email", 7, "paul.etoile@")]
    assert report.summary.clients.create == 6 and report.summary.contacts.dropped == 1


def test_the_english_workbook_imports_cleanly() -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(EXAMPLES / "clients_en.xlsx", repository)
    assert report.file.format == "xlsx" and report.file.sheet == "Customers"
    assert report.ok and report.issues == ()
    assert (report.summary.clients.create, report.summary.contacts.create) == (4, 5)
    berlin = repository.client_by_external_id("DE-100")
    assert berlin.values[Field.CLIENT_POSTAL_CODE] == "10117"  # a number in the workbook
    assert berlin.values[Field.CLIENT_COUNTRY] == "DE" and berlin.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 45
    assert repository.client_by_external_id("DE-101").parent_id == berlin.id


def test_make_samples_writes_the_committed_workbook_again(tmp_path: Path) -> None:
    done = run(EXAMPLES / "make_samples.py", tmp_path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = ui.read_table(tmp_path / "clients_en.xlsx")
    committed = ui.read_table(EXAMPLES / "clients_en.xlsx")
    assert written.headers == committed.headers
    assert list(written.rows) == list(committed.rows)


def test_contacts_only_adds_contacts_to_existing_clients() -> None:
    repository = ui.InMemoryRepository()
    ui.import_file(EXAMPLES / "clients_fr.csv", repository)
    report = ui.import_file(EXAMPLES / "contacts_only.csv", repository)
    assert report.file.delimiter == "," and report.file.encoding == "utf-8"
    assert report.ok and report.issues == ()
    summary = report.summary
    assert (summary.clients.create, summary.clients.unchanged) == (0, 4)
    assert (summary.contacts.create, summary.contacts.update) == (4, 1)
    cafe = repository.client_by_external_id("C003")
    assert [(c.email, c.is_main) for c in repository.contacts_of(cafe.id)] == [
        ("gerant@cafedesarts.fr", True), ("compta@cafedesarts.fr", False)]
    # Alone, the rows that give only a customer ID name nobody.
    alone = ui.import_file(EXAMPLES / "contacts_only.csv", ui.InMemoryRepository(), dry_run=True)
    assert {issue.code for issue in alone.issues if issue.is_error} == {"client.not_found"}


def test_groups_import_parents_first_whatever_the_row_order() -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(EXAMPLES / "groups.csv", repository)
    assert report.ok and report.issues == () and report.summary.clients.create == 6
    assert report.file.encoding == "utf-8-sig"
    parent_of = {c.external_id: c.parent_id for c in repository.clients()}
    ids = {c.external_id: c.id for c in repository.clients()}
    assert parent_of["SPA-NICE"] == ids["H-NICE"] and parent_of["H-NICE"] == ids["GRP"]
    assert parent_of["H-LYON"] == ids["GRP"] and parent_of["GRP"] == ids["HOLD"]
    assert parent_of["HOLD"] is None and parent_of["BISTRO"] is None
    # The subsidiary on the first row was created after the parents it names.
    created = [op.key for op in report.operations]
    assert created.index("HOLD") < created.index("GRP") < created.index("H-NICE") < created.index("SPA-NICE")


# -- scripts ------------------------------------------------------------------------------------


def test_the_etl_step_applies_a_clean_file_and_stops_on_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Once as a script, as a person runs it; then in-process, which is the same code and faster.
    done = run(EXAMPLES / "etl_step.py", EXAMPLES / "clients_fr.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'Nom du client'" in done.stdout and "-> client.name (100%)" in done.stdout
    assert "dry run: 8 rows, 0 errors" in done.stdout
    assert "applied to upflow.db: clients created 6" in done.stdout

    monkeypatch.chdir(tmp_path)
    etl_step = load_example("etl_step")
    failed = tmp_path / "to_fix.csv"
    arguments = [EXAMPLES / "clients_with_errors.csv", "--db", "other.db", "--failed-rows", failed]
    assert etl_step.main([str(argument) for argument in arguments]) == 1
    out = capsys.readouterr().out
    assert "value.invalid_email at row 7" in out and "stopped: nothing was written" in out
    with failed.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 2 and rows[1][1] == "Librairie Étoile"
    with ui.SqliteRepository(tmp_path / "other.db") as store:
        assert store.count()["clients"] == 0

    unreadable = tmp_path / "notes.pdf"
    unreadable.write_bytes(b"%PDF-1.4 not a spreadsheet")
    assert etl_step.main([str(unreadable)]) == 2
    assert "[file.unsupported_format]" in capsys.readouterr().out


def test_the_sqlalchemy_example_imports_a_file_into_a_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{(tmp_path / 'customers.db').as_posix()}"
    done = run(EXAMPLES / "sqlalchemy_repository.py", EXAMPLES / "clients_fr.csv", url, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "clients: created 6" in done.stdout and "contacts: created 7" in done.stdout
    assert "#3 Hôtel Lumière Lyon [G101] (subsidiary of #2)" in done.stdout
    assert sqlalchemy_example.main([str(EXAMPLES / "clients_fr.csv"), url]) == 0
    assert "clients: created 0, updated 0, unchanged 6" in capsys.readouterr().out


def test_the_async_example_imports_files_at_once_and_skips_the_one_with_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [EXAMPLES / name for name in ("clients_fr.csv", "clients_en.xlsx", "clients_with_errors.csv")]
    done = run(EXAMPLES / "async_import.py", *files, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "clients_fr.csv: 8 rows; clients created 6, updated 0; contacts created 7" in done.stdout
    assert "clients_en.xlsx: 5 rows; clients created 4, updated 0; contacts created 5" in done.stdout
    assert "clients_with_errors.csv: value.invalid_email at row 7" in done.stdout
    assert "clients_with_errors.csv: not imported (errors above)" in done.stdout
    assert "store: 10 clients, 12 contacts" in done.stdout
    async_example = load_example("async_import")
    assert async_example.main([str(EXAMPLES / "clients_fr.csv")]) == 0
    assert "store: 6 clients, 7 contacts" in capsys.readouterr().out


# -- the SQLAlchemy repository under the contract test-kit -----------------------------------------

sqlalchemy_example = load_example("sqlalchemy_repository")


class TestSqlAlchemyRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> Iterator[Repository]:
        from sqlalchemy import create_engine

        repository = sqlalchemy_example.SqlAlchemyRepository(create_engine("sqlite://"))
        yield repository
        repository.close()

    def add_account_managers(self, repository: Repository, emails: Collection[str]) -> None:
        repository.add_account_managers(emails)  # type: ignore[attr-defined]

    def add_dunning_plans(self, repository: Repository, names: Collection[str]) -> None:
        repository.add_dunning_plans(names)  # type: ignore[attr-defined]


def test_the_sqlalchemy_repository_remembers_mappings(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    repository = sqlalchemy_example.SqlAlchemyRepository(create_engine("sqlite://"))
    assert isinstance(repository, ui.MappingMemory)
    source = tmp_path / "c.csv"
    source.write_text("Société;Secteur\nAcme;Nord\n", encoding="utf-8")
    ui.import_file(source, repository, mapping={"Secteur": "client.state"})
    report = ui.import_file(source, repository, dry_run=True)
    assert report.mapping.field_for("Secteur") is Field.CLIENT_STATE
    assert [issue.code for issue in report.issues] == ["mapping.remembered"]
    repository.close()


def test_the_sql_etl_example_imports_valid_rows_and_routes_the_failed_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    # Once as a script, as a person runs it; then in-process, the same code and faster.
    done = run(EXAMPLES / "etl_sql_to_repository.py", "crm.db", "--demo", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "read 6 rows of 10 columns from crm.db" in done.stdout
    assert "clients: created 4, updated 0, unchanged 0; contacts: created 3" in done.stdout
    assert "row 4 (C102): value.invalid_email" in done.stdout
    assert "2 failed rows routed to import_failures" in done.stdout
    with ui.SqliteRepository(tmp_path / "upflow.db") as store:
        lumiere = store.find_clients_by_external_ids(["C101"])[0]
        assert lumiere.parent_id == store.find_clients_by_external_ids(["G100"])[0].id
        assert lumiere.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30  # a REAL column, 30.0
        assert store.count()["clients"] == 4
    with sqlite3.connect(tmp_path / "crm.db") as source:
        failures = source.execute(
            "SELECT row, customer_id, codes, source_values FROM import_failures").fetchall()
    source.close()
    assert [(row, customer, codes) for row, customer, codes, _ in failures] == [
        (4, "C102", "value.invalid_email"), (5, "C103", "value.invalid_integer")]
    assert '"payment_terms": "soon"' in failures[1][3]

    etl = load_example("etl_sql_to_repository")
    assert etl.main([str(tmp_path / "crm.db"), "--store", str(tmp_path / "upflow.db")]) == 1
    out = capsys.readouterr().out
    assert "clients: created 0, updated 0, unchanged 4" in out  # a second run writes nothing
    with sqlite3.connect(tmp_path / "crm.db") as source:
        assert source.execute("SELECT count(*) FROM import_failures").fetchone() == (2,)
    source.close()
