"""SqliteRepository: the embedded store the command line uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import import sqlite as store_module
from upflow_import.fields import Field
from upflow_import.model import Address, ClientRecord, ContactRecord, Position
from upflow_import.repository import ClientChanges, ContactChanges
from upflow_import.sqlite import SCHEMA_VERSION, SqliteRepository
from upflow_import.testing import RepositoryContract

# The schema of version 1 exactly as it shipped, frozen here: stores in the
# field have it, and every later version must open them without losing a row.
V1_SCHEMA = """
CREATE TABLE clients (
    id INTEGER PRIMARY KEY, external_id TEXT, name TEXT NOT NULL, name_key TEXT NOT NULL,
    accounting_code TEXT, vat_number TEXT, address TEXT, postal_code TEXT, city TEXT, state TEXT,
    country TEXT, account_manager_email TEXT, dunning_plan TEXT, payment_term_days INTEGER,
    parent_id INTEGER REFERENCES clients(id));
CREATE UNIQUE INDEX clients_external_id ON clients(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX clients_name_key ON clients(name_key);
CREATE INDEX clients_parent_id ON clients(parent_id);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients(id), email TEXT NOT NULL,
    email_key TEXT NOT NULL, first_name TEXT, last_name TEXT, phone TEXT, external_id TEXT,
    position TEXT, is_main INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)));
CREATE UNIQUE INDEX contacts_email_key ON contacts(email_key);
CREATE INDEX contacts_client_id ON contacts(client_id, is_main);
CREATE TABLE account_managers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE);
CREATE TABLE dunning_plans (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO clients (id, external_id, name, name_key, city, account_manager_email, payment_term_days)
    VALUES (1, 'C001', 'Acme  SA', 'acme sa', 'Paris', '["am@example.com"]', 30);
INSERT INTO clients (id, name, name_key, parent_id) VALUES (2, 'Acme Lyon', 'acme lyon', 1);
INSERT INTO contacts (id, client_id, email, email_key, first_name, is_main)
    VALUES (7, 1, 'Jean@Acme.fr', 'jean@acme.fr', 'Jean', 1);
INSERT INTO dunning_plans (name) VALUES ('Plan Standard');
PRAGMA user_version = 1;
"""


def make_v1_store(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.executescript(V1_SCHEMA)
    connection.close()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SqliteRepository]:
    with SqliteRepository(tmp_path / "store.db") as repository:
        yield repository


def acme(**overrides: object) -> ClientRecord:
    fields: dict[str, object] = {
        "rows": (2,), "external_id": "C001", "name": "Acme\u00a0SA", "accounting_code": "411ACME",
        "vat_number": "FR40303265045",
        "address": Address("1 rue de la Paix", "75002", "Paris", "Île-de-France", "FR"),
        "account_manager_emails": ("claire@example.com", "paul@example.com"), "dunning_plan": "Plan Standard",
        "payment_term_days": 45,
    }
    fields.update(overrides)
    return ClientRecord(**fields)  # type: ignore[arg-type]


def test_a_new_store_is_created_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with SqliteRepository(path) as repository:
        assert repository.schema_version == SCHEMA_VERSION
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"clients", "contacts", "account_managers", "dunning_plans"} <= tables
    indexes = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"clients_external_id", "clients_name_key", "contacts_email_key"} <= indexes


def test_a_version_1_store_opens_with_every_row_kept(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    make_v1_store(path)
    with SqliteRepository(path) as repository:
        assert repository.schema_version == SCHEMA_VERSION
        (client,) = repository.find_clients_by_external_ids(["C001"])
        assert client.name == "Acme  SA"
        assert client.values[Field.CLIENT_ACCOUNT_MANAGER_EMAIL] == ("am@example.com",)
        assert client.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30
        assert client.main_contact_id == 7
        (subsidiary,) = repository.find_clients_by_names(["acme lyon"])
        assert subsidiary.parent_id == 1
        (contact,) = repository.find_contacts_by_emails(["jean@acme.fr"])
        assert contact.is_main and contact.values[Field.CONTACT_FIRST_NAME] == "Jean"
        assert repository.known_dunning_plans(["Plan Standard", "Other"]) == {"Plan Standard"}
    indexes = {name for (name,) in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "contacts_external_id" in indexes  # added by the migration to version 2


def test_a_later_migration_runs_once_and_keeps_the_data(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def add_notes(connection: sqlite3.Connection) -> None:
        calls.append(1)
        connection.execute("ALTER TABLE clients ADD COLUMN notes TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, add_notes))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    path = tmp_path / "v1.db"
    make_v1_store(path)
    with SqliteRepository(path) as repository:
        assert repository.schema_version == SCHEMA_VERSION + 1
        assert [c.name for c in repository.find_clients_by_external_ids(["C001"])] == ["Acme  SA"]
    with SqliteRepository(path) as repository:
        assert repository.count()["clients"] == 2
    assert calls == [1]
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(clients)")]
    assert "notes" in columns


def test_a_store_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    make_v1_store(path)
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = path.read_bytes()
    with pytest.raises(ui.UpflowImportError) as caught:
        SqliteRepository(path)
    assert caught.value.code == "store.newer_schema"
    assert "version plus récente" in caught.value.message_in("fr")
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("Nom du client;Ville\n" * 200, encoding="utf-8")
    with pytest.raises(ui.UpflowImportError) as caught:
        SqliteRepository(path)
    assert caught.value.code == "store.unusable"
    with pytest.raises(ui.UpflowImportError):
        SqliteRepository(tmp_path / "missing" / "dir" / "store.db")


def test_clients_round_trip_with_every_field(repo: SqliteRepository) -> None:
    parent = repo.create_client(acme(), None)
    child = repo.create_client(ClientRecord(rows=(3,), name="Acme Lyon"), parent)
    (stored,) = repo.find_clients_by_external_ids(["C001"])
    assert stored.id == parent and stored.parent_id is None
    assert stored.values == acme().values()
    (by_name,) = repo.find_clients_by_names([ui.normalize_name(" ACME  sa ")])
    assert by_name.id == parent
    (sub,) = repo.find_clients_by_names(["acme lyon"])
    assert sub.id == child and sub.parent_id == parent and sub.external_id is None
    assert repo.find_clients_by_external_ids(["c001"]) == []


def test_an_update_changes_only_the_given_fields(repo: SqliteRepository) -> None:
    client = repo.create_client(acme(), None)
    other = repo.create_client(ClientRecord(rows=(3,), external_id="G1", name="Group"), None)
    repo.update_client(client, ClientChanges({Field.CLIENT_NAME: "Acme France", Field.CLIENT_CITY: "Lyon"},
                                             parent_id=other))
    (stored,) = repo.find_clients_by_external_ids(["C001"])
    assert stored.name == "Acme France" and stored.parent_id == other
    assert stored.values[Field.CLIENT_CITY] == "Lyon"
    assert stored.values[Field.CLIENT_POSTAL_CODE] == "75002"
    assert repo.find_clients_by_names(["acme sa"]) == []
    assert [c.id for c in repo.find_clients_by_names(["acme france"])] == [client]
    with pytest.raises(KeyError):
        repo.update_client(999, ClientChanges({Field.CLIENT_CITY: "Nice"}))


def test_contacts_are_found_by_normalised_email_and_the_main_one_is_known(repo: SqliteRepository) -> None:
    client = repo.create_client(acme(), None)
    first = repo.create_contact(client, ContactRecord(rows=(2,), email="Jean.Dupont@Acme.FR",
                                                      first_name="Jean", position=Position.ACCOUNTING,
                                                      is_main=True))
    second = repo.create_contact(client, ContactRecord(rows=(3,), email="marie@acme.fr"))
    (jean,) = repo.find_contacts_by_emails(["jean.dupont@acme.fr"])
    assert jean.id == first and jean.client_id == client and jean.email == "Jean.Dupont@Acme.FR"
    assert jean.is_main and jean.values[Field.CONTACT_POSITION] == "ACCOUNTING"
    (marie,) = repo.find_contacts_by_emails(["marie@acme.fr"])
    assert marie.values[Field.CONTACT_IS_MAIN] is False
    full = ContactRecord(rows=(5,), email="paul@acme.fr", first_name="Paul", last_name="Roy",
                         phone="+33123456789", external_id="K7", position=Position.SALES, is_main=False)
    repo.create_contact(client, full)
    assert repo.find_contacts_by_emails(["paul@acme.fr"])[0].values == full.values()
    assert repo.find_clients_by_external_ids(["C001"])[0].main_contact_id == first
    assert repo.find_clients_by_external_ids(["C001"])[0].main_contact_email == "Jean.Dupont@Acme.FR"
    # Demote then promote, as apply does.
    repo.update_contact(first, ContactChanges({Field.CONTACT_IS_MAIN: False}))
    repo.update_contact(second, ContactChanges({Field.CONTACT_IS_MAIN: True, Field.CONTACT_PHONE: "+33123"}))
    assert repo.find_clients_by_external_ids(["C001"])[0].main_contact_id == second
    assert repo.find_contacts_by_emails(["marie@acme.fr"])[0].values[Field.CONTACT_PHONE] == "+33123"
    with pytest.raises(sqlite3.IntegrityError):
        repo.create_contact(client, ContactRecord(rows=(4,), email="MARIE@acme.fr"))
    repo.update_contact(second, ContactChanges({Field.CONTACT_EXTERNAL_ID: "K2"}))
    assert [c.id for c in repo.find_contacts_by_external_ids(["K2", "K9"])] == [second]
    # The store itself keeps contact ids unique and one main contact per client.
    with pytest.raises(sqlite3.IntegrityError):
        repo.update_contact(first, ContactChanges({Field.CONTACT_EXTERNAL_ID: "K2"}))
    with pytest.raises(sqlite3.IntegrityError):
        repo.update_contact(first, ContactChanges({Field.CONTACT_IS_MAIN: True}))


def test_an_external_id_is_unique_in_the_store(repo: SqliteRepository) -> None:
    repo.create_client(acme(), None)
    repo.create_client(ClientRecord(rows=(3,), name="No id"), None)
    repo.create_client(ClientRecord(rows=(4,), name="No id either"), None)
    with pytest.raises(sqlite3.IntegrityError):
        repo.create_client(acme(name="Other"), None)


def test_lookups_respect_the_limit_on_bound_parameters(repo: SqliteRepository) -> None:
    # The oldest SQLite builds allow 999 parameters per statement; impose it.
    repo._connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    with repo.transaction():
        for n in range(2500):
            record = ClientRecord(rows=(n,), external_id=f"C{n}", name=f"Client {n}")
            client = repo.create_client(record, None)
            repo.create_contact(client, ContactRecord(rows=(n,), email=f"c{n}@example.com"))
    assert len(repo.find_clients_by_external_ids([f"C{n}" for n in range(2500)])) == 2500
    assert len(repo.find_clients_by_names([f"client {n}" for n in range(2500)] * 2)) == 2500
    assert len(repo.find_contacts_by_emails([f"c{n}@example.com" for n in range(2600)])) == 2500


def test_references_are_unchecked_until_one_is_registered(repo: SqliteRepository) -> None:
    assert repo.known_account_managers(["a@example.com"]) is None
    assert repo.known_dunning_plans(["Plan Standard"]) is None
    assert repo.add_account_managers(["Claire@Example.com", "claire@example.com"]) == ["Claire@Example.com"]
    assert repo.add_dunning_plans(["Plan Standard", "Relance douce"]) == ["Plan Standard", "Relance douce"]
    assert repo.known_account_managers(["claire@example.COM", "nobody@example.com"]) == {"claire@example.COM"}
    # Plans are compared as a reader sees them: a non-breaking space is a space, case counts.
    known = repo.known_dunning_plans(["Plan Standard", "plan standard", "Plan\u00a0Standard"])
    assert known == {"Plan Standard", "Plan\u00a0Standard"}
    assert repo.all_account_managers() == ["Claire@Example.com"]
    assert repo.all_dunning_plans() == ["Plan Standard", "Relance douce"]


def test_a_failed_transaction_writes_nothing_and_nested_ones_are_savepoints(repo: SqliteRepository) -> None:
    with pytest.raises(RuntimeError), repo.transaction():
        repo.create_client(acme(), None)
        raise RuntimeError("boom")
    assert repo.count()["clients"] == 0
    with repo.transaction():
        repo.create_client(acme(), None)
        with pytest.raises(RuntimeError), repo.transaction():
            repo.create_client(ClientRecord(rows=(3,), name="Inner"), None)
            raise RuntimeError("inner")
        repo.create_client(ClientRecord(rows=(4,), name="After"), None)
    assert [c["name"] for c in repo.export()["clients"]] == ["Acme\u00a0SA", "After"]


def test_a_reader_is_not_blocked_by_an_import_in_progress(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SqliteRepository(path) as writer:
        writer.create_client(acme(), None)
        with writer.transaction():
            writer.create_client(ClientRecord(rows=(3,), name="Uncommitted"), None)
            # timeout=0: a reader that had to wait for the writer would fail at once.
            with SqliteRepository(path, read_only=True, timeout=0) as reader:
                assert [c["name"] for c in reader.export()["clients"]] == ["Acme\u00a0SA"]
            with pytest.raises(sqlite3.OperationalError):
                SqliteRepository(path, timeout=0).add_dunning_plans(["Another writer"])
        with SqliteRepository(path, read_only=True) as reader:
            assert reader.count()["clients"] == 2


def test_a_read_only_open_of_an_old_store_migrates_it_first(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    make_v1_store(path)
    with SqliteRepository(path, read_only=True) as reader:
        assert reader.schema_version == SCHEMA_VERSION
        assert [c.name for c in reader.find_clients_by_external_ids(["C001"])] == ["Acme  SA"]


def test_a_read_only_store_refuses_writes_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SqliteRepository(path).close()
    with SqliteRepository(path, read_only=True) as reader, pytest.raises(sqlite3.OperationalError):
        reader.create_client(acme(), None)
    with pytest.raises(ui.UpflowImportError) as caught:
        SqliteRepository(tmp_path / "nothing.db", read_only=True)
    assert caught.value.code == "store.unusable"
    assert not (tmp_path / "nothing.db").exists()


def test_export_lists_clients_with_their_contacts(repo: SqliteRepository) -> None:
    parent = repo.create_client(acme(), None)
    repo.create_client(ClientRecord(rows=(3,), name="Acme Lyon", payment_term_days=0), parent)
    repo.create_contact(parent, ContactRecord(rows=(2,), email="jean@acme.fr", is_main=True,
                                              position=Position.PAYER))
    export = repo.export()
    first, second = export["clients"]
    assert first == {
        "id": parent, "external_id": "C001", "name": "Acme\u00a0SA", "accounting_code": "411ACME",
        "vat_number": "FR40303265045", "address": "1 rue de la Paix", "postal_code": "75002",
        "city": "Paris", "state": "Île-de-France", "country": "FR",
        "account_manager_email": ["claire@example.com", "paul@example.com"],
        "dunning_plan": "Plan Standard", "payment_term_days": 45, "parent_id": None,
        "contacts": [{"id": 1, "email": "jean@acme.fr", "first_name": None, "last_name": None, "phone": None,
                      "external_id": None, "position": "PAYER", "is_main": True}],
    }
    assert second["parent_id"] == parent and second["payment_term_days"] == 0 and second["contacts"] == []


class TestSqliteRepositoryContract(RepositoryContract):
    """The test-kit every repository must pass, run against the SQLite store."""

    @pytest.fixture
    def repository(self, tmp_path: Path) -> Iterator[SqliteRepository]:
        with SqliteRepository(tmp_path / "contract.db") as repository:
            yield repository

    def add_account_managers(self, repository: ui.Repository, emails: Collection[str]) -> None:
        assert isinstance(repository, SqliteRepository)
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: ui.Repository, names: Collection[str]) -> None:
        assert isinstance(repository, SqliteRepository)
        repository.add_dunning_plans(names)
