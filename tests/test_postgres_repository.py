"""PostgresRepository against a real PostgreSQL server: the contract kit, the unique indexes,
bulk writes equal to one-by-one writes, the asynchronous twin, and whole imports."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import Rows, plan_rows
from test_bulk_writes import FILES, POISON, Created, OneByOne
from upflow_import.fields import Field
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.repository import ClientChanges
from upflow_import.testing import RepositoryContract

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg (the test extra has it)")

from upflow_import.postgres import (  # noqa: E402
    LOCK_KEY,
    PostgresRepository,
    create_schema,
    create_schema_async,
)


class TestPostgresRepositoryContract(RepositoryContract):
    """The test-kit every repository must pass, run against PostgreSQL."""

    @pytest.fixture
    def repository(self, postgres_repository: PostgresRepository) -> Iterator[PostgresRepository]:
        yield postgres_repository

    def add_account_managers(self, repository: ui.Repository, emails: Collection[str]) -> None:
        assert isinstance(repository, PostgresRepository)
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: ui.Repository, names: Collection[str]) -> None:
        assert isinstance(repository, PostgresRepository)
        repository.add_dunning_plans(names)


# -- the schema ------------------------------------------------------------------------------------

def tables_and_indexes(connection: Any) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "ORDER BY tablename, indexname").fetchall()


def test_create_schema_makes_the_tables_and_can_run_again(empty_postgres_dsn: str) -> None:
    with psycopg.connect(empty_postgres_dsn, autocommit=True) as connection:
        create_schema(connection)
        first = tables_and_indexes(connection)
        repository = PostgresRepository(connection)
        client_id = repository.create_client(record("C1", "Acme"), None)
        create_schema(connection)  # again: nothing changes, nothing is lost
        assert tables_and_indexes(connection) == first
        assert [c.id for c in repository.find_clients_by_external_ids(["C1"])] == [client_id]
    assert {table for table, _ in first} == {
        "clients", "contacts", "account_managers", "dunning_plans", "mappings"}


def test_the_async_schema_is_the_same_schema(empty_postgres_dsn: str, postgres_dsn: str) -> None:
    async def create() -> None:
        async with await psycopg.AsyncConnection.connect(empty_postgres_dsn, autocommit=True) as connection:
            await create_schema_async(connection)

    asyncio.run(create())
    with psycopg.connect(empty_postgres_dsn) as made, psycopg.connect(postgres_dsn) as reference:
        assert tables_and_indexes(made) == tables_and_indexes(reference)


# -- duplicates are impossible: the database itself refuses them -------------------------------------

def record(external_id: str | None, name: str, **values: FieldValue) -> ClientRecord:
    fields: dict[Field, FieldValue] = {Field.CLIENT_NAME: name}
    if external_id is not None:
        fields[Field.CLIENT_EXTERNAL_ID] = external_id
    fields.update({Field(f"client.{key}"): value for key, value in values.items()})
    return ClientRecord.from_values((2,), fields)


def contact(email: str, **values: FieldValue) -> ContactRecord:
    fields: dict[Field, FieldValue] = {Field.CONTACT_EMAIL: email}
    fields.update({Field(f"contact.{key}"): value for key, value in values.items()})
    return ContactRecord.from_values((2,), fields)


DUPLICATES = {
    "client external id": (lambda r, c: r.create_client(record("C1", "Autre nom"), None)),
    "client name, without external ids": (
        lambda r, c: r.create_client(record(None, "MAISON\u00a0 dupont"), None)),
    "contact email, normalised": (lambda r, c: r.create_contact(c, contact("JEAN@Acme.fr"))),
    "contact external id": (lambda r, c: r.create_contact(c, contact("autre@acme.fr", external_id="K1"))),
    "second main contact": (lambda r, c: r.create_contact(c, contact("main2@acme.fr", is_main=True))),
}


@pytest.mark.parametrize("duplicate", list(DUPLICATES))
def test_a_duplicate_is_refused_by_the_database(postgres_repository: PostgresRepository,
                                                duplicate: str) -> None:
    repository = postgres_repository
    client_id = repository.create_client(record("C1", "Acme"), None)
    repository.create_client(record(None, "Maison Dupont"), None)
    repository.create_contact(client_id, contact("jean@acme.fr", external_id="K1", is_main=True))
    before = repository.count()
    with pytest.raises(psycopg.errors.UniqueViolation):
        DUPLICATES[duplicate](repository, client_id)
    assert repository.count() == before


def test_the_same_name_with_an_external_id_is_another_client(
        postgres_repository: PostgresRepository) -> None:
    # Only a client without external id is identified by its name (client.same_name_exists is a warning).
    repository = postgres_repository
    first = repository.create_client(record(None, "Acme"), None)
    second = repository.create_client(record("C2", "Acme"), None)
    assert sorted(c.id for c in repository.find_clients_by_names(["acme"])) == sorted([first, second])


def test_a_refused_write_inside_a_transaction_leaves_the_others(
        postgres_repository: PostgresRepository) -> None:
    repository = postgres_repository
    with repository.transaction():
        repository.create_client(record("C1", "Acme"), None)
        with pytest.raises(psycopg.errors.UniqueViolation):
            repository.create_client(record("C1", "Acme bis"), None)
        with pytest.raises(KeyError, match="99"):
            repository.update_client(99, ClientChanges({Field.CLIENT_CITY: "Paris"}))
        repository.create_client(record("C2", "Globex"), None)
    assert sorted(c.external_id or "" for c in repository.find_clients_by_external_ids(["C1", "C2"])) == [
        "C1", "C2"]


def test_deleting_a_client_takes_its_contacts_and_frees_its_subsidiaries(
        postgres_repository: PostgresRepository) -> None:
    repository = postgres_repository
    group = repository.create_client(record("G", "Groupe"), None)
    subsidiary = repository.create_client(record("S", "Filiale"), group)
    repository.create_contact(group, contact("dg@groupe.fr"))
    repository.connection.execute("DELETE FROM clients WHERE id = %s", (group,))
    assert repository.find_contacts_by_emails(["dg@groupe.fr"]) == []
    found = repository.find_clients_by_external_ids(["S"])
    assert [(c.id, c.parent_id) for c in found] == [(subsidiary, None)]


def test_nested_transactions_are_savepoints_and_the_outer_one_holds_the_import_lock(
        postgres_repository: PostgresRepository, postgres_dsn: str) -> None:
    repository = postgres_repository
    with repository.transaction():
        repository.create_client(record("C1", "Acme"), None)
        with pytest.raises(RuntimeError), repository.transaction():
            repository.create_client(record("C2", "Globex"), None)
            raise RuntimeError
        with psycopg.connect(postgres_dsn, autocommit=True) as other:
            # Another import would wait here: the lock is taken.
            assert other.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone() == (False,)
    assert [c.external_id for c in repository.find_clients_by_external_ids(["C1", "C2"])] == ["C1"]
    with psycopg.connect(postgres_dsn, autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone() == (True,)


# -- bulk writes: one statement per batch, the outcome of one write at a time ------------------------

POISON_SQL = """
CREATE TABLE poison (key text PRIMARY KEY);
CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'INSERT' AND to_jsonb(NEW) ->> TG_ARGV[0] IN (SELECT key FROM poison))
       OR (TG_OP = 'UPDATE' AND to_jsonb(OLD) ->> TG_ARGV[0] IN (SELECT key FROM poison)) THEN
        RAISE EXCEPTION 'poisoned';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clients_poison BEFORE INSERT OR UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION refuse_poisoned('name');
CREATE TRIGGER contacts_poison BEFORE INSERT OR UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION refuse_poisoned('email');
"""


def export(connection: Any, created: Created) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the store, each id replaced by the operation that created it (bulk writes may
    create records in another order than one by one, so the sequence numbers them differently)."""
    clients = sorted(((created.client(row[0]), *row[1:-1], created.client(row[-1]))
                      for row in connection.execute(
                          "SELECT id, external_id, name, city, name_key, parent_id FROM clients")), key=repr)
    contacts = sorted(((created.contact(row[0]), created.client(row[1]), *row[2:])
                       for row in connection.execute(
                           "SELECT id, client_id, email, first_name, is_main, email_key FROM contacts")),
                      key=repr)
    return {"clients": clients, "contacts": contacts}


def named_outcome(result: ui.ApplyResult, plan: ui.Plan, created: Created) -> tuple[object, ...]:
    created.learn(plan, result)
    return (result.transactional, result.rolled_back, [
        (r.index, r.status, None if r.id is None else (
            created.contact(r.id) if "contact" in plan.operations[r.index].op else created.client(r.id)),
         [(i.code, i.row, i.message.split("\n")[0]) for i in r.issues]) for r in result.results])


class Watched(PostgresRepository):
    """Counts the bulk calls the database refused: with nothing poisoned there must be none
    (a bulk method that always failed would otherwise pass, written again one at a time)."""

    refused = 0

    def _write(self, operation: Any) -> Any:
        try:
            return super()._write(operation)
        except Exception:
            Watched.refused += 1
            raise


@pytest.fixture
def poisoned_dsn(postgres_dsn: str) -> str:
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(POISON_SQL)
    return postgres_dsn


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(first=FILES, second=FILES, poison=POISON, on_error=st.sampled_from(["skip", "abort"]),
       batch_size=st.integers(1, 5))
@pytest.mark.parametrize("copy_from", [1, 1000], ids=["copy", "unnest"])
def test_bulk_writes_end_as_one_by_one_writes(
    poisoned_dsn: str, copy_from: int, *, first: Rows, second: Rows, poison: set[str], on_error: str,
    batch_size: int
) -> None:
    seen = []
    with psycopg.connect(poisoned_dsn, autocommit=True) as connection:
        for bulk in (False, True):
            connection.execute("TRUNCATE clients, contacts, poison RESTART IDENTITY")
            store = Watched(connection)
            store.copy_from = copy_from
            Watched.refused = 0
            repository: Any = store if bulk else OneByOne(store)
            created = Created()
            filled = plan_rows(first, repository)
            created.learn(filled, ui.apply(filled, repository))
            connection.execute("INSERT INTO poison SELECT unnest(%s::text[])", (sorted(poison),))
            planned = plan_rows(second, repository, on_error=on_error)
            result = ui.apply(planned, repository, batch_size=batch_size)
            seen.append((named_outcome(result, planned, created), export(connection, created)))
            if not poison:
                assert Watched.refused == 0
    assert seen[0] == seen[1]


@pytest.mark.parametrize("copy_from", [1, 1000], ids=["copy", "unnest"])
def test_bulk_creations_return_the_ids_in_order_and_a_refused_batch_writes_nothing(
        poisoned_dsn: str, copy_from: int) -> None:
    with psycopg.connect(poisoned_dsn, autocommit=True) as connection:
        repository = PostgresRepository(connection)
        repository.copy_from = copy_from
        items = [(record(f"C{n}", f"Client {n}", account_manager_email=(f"am{n}@x.fr", "b@x.fr"),
                         payment_term_days=n), None) for n in range(5)]
        ids = repository.create_clients(items)
        found = {c.external_id: c for c in repository.find_clients_by_ids(ids)}
        assert [found[f"C{n}"].id for n in range(5)] == ids
        assert found["C3"].values[Field.CLIENT_ACCOUNT_MANAGER_EMAIL] == ("am3@x.fr", "b@x.fr")
        assert found["C3"].values[Field.CLIENT_PAYMENT_TERM_DAYS] == 3
        contacts = repository.create_contacts([(client_id, contact(f"p{n}@x.fr", is_main=n % 2 == 0))
                                               for n, client_id in enumerate(ids)])
        assert [c.id for c in sorted(repository.find_contacts_by_emails([f"p{n}@x.fr" for n in range(5)]),
                                     key=lambda c: c.email)] == contacts
        connection.execute("INSERT INTO poison VALUES ('Client 8')")
        with pytest.raises(psycopg.errors.RaiseException, match="poisoned"):
            repository.create_clients([(record(f"C{n}", f"Client {n}"), None) for n in range(6, 10)])
        with pytest.raises(KeyError, match="99"):
            repository.update_clients([(ids[0], ClientChanges({Field.CLIENT_CITY: "Paris"})),
                                       (99, ClientChanges({Field.CLIENT_CITY: "Lyon"}))])
        assert repository.count()["clients"] == 5
        assert Field.CLIENT_CITY not in repository.find_clients_by_ids([ids[0]])[0].values
        assert repository.create_clients([]) == [] and repository.create_contacts([]) == []
        # After a refused batch, the next one is written whole (a staging table rolled back with
        # the batch is made again).
        assert len(repository.create_clients([(record(f"D{n}", f"Autre {n}"), None) for n in range(3)])) == 3
        assert repository.count()["clients"] == 8


def test_bulk_updates_change_only_the_given_columns_in_order(postgres_repository: PostgresRepository) -> None:
    repository = postgres_repository
    ids = repository.create_clients([(record(f"C{n}", f"Client {n}"), None) for n in range(3)])
    repository.update_clients([
        (ids[0], ClientChanges({Field.CLIENT_CITY: "Paris"})),
        (ids[1], ClientChanges({Field.CLIENT_CITY: "Lyon"})),
        # The same client twice in a row: the later change wins, as one at a time.
        (ids[1], ClientChanges({Field.CLIENT_CITY: "Nice"})),
        (ids[2], ClientChanges({Field.CLIENT_NAME: "Renamed",
                                Field.CLIENT_ACCOUNT_MANAGER_EMAIL: ("a@x.fr",)}, parent_id=ids[0])),
    ])
    found = {c.id: c for c in repository.find_clients_by_ids(ids)}
    assert [(found[i].name, found[i].values.get(Field.CLIENT_CITY), found[i].parent_id) for i in ids] == [
        ("Client 0", "Paris", None), ("Client 1", "Nice", None), ("Renamed", None, ids[0])]
    assert found[ids[2]].values[Field.CLIENT_ACCOUNT_MANAGER_EMAIL] == ("a@x.fr",)
    assert [c.id for c in repository.find_clients_by_names([ui.normalize_name("Renamed")])] == [ids[2]]


# -- whole imports -----------------------------------------------------------------------------------

def test_import_file_into_postgresql_then_again_changes_nothing(
        postgres_repository: PostgresRepository, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Identifiant Client", "Nom du client", "Ville", "Identifiant Groupe",
                         "Email du contact", "Contact principal"])
        writer.writerow(["G1", "Groupe Lumière", "Lyon", "", "dg@lumiere.fr", "oui"])
        writer.writerow(["S1", "Hôtel Lumière Nice", "Nice", "G1", "compta@lumiere.fr", "oui"])
        writer.writerow(["", "Café des Arts", "Paris", "", "cafe@arts.fr", ""])
    first = ui.import_file(path, postgres_repository)
    assert first.ok and first.summary.clients.create == 3 and first.summary.contacts.create == 3
    assert first.result is not None and first.result.transactional
    second = ui.import_file(path, postgres_repository)
    assert second.ok and second.operations == ()
    assert [row.status for row in second.rows] == ["unchanged"] * 3
    group, = postgres_repository.find_clients_by_external_ids(["G1"])
    subsidiary, = postgres_repository.find_clients_by_external_ids(["S1"])
    assert subsidiary.parent_id == group.id
    assert postgres_repository.count() == {"clients": 3, "contacts": 3, "account_managers": 0,
                                           "dunning_plans": 0}


def test_a_mapping_given_once_is_remembered_by_the_postgresql_store(
        postgres_repository: PostgresRepository, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Réf;Société bizarre\nC1;Acme\n", encoding="utf-8")
    mapping = {"Réf": "client.external_id", "Société bizarre": "client.name"}
    assert ui.import_file(path, postgres_repository, mapping=mapping).ok
    again = tmp_path / "odd2.csv"
    again.write_text("Société bizarre;Réf\nGlobex;C2\n", encoding="utf-8")
    report = ui.import_file(again, postgres_repository)
    assert report.ok and "mapping.remembered" in [issue.code for issue in report.issues]
    assert [c.name for c in postgres_repository.find_clients_by_external_ids(["C2"])] == ["Globex"]
