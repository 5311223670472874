"""What the store and the entry points refuse before doing any work, and imports racing on one store."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import.sqlite import APPLICATION_ID, SqliteRepository


def _foreign_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    connection.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    connection.commit()
    connection.close()


def test_another_programs_database_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "accounting.db"
    _foreign_database(path)
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(ui.UpflowImportError) as caught:
            SqliteRepository(path, read_only=read_only)
        assert caught.value.code == "store.foreign_database"
        assert "autre programme" in caught.value.message_in("fr")
    assert path.read_bytes() == before
    # Not switched to WAL either: no journal files appear beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounting.db"]


def test_a_database_of_another_program_with_an_application_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA application_id = 42")
    connection.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(ui.UpflowImportError) as caught:
        SqliteRepository(path)
    assert caught.value.code == "store.foreign_database"
    assert path.read_bytes() == before


def test_the_command_line_refuses_a_foreign_database_in_both_languages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from upflow_import.cli import main

    db = tmp_path / "accounting.db"
    _foreign_database(db)
    before = db.read_bytes()
    source = tmp_path / "clients.csv"
    source.write_text("Nom du client;Ville\nAcme;Paris\n", encoding="utf-8")
    assert main(["apply", str(source), "--db", str(db), "--lang", "fr"]) == 2
    assert "autre programme" in capsys.readouterr().err
    assert db.read_bytes() == before


def test_a_new_store_is_marked_as_ours_and_opens_again(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SqliteRepository(path).close()
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    with SqliteRepository(path) as repository:
        repository.create_client(ui.ClientRecord(rows=(2,), name="Acme"), None)
    with SqliteRepository(path, read_only=True) as reader:
        assert [client.name for client in reader.find_clients_by_names(["acme"])] == ["Acme"]


@pytest.mark.parametrize("path", [None, 3, b"store.db"])
def test_a_store_path_of_the_wrong_type_is_a_clear_error(path: object, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="SqliteRepository needs"):
        SqliteRepository(path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []  # no file named "None" or "3" was created


class _HalfARepository:
    """Reads clients but cannot read contacts nor write anything."""

    def find_clients_by_external_ids(self, external_ids: object) -> list[object]:
        return []

    def find_clients_by_names(self, names: object) -> list[object]:
        return []


def test_a_repository_missing_methods_is_refused_by_name_before_any_work(tmp_path: Path) -> None:
    missing_file = tmp_path / "not-read.csv"
    with pytest.raises(TypeError) as caught:
        ui.import_file(missing_file, _HalfARepository())  # type: ignore[arg-type]
    message = str(caught.value)
    assert "_HalfARepository is not a Repository" in message
    for name in ("find_contacts_by_emails()", "create_client()", "update_contact()"):
        assert name in message
    assert "find_clients_by_names()" not in message


def test_plan_and_apply_refuse_a_repository_missing_a_method() -> None:
    table = ui.read_table(b"Nom du client\nAcme\n")
    parsed = ui.parse(table, ui.auto_map(table))
    with pytest.raises(TypeError, match="lacks find_contacts_by_emails"):
        ui.plan(parsed, _HalfARepository())  # type: ignore[arg-type]
    good_plan = ui.plan(parsed, ui.InMemoryRepository())
    with pytest.raises(TypeError, match="create_client"):
        ui.apply(good_plan, _HalfARepository())  # type: ignore[arg-type]


# -- two imports racing on one store ------------------------------------------------------------

CLIENTS = 1500


def _client_file(first: int, last: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Identifiant client", "Nom du client", "Ville", "Email"])
    for number in range(first, last):
        writer.writerow([f"C{number:05d}", f"Client {number}", "Paris", f"contact{number}@example.com"])
    return out.getvalue().encode("utf-8")


def _import_after(barrier: multiprocessing.synchronize.Barrier, db: str, source: bytes,
                  results: multiprocessing.queues.Queue[tuple[bool, int, int]]) -> None:
    with SqliteRepository(db) as repository:
        barrier.wait()
        report = ui.import_file(source, repository)
        results.put((report.ok, report.summary.clients.create, report.summary.clients.update
                     + report.summary.clients.unchanged))


def test_two_processes_importing_overlapping_files_create_each_client_once(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    SqliteRepository(db).close()
    # Each file holds 1,000 clients; 500 of them are in both.
    files = [_client_file(0, CLIENTS - 500), _client_file(500, CLIENTS)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results: multiprocessing.queues.Queue[tuple[bool, int, int]] = context.Queue()
    workers = [context.Process(target=_import_after, args=(barrier, db, source, results))
               for source in files]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert all(ok for ok, _, _ in outcomes)
    # Every row is accounted for: together the two imports created each client once, and the
    # one that ran second found the 500 shared clients already there.
    assert sum(created for _, created, _ in outcomes) == CLIENTS
    assert sum(existing for _, _, existing in outcomes) == 500
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT COUNT(*), COUNT(DISTINCT name_key) FROM clients").fetchone() == (
        CLIENTS, CLIENTS)
    assert connection.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == CLIENTS
    # And the same file again changes nothing: no row was left in a state that cannot import.
    with SqliteRepository(db) as repository:
        again = ui.import_file(files[0], repository, dry_run=True)
    assert again.ok
    assert again.summary.clients.create == 0
