"""What resolution works on: what the store holds for the file's keys, the client and contact
entities of the import, and the resolution they make up."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from types import MappingProxyType

import attrs

from upflow_import.fields import Field
from upflow_import.model import ClientRef, FieldValue
from upflow_import.planning.file_rows import FileRows
from upflow_import.planning.index import FileIndex
from upflow_import.planning.issue_log import RowIssues
from upflow_import.planning.keys import KEY_ID, ClientKey
from upflow_import.planning.types import Outcome
from upflow_import.repository import Id, StoredClient, StoredContact

__all__ = [
    "ClientEntity", "ContactEntity", "Demotion", "References", "Resolution", "StoredClients",
    "StoredContacts", "row_numbers",
]

# -- what the repository holds ---------------------------------------------------------------------


@attrs.frozen
class StoredClients:
    """The stored clients the planner read, indexed the ways resolution needs."""

    by_external_id: Mapping[str, StoredClient] = attrs.Factory(dict)
    #: Normalised name → stored clients with that name (for the names looked up).
    by_name: Mapping[str, Sequence[StoredClient]] = attrs.Factory(dict)

    def by_id(self) -> dict[Id, StoredClient]:
        known: dict[Id, StoredClient] = {c.id: c for c in self.by_external_id.values()}
        for clients in self.by_name.values():
            for client in clients:
                known[client.id] = client
        return known


@attrs.frozen
class References:
    """Which account managers and dunning plans exist (``None``: not tracked, no check),
    and every known value, for "did you mean" hints."""

    account_managers: Collection[str] | None = None
    dunning_plans: Collection[str] | None = None
    all_account_managers: Sequence[str] = ()
    all_dunning_plans: Sequence[str] = ()


@attrs.frozen
class StoredContacts:
    """The stored contacts the planner read, by normalised email and by external id."""

    by_email: Mapping[str, StoredContact] = attrs.Factory(dict)
    #: ``None`` when the repository cannot look contacts up by external id.
    by_external_id: Mapping[str, StoredContact] | None = None


# -- entities --------------------------------------------------------------------------------------

# Shared empty defaults: most entities never get an error, a demotion or a second row, and
# a set or a dictionary per entity would cost time and memory on large files.
_NO_ROWS: frozenset[int] = frozenset()
_NO_VALUE_ROWS: Mapping[Field, int] = MappingProxyType({})
_NO_SLOTS: tuple[str, ...] = ()


def row_numbers(file: FileRows, positions: Sequence[int]) -> tuple[int, ...]:
    """The row numbers of ``positions``."""
    numbers = file.numbers
    return (numbers[positions[0]],) if len(positions) == 1 else tuple(numbers[p] for p in positions)


class _Entity:
    """What clients and contacts of the import share: merged values built when first asked,
    and the rows carrying an error on them."""

    # The attrs subclasses are slotted and hold these: no __dict__ per entity. (Given as a
    # name rather than a literal, which would have type checkers look for them in it.)
    __slots__ = _NO_SLOTS
    merged: dict[Field, FieldValue] | None
    error_rows: AbstractSet[int]

    def current_values(self) -> dict[Field, FieldValue]:
        raise NotImplementedError

    @property
    def values(self) -> dict[Field, FieldValue]:
        """The merged values of its rows: a dictionary of its own, read from its source
        record when first asked."""
        if self.merged is None:
            self.merged = self.current_values()
        return self.merged

    def add_error_row(self, row: int) -> None:
        # The shared empty set is replaced once, then grown in place: an entity on thousands
        # of wrong rows must not copy its set per row.
        rows = self.error_rows
        if isinstance(rows, set):
            rows.add(row)
        else:
            self.error_rows = {row}


@attrs.define(eq=False)
class ClientEntity(_Entity):
    """One client of the import: its rows, merged values, stored state and parent."""

    file: FileRows
    key: ClientKey
    #: The positions of its rows in the file (in row order once settled).
    positions: list[int]
    stored: StoredClient | None = None
    #: The merged values of its rows (client fields only), once built: see :attr:`values`.
    merged: dict[Field, FieldValue] | None = None
    #: The position of the row that says everything its rows say, when one does (a single
    #: row, or rows that all repeat it): :attr:`values` are then read from it only when asked.
    source: int | None = None
    #: The source only refers to the client by name: its name is not one of the values.
    source_by_name_only: bool = False
    #: The row each merged value came from when it is not the first row (see :meth:`row_of`).
    value_rows: Mapping[Field, int] = _NO_VALUE_ROWS
    #: The parent as the file names it (last non-empty), and the row naming it.
    parent_ref: ClientRef | None = None
    parent_ref_row: int | None = None
    #: The resolved parent: a client of the file, or a stored client outside it.
    parent_entity: ClientEntity | None = None
    parent_stored: StoredClient | None = None
    #: Rows carrying an error on this client (parse or resolution): see :meth:`add_error_row`.
    error_rows: AbstractSet[int] = _NO_ROWS
    #: The parent whose own drop drops this client.
    dropped_by: ClientEntity | None = None
    #: Its contacts to import (none until the first: a file of clients alone makes no list
    #: per client); see :meth:`add_contact`.
    contacts: Sequence[ContactEntity] = ()
    demotions: Sequence[Demotion] = ()
    #: Its row numbers, in order (set once its rows are all known).
    numbers: tuple[int, ...] = ()
    #: Every row says the same of it as the first, which names it: :attr:`values` are that
    #: row's record's.
    uniform: bool = False
    #: What the plan does with it (set by the planner).
    outcome: Outcome | None = None

    def add_contact(self, contact: ContactEntity) -> None:
        contacts = self.contacts
        if isinstance(contacts, list):
            contacts.append(contact)
        else:
            self.contacts = [contact]

    @property
    def first_row(self) -> int:
        return self.file.numbers[self.positions[0]]

    def row_of(self, field: Field) -> int:
        """The row the merged value of ``field`` came from."""
        return self.value_rows.get(field, self.numbers[0])

    @property
    def external_id(self) -> str | None:
        if self.key.kind == KEY_ID:
            return str(self.key.value)
        return None if self.stored is None else self.stored.external_id

    def current_values(self) -> dict[Field, FieldValue]:
        """:attr:`values`, without keeping them when they are read from the source record
        (do not change the dictionary)."""
        if self.merged is not None:
            return self.merged
        source = self.source
        if source is None:
            return {}
        values = self.file.client_values(source)
        if self.source_by_name_only:
            values.pop(Field.CLIENT_NAME, None)
        return values

    def value_of(self, field: Field) -> FieldValue | None:
        """One of :attr:`values`, read from the source record when there is one."""
        source = self.source
        if self.merged is not None or source is None:
            return self.values.get(field)
        if field is Field.CLIENT_NAME:
            return None if self.source_by_name_only else self.file.names[source]
        if field is Field.CLIENT_ACCOUNT_MANAGER_EMAIL:
            return self.file.managers[source] or None
        if field is Field.CLIENT_DUNNING_PLAN:
            return self.file.dunning_plans[source]
        return self.current_values().get(field)

    @property
    def name(self) -> str | None:
        name = self.value_of(Field.CLIENT_NAME)
        if name is not None:
            return str(name)
        return None if self.stored is None else self.stored.name

    @property
    def dropped(self) -> bool:
        return bool(self.error_rows) or self.dropped_by is not None

    @property
    def cause_row(self) -> int:
        """The row of the error that drops this client (its own, or an ancestor's)."""
        if self.error_rows:
            return min(self.error_rows)
        assert self.dropped_by is not None
        return self.dropped_by.cause_row

    def describe(self) -> str:
        """How a message names this client: ``Name (ID)``."""
        return ClientRef(self.external_id, self.name).describe()


@attrs.define(eq=False)
class ContactEntity(_Entity):
    """One contact of the import: its rows under one client, merged values and stored state."""

    key: str
    client: ClientEntity
    #: Its row's position, or the list of its rows' positions once it has several: no list
    #: for the usual contact of one row. Read :attr:`positions`.
    held_rows: int | list[int]
    #: The position of its first row (in row order once settled).
    first: int
    stored: StoredContact | None = None
    #: The merged values of its rows, once built: see :attr:`values`.
    merged: dict[Field, FieldValue] | None = None
    #: The row each merged value came from when it is not the first row.
    value_rows: Mapping[Field, int] = _NO_VALUE_ROWS
    #: Rows carrying an error on this contact: see :meth:`add_error_row`.
    error_rows: AbstractSet[int] = _NO_ROWS
    #: Dropped because its client is dropped (reported on the client's rows).
    dropped_with_client: bool = False
    #: The last row marking it main, if any.
    main_row: int | None = None
    #: It loses its main status so that another contact can be promoted.
    demoted: bool = False
    #: Its values differ from what its rows say (it lost the main status).
    modified: bool = False
    #: Its row numbers, in order.
    numbers: tuple[int, ...] = ()
    #: What the plan does with it (set by the planner).
    outcome: Outcome | None = None

    @property
    def positions(self) -> Sequence[int]:
        """The positions of its rows (in row order once settled)."""
        held = self.held_rows
        return held if isinstance(held, list) else (held,)

    def add_row(self, position: int) -> None:
        held = self.held_rows
        if isinstance(held, list):
            held.append(position)
        else:
            self.held_rows = [held, position]

    def current_values(self) -> dict[Field, FieldValue]:
        """:attr:`values`, without keeping them when they are read from the row's record
        (do not change the dictionary)."""
        if self.merged is not None:
            return self.merged
        assert not isinstance(self.held_rows, list), "contacts of several rows are merged first"
        return self.client.file.contact_values(self.held_rows)

    # While merged is None, the values are the one row's record's: read from it directly.

    @property
    def email(self) -> str:
        if self.merged is None:
            email = self.client.file.emails[self.first]
            return self.key if email is None else email
        return str(self.merged.get(Field.CONTACT_EMAIL, self.key))

    @property
    def external_id(self) -> FieldValue | None:
        if self.merged is None:
            return self.client.file.contact_ids[self.first]
        return self.merged.get(Field.CONTACT_EXTERNAL_ID)

    @property
    def dropped(self) -> bool:
        return bool(self.error_rows) or self.dropped_with_client

    @property
    def is_main(self) -> bool:
        if self.merged is None:
            return self.client.file.is_main[self.first] is True
        return self.merged.get(Field.CONTACT_IS_MAIN) is True

    @property
    def stored_is_main(self) -> bool:
        if self.stored is None:
            return False
        client = self.client.stored
        return self.stored.is_main or (client is not None and client.main_contact_id == self.stored.id)


@attrs.frozen
class Demotion:
    """A stored main contact that is not in the file and loses its status to a new main contact."""

    client: ClientEntity
    contact_id: Id
    #: Its email when the file or the lookups know it.
    email: str | None
    #: The row that promotes another contact.
    row: int


@attrs.define(eq=False)
class Resolution:
    """The outcome of resolution: entities in dependency order, dropped rows, and the issue log."""

    index: FileIndex
    #: Clients, parents before their subsidiaries.
    entities: list[ClientEntity]
    #: Name-only references that matched several clients (the positions of their rows,
    #: which are dropped).
    ambiguous: list[list[int]]
    stored_by_id: dict[Id, StoredClient]
    #: Contacts of the file (also of dropped clients), in first-row order.
    contacts: list[ContactEntity] = attrs.Factory(list)
    #: The positions of the rows whose contact part has no email: the contact is dropped.
    contacts_without_email: list[int] = attrs.Factory(list)

    @property
    def log(self) -> RowIssues:
        return self.index.log

    def release(self) -> None:
        """Break the references between clients and their contacts once the plan is made, so
        that reference counting frees the entities at once rather than the cyclic garbage
        collector, which would have to walk every one of them."""
        for entity in self.entities:
            entity.contacts = ()
            entity.demotions = ()
