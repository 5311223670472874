"""AsyncPostgresRepository: the same statements as PostgresRepository, so the same behaviour.

Checked two ways against a real server: the whole contract kit, through a thin adapter that
runs each coroutine to its end on an event loop of its own; and a differential run of every
method, the synchronous and the asynchronous repository side by side on two empty stores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import upflow_import as ui
from upflow_import.fields import Field
from upflow_import.repository import ClientChanges, ContactChanges
from upflow_import.testing import RepositoryContract

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg (the test extra has it)")

from test_postgres_repository import contact, record  # noqa: E402
from upflow_import.postgres import AsyncPostgresRepository, PostgresRepository  # noqa: E402


class Blocking:
    """An AsyncPostgresRepository seen as a synchronous repository: each call runs on ``loop``."""

    def __init__(self, repository: AsyncPostgresRepository, loop: asyncio.AbstractEventLoop) -> None:
        self._repository = repository
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repository, name)

        def call(*args: Any) -> Any:
            return self._loop.run_until_complete(method(*args))

        return call

    @contextmanager
    def transaction(self) -> Iterator[Blocking]:
        manager = self._repository.transaction()
        self._loop.run_until_complete(manager.__aenter__())
        try:
            yield self
        except BaseException as error:
            if not self._loop.run_until_complete(manager.__aexit__(type(error), error, error.__traceback__)):
                raise
        else:
            self._loop.run_until_complete(manager.__aexit__(None, None, None))


@pytest.fixture
def event_loop_of_test() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def async_repository(postgres_dsn: str, event_loop_of_test: asyncio.AbstractEventLoop) -> Iterator[Blocking]:
    loop = event_loop_of_test
    connection = loop.run_until_complete(psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True))
    try:
        yield Blocking(AsyncPostgresRepository(connection), loop)
    finally:
        loop.run_until_complete(connection.close())


class TestAsyncPostgresRepositoryContract(RepositoryContract):
    """The contract kit, each call a coroutine of AsyncPostgresRepository run to its end."""

    generated_files = 5

    @pytest.fixture
    def repository(self, async_repository: Blocking) -> Blocking:
        return async_repository

    def add_account_managers(self, repository: Any, emails: Collection[str]) -> None:
        repository.add_account_managers(emails)

    def add_dunning_plans(self, repository: Any, names: Collection[str]) -> None:
        repository.add_dunning_plans(names)


# -- every method, synchronous and asynchronous side by side ---------------------------------------

client = record  # the records the synchronous tests write


#: (method, arguments): each step is called on both repositories; ids are the same on both,
#: since both stores start empty and draw from their own sequences.
STEPS: list[tuple[str, tuple[Any, ...]]] = [
    ("known_account_managers", (["anne@x.fr"],)),
    ("known_dunning_plans", (["Plan VIP"],)),
    ("add_account_managers", (["Anne@x.fr", "paul@x.fr", "anne@x.fr"],)),
    ("add_dunning_plans", (["Plan\u00a0VIP", "Plan VIP", "Standard"],)),
    ("known_account_managers", (["anne@x.fr", "ANNE@x.fr", "zoe@x.fr"],)),
    ("known_dunning_plans", (["Plan VIP", "Autre"],)),
    ("all_account_managers", ()),
    ("all_dunning_plans", ()),
    ("create_client", (client("G1", "Groupe", city="Lyon", account_manager_email=("anne@x.fr",)), None)),
    ("create_client", (client(None, "Maison Dupont", payment_term_days=30), 1)),
    ("create_clients", ([(client(f"C{n}", f"Client {n}", city="Nice"), 1) for n in range(4)],)),
    ("create_client", (client("G1", "Doublon"), None)),  # refused: the external id is taken
    ("find_clients_by_external_ids", (["G1", "C2", "nobody"],)),
    ("find_clients_by_names", (["maison dupont", "client 3"],)),
    ("find_clients_by_ids", ([1, 2, 99, "text"],)),
    ("create_contact", (1, contact("Jean@Groupe.fr", is_main=True, position="PAYER", external_id="K1"))),
    ("create_contacts", ([(n, contact(f"p{n}@x.fr", first_name="Inès")) for n in range(2, 6)],)),
    ("create_contact", (2, contact("jean@groupe.fr"))),  # refused: the email is taken
    ("find_contacts_by_emails", (["jean@groupe.fr", "p3@x.fr"],)),
    ("find_contacts_by_external_ids", (["K1", "K2"],)),
    ("update_client", (2, ClientChanges({Field.CLIENT_NAME: "Maison Durand"}, parent_id=3))),
    ("update_client", (99, ClientChanges({Field.CLIENT_CITY: "Paris"}))),  # refused: no such client
    ("update_clients", ([(3, ClientChanges({Field.CLIENT_CITY: "Paris"})),
                         (4, ClientChanges({Field.CLIENT_CITY: "Metz"})),
                         (5, ClientChanges({Field.CLIENT_ACCOUNT_MANAGER_EMAIL: ("paul@x.fr",
                                                                                 "anne@x.fr")}))],)),
    ("update_contact", (1, ContactChanges({Field.CONTACT_IS_MAIN: False}))),
    ("update_contacts", ([(2, ContactChanges({Field.CONTACT_IS_MAIN: True})),
                          (3, ContactChanges({Field.CONTACT_PHONE: "+33600000000"}))],)),
    ("find_clients_by_ids", ([1, 2, 3, 4, 5, 6],)),
    ("find_contacts_by_emails", (["jean@groupe.fr", "p2@x.fr", "p3@x.fr"],)),
    ("load_mapping", ("f" * 64,)),
    ("save_mapping", ("f" * 64, {"Société": "client.name", "Notes": None})),
    ("load_mapping", ("f" * 64,)),
    ("count", ()),
]


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:  # a refusal must be the same refusal on both sides
        return ("raised", type(error).__name__)


@pytest.mark.parametrize("copy_from", [1, 1000], ids=["copy", "unnest"])
def test_every_method_answers_as_the_synchronous_repository(postgres_dsn: str, async_repository: Blocking,
                                                            copy_from: int) -> None:
    async_repository._repository.copy_from = copy_from
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute("TRUNCATE clients, contacts, account_managers, dunning_plans, mappings "
                           "RESTART IDENTITY CASCADE")
    # One database, used in turn: emptied (sequences too) between the two runs.
    answers: dict[str, list[Any]] = {}
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        repository = PostgresRepository(connection)
        repository.copy_from = copy_from
        answers["sync"] = [outcome(lambda m=method, a=args: getattr(repository, m)(*a))
                           for method, args in STEPS]
        connection.execute("TRUNCATE clients, contacts, account_managers, dunning_plans, mappings "
                           "RESTART IDENTITY CASCADE")
    answers["async"] = [outcome(lambda m=method, a=args: getattr(async_repository, m)(*a))
                        for method, args in STEPS]
    for (method, _), synchronous, asynchronous in zip(STEPS, answers["sync"], answers["async"], strict=True):
        assert sorted(map(repr, listed(asynchronous))) == sorted(map(repr, listed(synchronous))), method
    # The steps did what they say (a differential run of two broken twins would also agree).
    assert answers["sync"][11] == ("raised", "UniqueViolation") == answers["sync"][17]
    assert answers["sync"][21] == ("raised", "KeyError")
    assert answers["sync"][-1] == {"clients": 6, "contacts": 5, "account_managers": 2, "dunning_plans": 2}


def listed(answer: Any) -> list[Any]:
    return list(answer) if isinstance(answer, list | set) else [answer]


def test_a_transaction_that_raises_is_rolled_back_and_nests(async_repository: Blocking) -> None:
    repository = async_repository
    kept = repository.create_client(client("C0", "Kept"), None)

    async def work(inner: AsyncPostgresRepository) -> None:
        async with inner.transaction():
            await inner.create_client(client("C1", "Acme"), None)
            with pytest.raises(RuntimeError):
                async with inner.transaction():
                    await inner.create_client(client("C2", "Globex"), None)
                    raise RuntimeError
            await inner.update_client(kept, ClientChanges({Field.CLIENT_CITY: "Paris"}))
        with pytest.raises(RuntimeError):
            async with inner.transaction():
                await inner.create_client(client("C3", "Initech"), None)
                raise RuntimeError

    run(repository, work)
    found = {c.external_id: c for c in repository.find_clients_by_external_ids(["C0", "C1", "C2", "C3"])}
    assert sorted(found) == ["C0", "C1"]
    assert found["C0"].values[Field.CLIENT_CITY] == "Paris"


def run(repository: Blocking, work: Callable[[AsyncPostgresRepository], Coroutine[Any, Any, None]]) -> None:
    repository._loop.run_until_complete(work(repository._repository))


def test_import_file_through_the_adapter_then_again_changes_nothing(async_repository: Blocking) -> None:
    data = (b"Identifiant Client;Nom du client;Email du contact\n"
            b"C1;Acme;jean@acme.fr\nC2;Globex;marie@globex.fr\n")
    first = ui.import_file(data, async_repository)  # type: ignore[arg-type]
    assert first.ok and first.summary.clients.create == 2 and first.summary.contacts.create == 2
    second = ui.import_file(data, async_repository)  # type: ignore[arg-type]
    assert second.ok and second.operations == ()
