"""The asynchronous repository protocols: :class:`~upflow_import.Repository` and its optional
protocols, each method a coroutine."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from upflow_import.model import ClientRecord, ContactRecord
from upflow_import.repository import ClientChanges, ContactChanges, IdT, StoredClient, StoredContact

__all__ = [
    "AsyncMappingMemory",
    "AsyncRepository",
    "AsyncSupportsBulkWrites",
    "AsyncSupportsClientIds",
    "AsyncSupportsContactExternalIds",
    "AsyncSupportsReferenceListing",
    "AsyncSupportsTransaction",
]


@runtime_checkable
class AsyncRepository(Protocol[IdT]):
    """What :mod:`upflow_import.aio` needs from a store: the methods of
    :class:`~upflow_import.Repository`, with the same arguments, answers and
    rules, as coroutines.

    The optional protocols have their asynchronous twins too
    (:class:`AsyncSupportsContactExternalIds`, :class:`AsyncSupportsClientIds`,
    :class:`AsyncSupportsReferenceListing`, :class:`AsyncSupportsBulkWrites`,
    :class:`AsyncSupportsTransaction`, :class:`AsyncMappingMemory`); a method is
    used when the repository has it, as with the synchronous API.
    """

    async def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        ...

    async def find_clients_by_names(self, names: Sequence[str]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose ``normalize_name(name)`` is one of ``names``."""
        ...

    async def find_contacts_by_emails(self, emails: Sequence[str]) -> Iterable[StoredContact[IdT]]:
        """Stored contacts whose ``normalize_email(email)`` is one of ``emails``."""
        ...

    async def known_account_managers(self, emails: Sequence[str]) -> Collection[str] | None:
        """The subset of ``emails`` that are account managers; ``None`` when not tracked."""
        ...

    async def known_dunning_plans(self, names: Sequence[str]) -> Collection[str] | None:
        """The subset of ``names`` that are dunning plans; ``None`` when not tracked."""
        ...

    async def create_client(self, record: ClientRecord, parent_id: IdT | None) -> IdT:
        """Store a new client and return its id."""
        ...

    async def update_client(self, client_id: IdT, changes: ClientChanges[IdT]) -> None:
        """Change only the fields in ``changes``."""
        ...

    async def create_contact(self, client_id: IdT, record: ContactRecord) -> IdT:
        """Store a new contact of ``client_id`` and return its id."""
        ...

    async def update_contact(self, contact_id: IdT, changes: ContactChanges) -> None:
        """Change only the fields in ``changes`` (``contact.is_main`` ``False`` demotes)."""
        ...


@runtime_checkable
class AsyncSupportsTransaction(Protocol):
    """Optional: ``transaction()`` returns an asynchronous context manager (``async with``) that
    commits when its block ends normally and rolls every write of the block back when it raises."""

    def transaction(self) -> AbstractAsyncContextManager[object]: ...


@runtime_checkable
class AsyncSupportsContactExternalIds(Protocol[IdT]):
    """Optional: lets the planner report a contact id already used by another stored contact."""

    async def find_contacts_by_external_ids(self, external_ids: Sequence[str],
                                            ) -> Iterable[StoredContact[IdT]]:
        """Stored contacts whose ``contact.external_id`` is one of ``external_ids`` (exact match)."""
        ...


@runtime_checkable
class AsyncSupportsClientIds(Protocol[IdT]):
    """Optional: lets reports name a stored client the file does not mention by its own keys."""

    async def find_clients_by_ids(self, ids: Sequence[IdT]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose store id is one of ``ids``."""
        ...


@runtime_checkable
class AsyncSupportsReferenceListing(Protocol):
    """Optional: every known account manager and dunning plan, for "did you mean" hints."""

    async def all_account_managers(self) -> Sequence[str]:
        """Every account manager's email."""
        ...

    async def all_dunning_plans(self) -> Sequence[str]:
        """Every dunning plan's name."""
        ...


@runtime_checkable
class AsyncSupportsBulkWrites(Protocol[IdT]):
    """Optional: many clients or contacts per call, with the rules of
    :class:`~upflow_import.SupportsBulkWrites` (items in plan order, new ids in the order of
    the items, each call all or nothing)."""

    async def create_clients(self, items: Sequence[tuple[ClientRecord, IdT | None]]) -> Sequence[IdT]:
        """``create_client(record, parent_id)`` for each item; the new ids, in order."""
        ...

    async def update_clients(self, items: Sequence[tuple[IdT, ClientChanges[IdT]]]) -> None:
        """``update_client(client_id, changes)`` for each item."""
        ...

    async def create_contacts(self, items: Sequence[tuple[IdT, ContactRecord]]) -> Sequence[IdT]:
        """``create_contact(client_id, record)`` for each item; the new ids, in order."""
        ...

    async def update_contacts(self, items: Sequence[tuple[IdT, ContactChanges]]) -> None:
        """``update_contact(contact_id, changes)`` for each item."""
        ...


@runtime_checkable
class AsyncMappingMemory(Protocol):
    """Optional: :class:`~upflow_import.MappingMemory` as coroutines, used by
    :func:`upflow_import.aio.import_file`."""

    async def load_mapping(self, fingerprint: str) -> Mapping[str, str | None] | None:
        """The mapping saved under ``fingerprint``, or ``None``."""
        ...

    async def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` under ``fingerprint``, replacing what was there."""
        ...
