"""The store the importer reads from and writes to, as the caller implements it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, cast, runtime_checkable

import attrs

from upflow_import.fields import Field
from upflow_import.model import ClientRecord, ContactRecord, FieldValue

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:  # a TypeVar with a default: before 3.13, typing_extensions's
    from typing_extensions import TypeVar

#: Ids are opaque to the importer: whatever ``create_*`` returned.
Id = Hashable
#: The caller's id type (``int``, ``uuid.UUID``, ``str``…): a ``Repository[int]`` returns
#: ``int`` ids and receives them back. Unparameterised, ``Repository`` means ``Repository[Any]``:
#: code that does not care about the id type keeps working with every repository.
IdT = TypeVar("IdT", bound=Hashable, default=Any)

_NAME, _EXTERNAL_ID = Field.CLIENT_NAME, Field.CLIENT_EXTERNAL_ID


def _has_a_name(_: object, __: object, values: Mapping[Field, FieldValue]) -> None:
    if type(values.get(_NAME)) is not str:
        raise ValueError(f"a stored client's values must hold its name ({_NAME.value}), as a str")


@attrs.frozen
class StoredClient(Generic[IdT]):
    """A client as the repository holds it.

    Its name and external id are in :attr:`values`, like every other field; :attr:`name` and
    :attr:`external_id` read them from there.
    """

    id: IdT
    #: Every stored client field (``client.*`` keys): the name always, the external id when it has one.
    values: Mapping[Field, FieldValue] = attrs.field(validator=_has_a_name)
    parent_id: IdT | None = None
    #: The client's current main contact, so that a new main contact can demote it.
    main_contact_id: IdT | None = None
    #: That contact's email, if the store has it at hand: reports then name the demoted
    #: contact by its email rather than by its id.
    main_contact_email: str | None = None

    @property
    def name(self) -> str:
        """``values[client.name]``."""
        return cast(str, self.values[_NAME])  # checked a str when made

    @property
    def external_id(self) -> str | None:
        """``values[client.external_id]``, ``None`` when it has none."""
        return cast("str | None", self.values.get(_EXTERNAL_ID))  # a text field


@attrs.frozen
class StoredContact(Generic[IdT]):
    """A contact as the repository holds it."""

    id: IdT
    client_id: IdT
    email: str
    #: Every stored contact field (``contact.*`` keys), email and ``contact.is_main`` included.
    values: Mapping[Field, FieldValue] = attrs.field(factory=dict)

    @property
    def is_main(self) -> bool:
        return self.values.get(Field.CONTACT_IS_MAIN) is True


@attrs.frozen
class ClientChanges(Generic[IdT]):
    """What an update changes: only the fields the file fills in and that differ."""

    values: Mapping[Field, FieldValue] = attrs.field(factory=dict)
    #: The new parent, or ``None`` to keep the current one (a blank never erases).
    parent_id: IdT | None = None


@attrs.frozen
class ContactChanges:
    values: Mapping[Field, FieldValue] = attrs.field(factory=dict)


@runtime_checkable
class Repository(Protocol[IdT]):
    """What the importer needs from a store.

    Reads are batched: each ``find_*``/``known_*`` method receives many keys
    at once (at most the planner's chunk size, 1000 by default) and returns
    what it holds for them, in any order. Keys are already normalised:
    names with :func:`~upflow_import.normalize_name`, emails with
    :func:`~upflow_import.normalize_email`.

    It is generic over the type of its ids: a store keyed by ``int`` is a
    ``Repository[int]``, and the ids it is given back (``update_client``'s,
    a new contact's client…) are typed ``int``.

    A repository may also offer ``transaction()``, a context manager inside
    which :func:`~upflow_import.apply` runs; and, to suggest a "did you mean"
    for unknown references, ``all_account_managers()`` and
    ``all_dunning_plans()`` returning every known value.
    """

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        ...

    def find_clients_by_names(self, names: Sequence[str]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose ``normalize_name(name)`` is one of ``names``."""
        ...

    def find_contacts_by_emails(self, emails: Sequence[str]) -> Iterable[StoredContact[IdT]]:
        """Stored contacts whose ``normalize_email(email)`` is one of ``emails``."""
        ...

    def known_account_managers(self, emails: Sequence[str]) -> Collection[str] | None:
        """The subset of ``emails`` that are account managers; ``None`` when not tracked."""
        ...

    def known_dunning_plans(self, names: Sequence[str]) -> Collection[str] | None:
        """The subset of ``names`` that are dunning plans; ``None`` when not tracked."""
        ...

    def create_client(self, record: ClientRecord, parent_id: IdT | None) -> IdT:
        """Store a new client and return its id."""
        ...

    def update_client(self, client_id: IdT, changes: ClientChanges[IdT]) -> None:
        """Change only the fields in ``changes``."""
        ...

    def create_contact(self, client_id: IdT, record: ContactRecord) -> IdT:
        """Store a new contact of ``client_id`` and return its id."""
        ...

    def update_contact(self, contact_id: IdT, changes: ContactChanges) -> None:
        """Change only the fields in ``changes`` (``contact.is_main`` ``False`` demotes)."""
        ...


class SupportsTransaction(Protocol):
    def transaction(self) -> AbstractContextManager[object]: ...


#: The methods every repository must have, in the protocol's order.
REQUIRED_METHODS: tuple[str, ...] = tuple(
    name for name, value in vars(Repository).items() if callable(value) and not name.startswith("_"))


def check_repository(repository: object) -> None:
    """Raise :class:`TypeError` naming every required method ``repository`` lacks.

    The planner and ``apply`` call it first, so that a repository missing a
    method is refused before any work, not halfway through an import.
    """
    missing = [name for name in REQUIRED_METHODS if not callable(getattr(repository, name, None))]
    if missing:
        raise TypeError(
            f"{type(repository).__name__} is not a Repository: it lacks "
            f"{', '.join(f'{name}()' for name in missing)}")


def transaction_of(repository: object) -> Callable[[], AbstractContextManager[object]] | None:
    """The repository's ``transaction`` method, or ``None`` when it offers none."""
    # ``transaction`` is optional; a repository may also lack it dynamically
    # (InMemoryRepository without transactional=True raises AttributeError).
    transaction = getattr(repository, "transaction", None)
    return transaction if callable(transaction) else None


@runtime_checkable
class SupportsContactExternalIds(Protocol[IdT]):
    """Optional: lets the planner report a contact id already used by another stored contact
    (``contact.external_id_conflict``)."""

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> Iterable[StoredContact[IdT]]:
        """Stored contacts whose ``contact.external_id`` is one of ``external_ids`` (exact match)."""
        ...


@runtime_checkable
class SupportsClientIds(Protocol[IdT]):
    """Optional: lets reports name a stored client the file does not mention (a subsidiary's
    former parent, the owner of a contact) by its external id or name, never by the store's id."""

    def find_clients_by_ids(self, ids: Sequence[IdT]) -> Iterable[StoredClient[IdT]]:
        """Stored clients whose store id is one of ``ids``."""
        ...


@runtime_checkable
class SupportsReferenceListing(Protocol):
    """Optional: every known account manager and dunning plan, for "did you mean" hints."""

    def all_account_managers(self) -> Sequence[str]:
        """Every account manager's email."""
        ...

    def all_dunning_plans(self) -> Sequence[str]:
        """Every dunning plan's name."""
        ...


@runtime_checkable
class SupportsBulkWrites(Protocol[IdT]):
    """Optional: write many clients or contacts per call; :func:`~upflow_import.apply` uses it
    when all four methods are offered.

    Each method receives the items in plan order and must behave as the
    matching one-record method called on each item in that order: same
    checks, same effects, and the ``create_*`` methods return the new ids in
    the order of ``items``. A call is all-or-nothing: one that raises has
    written nothing of its items (``apply`` then writes them again one at a
    time through the one-record methods, so that only the item at fault is
    reported ``apply.failed``). ``apply`` never puts in one call an item that
    needs another item of the same call (a subsidiary and its new parent, a
    contact and its new client): each call's items are independent.
    """

    def create_clients(self, items: Sequence[tuple[ClientRecord, IdT | None]]) -> Sequence[IdT]:
        """``create_client(record, parent_id)`` for each ``(record, parent_id)``; the new ids, in order."""
        ...

    def update_clients(self, items: Sequence[tuple[IdT, ClientChanges[IdT]]]) -> None:
        """``update_client(client_id, changes)`` for each ``(client_id, changes)``."""
        ...

    def create_contacts(self, items: Sequence[tuple[IdT, ContactRecord]]) -> Sequence[IdT]:
        """``create_contact(client_id, record)`` for each ``(client_id, record)``; the new ids, in order."""
        ...

    def update_contacts(self, items: Sequence[tuple[IdT, ContactChanges]]) -> None:
        """``update_contact(contact_id, changes)`` for each ``(contact_id, changes)``."""
        ...


#: The methods a repository offers for bulk writes, all of them or none is used.
BULK_METHODS: tuple[str, ...] = tuple(
    name for name, value in vars(SupportsBulkWrites).items() if callable(value) and not name.startswith("_"))

