"""AsyncInMemoryRepository: InMemoryRepository's rules behind coroutines, checked by the asynchronous
contract kit, with transactions that run one at a time and all-or-nothing bulk writes."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import pytest

import upflow_import as ui
from upflow_import import aio
from upflow_import.fields import Field
from upflow_import.repository import BULK_METHODS
from upflow_import.testing.async_contract import AsyncRepositoryContract


def client(external_id: str, name: str) -> ui.ClientRecord:
    return ui.ClientRecord.from_values((2,), {Field.CLIENT_EXTERNAL_ID: external_id, Field.CLIENT_NAME: name})


class TestAsyncInMemoryRepository(AsyncRepositoryContract[aio.AsyncInMemoryRepository, int]):
    generated_files = 5

    async def new_repository(self) -> aio.AsyncInMemoryRepository:
        return aio.AsyncInMemoryRepository(transactional=True, bulk_writes=True)

    async def add_account_managers_async(self, repository: aio.AsyncInMemoryRepository,
                                         emails: Collection[str]) -> None:
        repository.sync.add_account_managers(emails)

    async def add_dunning_plans_async(self, repository: aio.AsyncInMemoryRepository,
                                      names: Collection[str]) -> None:
        repository.sync.add_dunning_plans(names)


class TestPlainAsyncInMemoryRepository(AsyncRepositoryContract[aio.AsyncInMemoryRepository, int]):
    """Without transactions nor bulk writes: the kit skips what is not offered."""

    generated_files = 3

    async def new_repository(self) -> aio.AsyncInMemoryRepository:
        return aio.AsyncInMemoryRepository()


def test_it_is_an_async_repository_and_offers_only_what_it_was_made_with() -> None:
    plain = aio.AsyncInMemoryRepository()
    assert isinstance(plain, aio.AsyncRepository)
    assert not hasattr(plain, "transaction")
    assert not any(hasattr(plain, name) for name in BULK_METHODS)
    full = aio.AsyncInMemoryRepository(transactional=True, bulk_writes=True)
    assert isinstance(full, aio.AsyncSupportsTransaction) and isinstance(full, aio.AsyncSupportsBulkWrites)


def test_it_wraps_an_existing_repository_and_its_rules() -> None:
    sync = ui.InMemoryRepository(transactional=True)
    repository = aio.AsyncInMemoryRepository(sync)
    assert hasattr(repository, "transaction")

    async def scenario() -> None:
        client_id = await repository.create_client(client("C1", "Acme"), None)
        assert [c.id for c in await repository.find_clients_by_external_ids(["C1"])] == [client_id]
        with pytest.raises(ValueError, match="already has the external id"):
            await repository.create_client(client("C1", "Acme bis"), None)

    asyncio.run(scenario())
    assert [c.name for c in sync.clients()] == ["Acme"]
    with pytest.raises(TypeError, match="not both"):
        aio.AsyncInMemoryRepository(sync, transactional=True)


def test_a_bulk_call_that_fails_writes_none_of_its_items() -> None:
    repository = aio.AsyncInMemoryRepository(bulk_writes=True)

    async def scenario() -> None:
        await repository.create_client(client("C2", "Globex"), None)
        with pytest.raises(ValueError, match="C2"):
            await repository.create_clients([(client("C1", "Acme"), None), (client("C2", "Again"), None)])
        items = [(client("C1", "Acme"), None), (client("C3", "Initech"), None)]
        assert await repository.create_clients(items) == [2, 3]  # the failed call took no id either

    asyncio.run(scenario())
    assert [c.external_id for c in repository.sync.clients()] == ["C2", "C1", "C3"]


def test_transactions_roll_back_and_run_one_at_a_time() -> None:
    repository = aio.AsyncInMemoryRepository(transactional=True)
    order: list[str] = []

    async def first() -> None:
        async with repository.transaction():
            order.append("first begins")
            await repository.create_client(client("C1", "Acme"), None)
            await asyncio.sleep(0.01)
            order.append("first ends")

    async def second() -> None:
        await asyncio.sleep(0)
        async with repository.transaction():
            order.append("second begins")
            await repository.create_client(client("C2", "Globex"), None)
            raise RuntimeError("changed my mind")

    async def scenario() -> None:
        results = await asyncio.gather(first(), second(), return_exceptions=True)
        assert isinstance(results[1], RuntimeError)

    asyncio.run(scenario())
    assert order == ["first begins", "first ends", "second begins"]
    assert [c.external_id for c in repository.sync.clients()] == ["C1"]


def test_it_can_be_used_on_several_event_loops_one_after_the_other() -> None:
    repository = aio.AsyncInMemoryRepository(transactional=True)

    async def twice() -> None:
        async def one(n: int) -> None:
            async with repository.transaction():
                await repository.create_client(client(f"C{n}", f"Client {n}"), None)
        await asyncio.gather(one(len(repository.sync.clients())), one(len(repository.sync.clients()) + 10))

    asyncio.run(twice())
    asyncio.run(twice())
    assert len(repository.sync.clients()) == 4
