""":class:`AsyncInMemoryRepository`: :class:`~upflow_import.InMemoryRepository` behind coroutines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from upflow_import.memory import InMemoryRepository
from upflow_import.model import ClientRecord, ContactRecord
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    StoredClient,
    StoredContact,
    transaction_of,
)

__all__ = ["AsyncInMemoryRepository"]

T = TypeVar("T")
_Coroutine = Coroutine[object, object, T]


class AsyncInMemoryRepository:
    """An :class:`~upflow_import.aio.AsyncRepository` for tests: an
    :class:`~upflow_import.InMemoryRepository` (``sync``) whose methods are coroutines.

    Every rule is the wrapped repository's (the same checks, the same
    ``ValueError`` on a duplicate, the same integer ids); what it adds is what
    an asynchronous store does:

    - each call suspends once (``await asyncio.sleep(0)``), so that
      concurrent imports interleave at every repository call, as they would
      on a real database;
    - ``transaction()`` (with ``transactional=True``) is an asynchronous
      context manager that undoes every write of its block when the block
      raises, and lets one transaction run at a time, as a store's write lock
      does: a second ``async with repository.transaction()`` waits for the
      first to end. Writes made outside a transaction are not serialised, and
      a rolled-back transaction undoes them too if they happened meanwhile;
    - with ``bulk_writes=True`` it offers the bulk writes
      (:class:`~upflow_import.aio.AsyncSupportsBulkWrites`), each call all or
      nothing.

    Pass an existing ``InMemoryRepository`` to wrap it (its data and its
    ``transactional`` setting), or let it make one. The wrapped repository is
    ``repository.sync``: read the stored records back through it
    (``repository.sync.clients()``) or seed it directly.
    """

    def __init__(
        self,
        repository: InMemoryRepository | None = None,
        *,
        transactional: bool = False,
        account_managers: Iterable[str] | None = None,
        dunning_plans: Iterable[str] | None = None,
        bulk_writes: bool = False,
    ) -> None:
        if repository is None:
            repository = InMemoryRepository(transactional=transactional, account_managers=account_managers,
                                            dunning_plans=dunning_plans)
        elif transactional or account_managers is not None or dunning_plans is not None:
            raise TypeError("give either an InMemoryRepository or its settings, not both")
        #: The wrapped synchronous repository, holding the data.
        self.sync = repository
        self._bulk_writes = bulk_writes
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"AsyncInMemoryRepository({self.sync!r}, bulk_writes={self._bulk_writes})"

    async def _answer(self, call: Callable[[], T]) -> T:
        await asyncio.sleep(0)  # a real store suspends on every call: let the others run
        return call()

    # -- reads ----------------------------------------------------------------------------------

    async def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient[int]]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        return await self._answer(lambda: self.sync.find_clients_by_external_ids(external_ids))

    async def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient[int]]:
        """Stored clients whose normalised name is one of ``names``."""
        return await self._answer(lambda: self.sync.find_clients_by_names(names))

    async def find_clients_by_ids(self, ids: Sequence[int]) -> list[StoredClient[int]]:
        """Stored clients whose store id is one of ``ids``."""
        return await self._answer(lambda: self.sync.find_clients_by_ids(ids))

    async def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact[int]]:
        """Stored contacts whose normalised email is one of ``emails``."""
        return await self._answer(lambda: self.sync.find_contacts_by_emails(emails))

    async def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact[int]]:
        """Stored contacts whose ``contact.external_id`` is one of ``external_ids``."""
        return await self._answer(lambda: self.sync.find_contacts_by_external_ids(external_ids))

    async def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        """The ``emails`` that are registered account managers; ``None`` while none is registered."""
        return await self._answer(lambda: self.sync.known_account_managers(emails))

    async def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        """The ``names`` that are registered dunning plans; ``None`` while none is registered."""
        return await self._answer(lambda: self.sync.known_dunning_plans(names))

    async def all_account_managers(self) -> list[str]:
        """Every registered account manager's email."""
        return await self._answer(self.sync.all_account_managers)

    async def all_dunning_plans(self) -> list[str]:
        """Every registered dunning plan's name."""
        return await self._answer(self.sync.all_dunning_plans)

    # -- mapping memory ---------------------------------------------------------------------------

    async def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        """The column mapping saved under ``fingerprint``, or ``None``."""
        return await self._answer(lambda: self.sync.load_mapping(fingerprint))

    async def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` under ``fingerprint``."""
        await self._answer(lambda: self.sync.save_mapping(fingerprint, mapping))

    # -- writes ---------------------------------------------------------------------------------

    async def create_client(self, record: ClientRecord, parent_id: int | None) -> int:
        """Store a new client and return its id."""
        return await self._answer(lambda: self.sync.create_client(record, parent_id))

    async def update_client(self, client_id: int, changes: ClientChanges[int]) -> None:
        """Change only the fields in ``changes``, and the parent when one is given."""
        await self._answer(lambda: self.sync.update_client(client_id, changes))

    async def create_contact(self, client_id: int, record: ContactRecord) -> int:
        """Store a new contact of ``client_id`` and return its id."""
        return await self._answer(lambda: self.sync.create_contact(client_id, record))

    async def update_contact(self, contact_id: int, changes: ContactChanges) -> None:
        """Change only the fields in ``changes``; ``contact.is_main`` ``False`` demotes."""
        await self._answer(lambda: self.sync.update_contact(contact_id, changes))

    # -- bulk writes (only with bulk_writes=True) -------------------------------------------------

    def _bulk(self, name: str) -> None:
        if not self._bulk_writes:
            raise AttributeError(f"this AsyncInMemoryRepository was made without bulk_writes=True ({name})")

    async def _all_or_nothing(self, write: Callable[[], list[T]]) -> list[T]:
        def written() -> list[T]:
            # The wrapped repository's own undo makes one call all or nothing.
            with self.sync._transaction():
                return write()
        return await self._answer(written)

    @property
    def create_clients(self) -> Callable[[Sequence[tuple[ClientRecord, int | None]]], _Coroutine[list[int]]]:
        """``create_client`` for each ``(record, parent_id)``, all or nothing; the new ids, in order."""
        self._bulk("create_clients")

        async def create_clients(items: Sequence[tuple[ClientRecord, int | None]]) -> list[int]:
            return await self._all_or_nothing(
                lambda: [self.sync.create_client(record, parent) for record, parent in items])
        return create_clients

    @property
    def update_clients(self) -> Callable[[Sequence[tuple[int, ClientChanges[int]]]], _Coroutine[None]]:
        """``update_client`` for each ``(client_id, changes)``, all or nothing."""
        self._bulk("update_clients")

        async def update_clients(items: Sequence[tuple[int, ClientChanges[int]]]) -> None:
            def update_each() -> list[None]:
                for client_id, changes in items:
                    self.sync.update_client(client_id, changes)
                return []
            await self._all_or_nothing(update_each)
        return update_clients

    @property
    def create_contacts(self) -> Callable[[Sequence[tuple[int, ContactRecord]]], _Coroutine[list[int]]]:
        """``create_contact`` for each ``(client_id, record)``, all or nothing; the new ids, in order."""
        self._bulk("create_contacts")

        async def create_contacts(items: Sequence[tuple[int, ContactRecord]]) -> list[int]:
            return await self._all_or_nothing(
                lambda: [self.sync.create_contact(client_id, record) for client_id, record in items])
        return create_contacts

    @property
    def update_contacts(self) -> Callable[[Sequence[tuple[int, ContactChanges]]], _Coroutine[None]]:
        """``update_contact`` for each ``(contact_id, changes)``, all or nothing."""
        self._bulk("update_contacts")

        async def update_contacts(items: Sequence[tuple[int, ContactChanges]]) -> None:
            def update_each() -> list[None]:
                for contact_id, changes in items:
                    self.sync.update_contact(contact_id, changes)
                return []
            await self._all_or_nothing(update_each)
        return update_contacts

    # -- transactions ---------------------------------------------------------------------------

    @property
    def transaction(self) -> Callable[[], AbstractAsyncContextManager[AsyncInMemoryRepository]]:
        """An asynchronous context manager undoing every write of its block if the block raises;
        one transaction at a time.

        Only when the wrapped repository is transactional; otherwise the
        attribute does not exist, as for a store without transactions.
        """
        if transaction_of(self.sync) is None:
            raise AttributeError("this AsyncInMemoryRepository was made without transactional=True")
        return self._transaction

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncInMemoryRepository]:
        async with self._write_lock():
            with self.sync.transaction():
                yield self

    def _write_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop: a repository kept across asyncio.run() calls
        # (as tests do) gets a new lock on each loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock
