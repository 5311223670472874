"""A typed use of upflow_import.aio, as a user writes it: a repository keyed by ``int`` handed to
the asynchronous API and to its contract kit. Checked by ``mypy --strict`` in tests/test_aio.py,
and run here."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from upflow_import import aio
from upflow_import.testing import AsyncRepositoryContract, parsed_import


async def import_twice(data: bytes, repository: aio.AsyncRepository[int]) -> tuple[int, int]:
    first = await aio.import_file(data, repository)
    planned = await aio.plan(parsed_import([{"client.name": "Globex"}]), repository)
    result = await aio.apply(planned, repository)
    assert result.ok
    second = await aio.import_file(data, repository, dry_run=True)
    return first.summary.clients.create, second.summary.clients.create


def test_an_int_keyed_repository_is_an_async_repository_of_int() -> None:
    repository = aio.AsyncInMemoryRepository(transactional=True, bulk_writes=True)
    created = asyncio.run(import_twice(b"Identifiant Client;Nom du client\nC1;Acme\n", repository))
    assert created == (1, 0)
    assert [client.name for client in repository.sync.clients()] == ["Acme", "Globex"]


class TestTypedAsyncInMemoryRepository(AsyncRepositoryContract[aio.AsyncInMemoryRepository, int]):
    generated_files = 2

    async def new_repository(self) -> aio.AsyncInMemoryRepository:
        return aio.AsyncInMemoryRepository(transactional=True)

    async def add_account_managers_async(self, repository: aio.AsyncInMemoryRepository,
                                         emails: Collection[str]) -> None:
        repository.sync.add_account_managers(emails)
