"""Bulk writes: apply() batches what it writes when the repository offers it, with exactly the
outcome of writing one operation at a time."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import Rows, plan_rows
from upflow_import.apply import OperationStatus
from upflow_import.fields import Field
from upflow_import.model import ClientRecord, ContactRecord
from upflow_import.repository import BULK_METHODS, ClientChanges, ContactChanges, Id

APPLIED, FAILED, NOT_ATTEMPTED = (
    OperationStatus.APPLIED, OperationStatus.FAILED, OperationStatus.NOT_ATTEMPTED)


# -- repositories ----------------------------------------------------------------------------------

class OneByOne:
    """A repository seen without its bulk methods: what apply() did before bulk writes."""

    def __init__(self, repository: object) -> None:
        self._repository = repository

    def __getattr__(self, name: str) -> Any:
        if name in BULK_METHODS:
            raise AttributeError(name)
        return getattr(self._repository, name)


class CountingBulkCalls:
    """A repository whose bulk calls are counted, with the number of records of each."""

    def __init__(self, repository: object) -> None:
        self._repository = repository
        self.calls: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repository, name)
        if name not in BULK_METHODS:
            return method

        def counted(items: Sequence[Any]) -> Any:
            self.calls.append((name, len(items)))
            return method(items)
        return counted


class PoisonedMemory(ui.InMemoryRepository):
    """Raises on every write of a client whose name, or a contact whose email, is poisoned:
    the same writes fail whichever way they are grouped."""

    def __init__(self, *, transactional: bool = False) -> None:
        super().__init__(transactional=transactional)
        self.poison: set[str] = set()
        self.calls: list[tuple[str, int]] = []

    def _check(self, key: str) -> None:
        if key in self.poison:
            raise ConnectionError(f"the database refused {key}")

    def create_client(self, record: ClientRecord, parent_id: Id | None) -> int:
        self._check(str(record.name))
        return super().create_client(record, parent_id)

    def update_client(self, client_id: Id, changes: ClientChanges) -> None:
        self._check(self.client(client_id).name)
        super().update_client(client_id, changes)

    def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        self._check(str(record.email))
        return super().create_contact(client_id, record)

    def update_contact(self, contact_id: Id, changes: ContactChanges) -> None:
        self._check(self.contact(contact_id).email)
        super().update_contact(contact_id, changes)


class BulkMemory(PoisonedMemory):
    """The same store with bulk writes: each call all or nothing, as the protocol requires."""

    def _all_or_nothing(self, name: str, write: Callable[[], list[Any]]) -> list[Any]:
        saved = self._snapshot()
        try:
            written = write()
        except BaseException:
            self._restore(saved)
            raise
        self.calls.append((name, len(written)))
        return written

    def create_clients(self, items: Sequence[tuple[ClientRecord, Id | None]]) -> list[Id]:
        return self._all_or_nothing("create_clients", lambda: [self.create_client(*item) for item in items])

    def update_clients(self, items: Sequence[tuple[Id, ClientChanges]]) -> None:
        self._all_or_nothing("update_clients", lambda: [self.update_client(*item) for item in items])

    def create_contacts(self, items: Sequence[tuple[Id, ContactRecord]]) -> list[Id]:
        return self._all_or_nothing("create_contacts", lambda: [self.create_contact(*item) for item in items])

    def update_contacts(self, items: Sequence[tuple[Id, ContactChanges]]) -> None:
        self._all_or_nothing("update_contacts", lambda: [self.update_contact(*item) for item in items])


@contextmanager
def poisoned_store() -> Iterator[tuple[ui.SqliteRepository, Callable[[set[str]], None]]]:
    """A SQLite store whose triggers refuse the writes of poisoned client names and contact
    emails: a real failure in the middle of an ``executemany``."""
    store = ui.SqliteRepository()
    connection: sqlite3.Connection = store._connection
    connection.execute("CREATE TABLE poison (key TEXT PRIMARY KEY)")
    for table, column in (("clients", "name"), ("contacts", "email")):
        connection.execute(f"CREATE TRIGGER {table}_insert BEFORE INSERT ON {table} "
                           f"WHEN NEW.{column} IN (SELECT key FROM poison) "
                           "BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
        connection.execute(f"CREATE TRIGGER {table}_update BEFORE UPDATE ON {table} "
                           f"WHEN OLD.{column} IN (SELECT key FROM poison) "
                           "BEGIN SELECT RAISE(ABORT, 'poisoned'); END")

    def poison(keys: set[str]) -> None:
        connection.executemany("INSERT INTO poison VALUES (?)", [(key,) for key in keys])

    try:
        yield store, poison
    finally:
        store.close()


class Created:
    """The ids a store gave to the records of an apply, named by the operation that created them.

    Bulk writes may create records in another order than one by one (a subsidiary after every
    parent of the file, not right after its own), so the store numbers them differently: the
    outcomes are compared with each created id replaced by ``(apply, operation index)``.
    """

    def __init__(self) -> None:
        self.clients: dict[object, tuple[int, int]] = {}
        self.contacts: dict[object, tuple[int, int]] = {}
        self.applies = 0

    def learn(self, plan: ui.Plan, result: ui.ApplyResult) -> None:
        applies = self.applies
        self.applies += 1
        for operation, done in zip(plan.operations, result.results, strict=True):
            if done.status is APPLIED and isinstance(operation, ui.CreateClient):
                self.clients[done.id] = (applies, operation.index)
            elif done.status is APPLIED and isinstance(operation, ui.CreateContact):
                self.contacts[done.id] = (applies, operation.index)

    def client(self, client_id: object) -> object:
        return self.clients.get(client_id, client_id)

    def contact(self, contact_id: object) -> object:
        return self.contacts.get(contact_id, contact_id)


def outcome(plan: ui.Plan, result: ui.ApplyResult, created: Created) -> tuple[object, ...]:
    """Everything a user sees of an apply: each operation's status, id and issues."""
    created.learn(plan, result)
    contact_kinds = ui.CreateContact | ui.UpdateContact
    return (result.transactional, result.rolled_back, [
        (r.index, r.status, created.contact(r.id) if isinstance(op, contact_kinds) else created.client(r.id),
         [(i.code, i.row, i.message) for i in r.issues])
        for op, r in zip(plan.operations, result.results, strict=True)])


def in_memory_content(repository: ui.InMemoryRepository, created: Created) -> list[list[object]]:
    clients = [(created.client(c.id), dict(c.values), created.client(c.parent_id),
                created.contact(c.main_contact_id)) for c in repository.clients()]
    contacts = [(created.contact(c.id), created.client(c.client_id), c.email, dict(c.values))
                for c in repository.contacts()]
    return [sorted(clients, key=repr), sorted(contacts, key=repr)]


def sqlite_content(store: ui.SqliteRepository, created: Created) -> list[dict[str, object]]:
    clients = [{**c, "id": created.client(c["id"]), "parent_id": created.client(c["parent_id"]),
                "contacts": sorted(({**k, "id": created.contact(k["id"])} for k in c["contacts"]),  # type: ignore[attr-defined]
                                   key=repr)}
               for c in store.export()["clients"]]
    return sorted(clients, key=repr)


def client(name: str, external_id: str | None = None, group: str | None = None) -> dict[str, Any]:
    return {"client.name": name, "client.external_id": external_id, "group.external_id": group}


# -- apply groups what it may --------------------------------------------------------------------

def test_consecutive_independent_writes_share_one_call_and_ids_are_threaded() -> None:
    rows: Rows = [
        {**client("Groupe", "G1"), "contact.email": "dg@groupe.fr"},
        {**client("Filiale", "S1", group="G1"), "contact.email": "f@filiale.fr", "contact.is_main": True},
        {**client("Acme", "A1"), "contact.email": "a@acme.fr"},
        {**client("Globex", "B1"), "contact.email": "b@globex.fr"},
    ]
    repository = BulkMemory()
    plan = plan_rows(rows, repository)
    result = ui.apply(plan, repository)
    assert result.ok
    # The subsidiary waits for its new parent: a call of its own, after the parent's.
    assert [name for name, _ in repository.calls] == ["create_clients", "create_clients", "create_contacts"]
    assert sum(count for _, count in repository.calls) == len(plan.operations)
    subsidiary = repository.client_by_external_id("S1")
    assert subsidiary.parent_id == repository.client_by_external_id("G1").id
    assert repository.contact(subsidiary.main_contact_id).email == "f@filiale.fr"
    assert [(op.key, r.id) for op, r in zip(plan.operations[:4], result.results, strict=False)] == [
        (key, repository.client_by_external_id(key).id) for key in ("G1", "S1", "A1", "B1")]


def test_batches_hold_at_most_batch_size_operations_and_progress_ends_at_the_total() -> None:
    rows: Rows = [client(f"Client {n}", f"C{n}") for n in range(7)]
    repository = BulkMemory()
    seen: list[tuple[int, int]] = []
    result = ui.apply(plan_rows(rows, repository), repository, batch_size=3,
                      progress=lambda done, total: seen.append((done, total)))
    assert result.ok
    assert repository.calls == [("create_clients", 3), ("create_clients", 3), ("create_clients", 1)]
    assert seen == [(3, 7), (6, 7), (7, 7)]


def interleaved_groups(count: int) -> Rows:
    """``count`` clients with a contact each, every tenth a subsidiary of the client five rows
    earlier: the shape of a file whose groups are spread through it."""
    return [{**client(f"Client {n}", f"C{n}", group=f"C{n - 5}" if n % 10 == 9 else None),
             "contact.email": f"c{n}@example.fr"} for n in range(count)]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_subsidiaries_spread_through_the_file_do_not_cut_the_batches_short(store: str) -> None:
    rows = interleaved_groups(3000)
    backing: Any = BulkMemory() if store == "memory" else ui.SqliteRepository()
    repository = CountingBulkCalls(backing)
    plan = plan_rows(rows, repository)  # type: ignore[arg-type]
    seen: list[tuple[int, int]] = []
    result = ui.apply(plan, repository, batch_size=1000,
                      progress=lambda done, total: seen.append((done, total)))
    assert result.ok
    # 2,700 parents and independent clients in three full calls, their 300 subsidiaries in one,
    # then 3,000 contacts in three: not 300 short calls cut by each subsidiary.
    assert repository.calls == [("create_clients", 1000), ("create_clients", 1000), ("create_clients", 700),
                                ("create_clients", 300), ("create_contacts", 1000), ("create_contacts", 1000),
                                ("create_contacts", 1000)]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (len(plan.operations), len(plan.operations))
    # The ids threaded into the subsidiaries and the contacts are those the store gave.
    by_external_id = {stored.external_id: stored for stored in backing.find_clients_by_external_ids(
        [f"C{n}" for n in range(3000)])}
    assert all(by_external_id[f"C{n}"].parent_id == by_external_id[f"C{n - 5}"].id
               for n in range(9, 3000, 10))
    assert all(by_external_id[f"C{n}"].parent_id is None for n in range(3000) if n % 10 != 9)
    created = {op.key: done.id for op, done in zip(plan.operations, result.results, strict=True)
               if isinstance(op, ui.CreateClient)}
    assert created == {key: stored.id for key, stored in by_external_id.items()}
    if store == "sqlite":
        backing.close()


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "10"])
def test_a_batch_size_that_is_not_a_positive_integer_is_refused(batch_size: Any) -> None:
    repository = BulkMemory()
    plan = plan_rows([client("Acme")], repository)
    with pytest.raises((TypeError, ValueError), match="batch_size"):
        ui.apply(plan, repository, batch_size=batch_size)
    assert repository.clients() == []


def test_a_refused_batch_fails_only_its_faulty_operation_and_what_depends_on_it() -> None:
    rows: Rows = [
        {**client("Acme", "A1"), "contact.email": "a@acme.fr"},
        {**client("Globex", "B1"), "contact.email": "b@globex.fr"},
        {**client("Initech", "C1"), "contact.email": "c@initech.fr"},
    ]
    repository = BulkMemory()
    repository.poison = {"Globex"}
    result = ui.apply(plan_rows(rows, repository), repository)
    assert [r.status for r in result.results] == [APPLIED, FAILED, APPLIED, APPLIED, NOT_ATTEMPTED, APPLIED]
    assert [c.name for c in repository.clients()] == ["Acme", "Initech"]
    assert [c.email for c in repository.contacts()] == ["a@acme.fr", "c@initech.fr"]
    assert [i.code for i in result.issues] == ["apply.failed", "apply.not_attempted"]


def test_a_repository_returning_fewer_ids_than_records_is_an_error_not_a_silent_mismatch() -> None:
    class Forgetful(BulkMemory):
        def create_clients(self, items: Sequence[tuple[ClientRecord, Id | None]]) -> list[Id]:
            return super().create_clients(items)[:-1]

    repository = Forgetful()
    with pytest.raises(RuntimeError, match="returned 1 ids for 2 records"):
        ui.apply(plan_rows([client("Acme"), client("Globex")], repository), repository)


def test_sqlite_abort_inside_the_transaction_rolls_every_batch_back() -> None:
    rows: Rows = [{**client(f"Client {n}", f"C{n}"), "contact.email": f"c{n}@x.fr"} for n in range(5)]
    with poisoned_store() as (store, poison):
        poison({"c3@x.fr"})
        result = ui.apply(plan_rows(rows, store, on_error="abort"), store, batch_size=2)
        assert result.rolled_back
        assert [r.status for r in result.results].count(FAILED) == 1
        assert store.count()["clients"] == store.count()["contacts"] == 0


# -- SqliteRepository's bulk methods ----------------------------------------------------------------

def records(count: int) -> list[tuple[ClientRecord, Id | None]]:
    return [(ClientRecord.from_values((n,), {Field.CLIENT_NAME: f"Client {n}",
                                             Field.CLIENT_EXTERNAL_ID: f"C{n}"}), None)
            for n in range(count)]


def test_sqlite_bulk_creations_get_the_ids_one_by_one_creations_would_get() -> None:
    with ui.SqliteRepository() as bulk, ui.SqliteRepository() as single:
        for store in (bulk, single):
            store.create_client(*records(1)[0])
        one_by_one = [single.create_client(record, parent) for record, parent in records(5)[1:]]
        assert bulk.create_clients(records(5)[1:]) == one_by_one == [2, 3, 4, 5]
        contacts = [(client_id, ContactRecord.from_values((0,), {Field.CONTACT_EMAIL: f"{client_id}@x.fr"}))
                    for client_id in one_by_one]
        assert bulk.create_contacts(contacts) == [single.create_contact(*item) for item in contacts]
        assert bulk.export() == single.export()


def test_a_sqlite_bulk_call_that_fails_midway_writes_nothing() -> None:
    with poisoned_store() as (store, poison):
        poison({"Client 3"})
        with pytest.raises(sqlite3.IntegrityError, match="poisoned"):
            store.create_clients(records(5))
        assert store.count()["clients"] == 0
        first = store.create_client(*records(1)[0])
        updates = [(first, ClientChanges({Field.CLIENT_CITY: "Paris"})),
                   (99, ClientChanges({Field.CLIENT_CITY: "Lyon"}))]
        with pytest.raises(KeyError, match="99"):
            store.update_clients(updates)
        assert store.export()["clients"][0]["city"] is None


def test_sqlite_bulk_updates_change_only_the_given_columns_in_order() -> None:
    with ui.SqliteRepository() as store:
        ids = store.create_clients(records(3))
        store.update_clients([
            (ids[0], ClientChanges({Field.CLIENT_CITY: "Paris"})),
            (ids[1], ClientChanges({Field.CLIENT_CITY: "Lyon"})),
            (ids[2], ClientChanges({Field.CLIENT_NAME: "Renamed"}, parent_id=ids[0])),
        ])
        exported = store.export()["clients"]
        assert [(c["name"], c["city"], c["parent_id"]) for c in exported] == [
            ("Client 0", "Paris", None), ("Client 1", "Lyon", None), ("Renamed", None, ids[0])]
        assert [c.id for c in store.find_clients_by_names([ui.normalize_name("Renamed")])] == [ids[2]]


# -- the same outcome as one at a time, over random files and failures ------------------------------

NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
EMAILS = ["a@x.fr", "b@x.fr", "c@x.fr", "d@x.fr", "e@x.fr", "f@x.fr"]
N = None
CLIENT = st.fixed_dictionaries({
    "client.external_id": st.sampled_from([N, "C1", "C2", "C3", "C4"]),
    "client.name": st.sampled_from([N, *NAMES]),
    "client.city": st.sampled_from([N, "Paris", "Lyon"]),
    "group.external_id": st.sampled_from([N, N, N, "C1", "C2", "C9"]),
})
CONTACT = st.fixed_dictionaries({
    "contact.email": st.sampled_from([N, *EMAILS]),
    "contact.first_name": st.sampled_from([N, "Jean", "Marie"]),
    "contact.is_main": st.sampled_from([N, True, True, False]),
})
ROW = st.builds(lambda c, k: {**c, **(k or {})}, CLIENT, st.one_of(st.none(), CONTACT))
FILES = st.lists(ROW, min_size=1, max_size=12)
POISON = st.sets(st.sampled_from([*NAMES, *EMAILS]), max_size=3)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(first=FILES, second=FILES, poison=POISON, on_error=st.sampled_from(["skip", "abort"]),
       batch_size=st.integers(1, 5), transactional=st.booleans())
def test_in_memory_bulk_writes_end_as_one_by_one_writes(
    *, first: Rows, second: Rows, poison: set[str], on_error: str, batch_size: int, transactional: bool
) -> None:
    seen = []
    for repository in (PoisonedMemory(transactional=transactional), BulkMemory(transactional=transactional)):
        created = Created()
        plan = plan_rows(first, repository)
        outcome(plan, ui.apply(plan, repository), created)
        repository.poison = poison
        plan = plan_rows(second, repository, on_error=on_error)
        result = ui.apply(plan, repository, batch_size=batch_size)
        seen.append((outcome(plan, result, created), in_memory_content(repository, created)))
    assert seen[0] == seen[1]


@SETTINGS
@given(first=FILES, second=FILES, poison=POISON, on_error=st.sampled_from(["skip", "abort"]),
       batch_size=st.integers(1, 5))
def test_sqlite_bulk_writes_end_as_one_by_one_writes(
    first: Rows, second: Rows, poison: set[str], on_error: str, batch_size: int
) -> None:
    seen = []
    for bulk in (False, True):
        with poisoned_store() as (store, poison_keys):
            repository: Any = store if bulk else OneByOne(store)
            created = Created()
            plan = plan_rows(first, repository)
            outcome(plan, ui.apply(plan, repository), created)
            poison_keys(poison)
            plan = plan_rows(second, repository, on_error=on_error)
            result = ui.apply(plan, repository, batch_size=batch_size)
            seen.append((outcome(plan, result, created), sqlite_content(store, created)))
    assert seen[0] == seen[1]


# -- the documented example -------------------------------------------------------------------------

def documented_repositories() -> tuple[type, type]:
    """The example repository of the "Writing a repository" page and its bulk version, as shown."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "repository.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    bulk = next(example for example in examples if "class BulkSqlRepository" in example)
    namespace: dict[str, Any] = {}
    exec(compile(examples[0] + bulk, "docs/repository.md", "exec"), namespace)
    return namespace["SqlRepository"], namespace["BulkSqlRepository"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=FILES, second=FILES, batch_size=st.integers(1, 5))
def test_the_documented_bulk_repository_ends_as_the_one_by_one_example(
    first: Rows, second: Rows, batch_size: int
) -> None:
    seen = []
    for repository_class in documented_repositories():
        repository = repository_class(sqlite3.connect(":memory:"))
        created = Created()
        plan = plan_rows(first, repository)
        outcome(plan, ui.apply(plan, repository, batch_size=batch_size), created)
        plan = plan_rows(second, repository)
        result = ui.apply(plan, repository, batch_size=batch_size)
        seen_result = outcome(plan, result, created)  # first: it names the ids this apply created
        clients = [(created.client(id_), *cells, created.client(parent), created.contact(main), data)
                   for id_, *cells, parent, main, data in repository.db.execute("SELECT * FROM clients")]
        contacts = [(created.contact(id_), created.client(client_id), *cells)
                    for id_, client_id, *cells in repository.db.execute("SELECT * FROM contacts")]
        seen.append((seen_result, sorted(clients, key=repr), sorted(contacts, key=repr)))
    assert seen[0] == seen[1]


def test_the_documented_bulk_repository_writes_nothing_of_a_refused_batch() -> None:
    _, bulk_class = documented_repositories()
    repository = bulk_class(sqlite3.connect(":memory:"))
    created = repository.create_clients(records(2))
    assert created == [1, 2]
    with pytest.raises(sqlite3.IntegrityError):
        repository.create_clients(records(4)[1:])  # C1 is taken: C2 and C3 must not stay
    assert repository.db.execute("SELECT count(*) FROM clients").fetchone() == (2,)
