"""Identity resolution: parsed rows become client and contact entities.

This is the pure core of the planner. It never calls a repository: the
planner asks it which keys to look up (:func:`external_ids_to_find`,
:func:`names_to_find`, :func:`contact_keys_to_find`…), reads them in batches,
and hands the results back (:class:`StoredClients`, :class:`StoredContacts`).

The rules (DESIGN §6) in the order they are applied:

1. Rows are grouped by their raw identity: the client external id when the
   row has one, else the normalised name.
2. Name-only groups refer to the client with that name: among the file's
   clients that have an id first, then in the repository. Several
   candidates: ``client.ambiguous_name``. A name the file takes away from a
   client it renames is another client by that name, with the ``client.renamed_name`` warning.
3. The rows of one client are merged; a later different value wins with
   ``client.value_overridden``.
4. A client that exists nowhere and has no name is ``client.not_found``;
   a new client whose name is stored under another id warns
   ``client.same_name_exists``; account managers and dunning plans are checked.
5. Parents are resolved like client references (file first); a group name
   that designates another client than the group id is
   ``group.parent_mismatch``; then self parents and loops are found.
6. Errors drop their client, and the client drops its subsidiaries.
7. Contacts are grouped by normalised email, checked, merged, and the main
   contact of each client decided (the last one marked wins).

Everything is linear in the number of rows: dictionaries keyed by identity,
no pairwise comparison.
"""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.issues import HINTS, Issue, Text
from upflow_import.model import ClientRecord, ClientRef, FieldValue, ParsedImport, ParsedRow
from upflow_import.repository import Id, StoredClient, StoredContact

if TYPE_CHECKING:
    from upflow_import.planner import Outcome

__all__ = [
    "ClientEntity",
    "ClientKey",
    "ContactEntity",
    "Demotion",
    "FileIndex",
    "References",
    "Resolution",
    "StoredClients",
    "StoredContacts",
    "contact_keys_to_find",
    "describe_clients",
    "external_ids_to_find",
    "index_rows",
    "names_to_find",
    "reference_values",
    "resolve_clients",
    "resolve_contacts",
    "suggest",
]

#: The identity of a client entity: ``("id", external id)``, ``("name",
#: normalised name)`` for a new client known by name only, or ``("stored",
#: stored id)`` for a stored client without external id found by its name.
ClientKey = tuple[str, Hashable]
_ID, _NAME, _STORED = "id", "name", "stored"

# The same names and manager emails come back on many rows and in several
# passes; normalising each once saves a regex substitution per use.
_name_key = functools.lru_cache(maxsize=1 << 16)(normalize_name)
_email_key = functools.lru_cache(maxsize=1 << 12)(normalize_email)


def _text(value: FieldValue) -> str:
    """A value as an issue shows it."""
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def describe_clients(clients: Iterable[ClientEntity | StoredClient | ClientKey], *,
                     labelled: bool = False) -> Text:
    """Several clients as the user knows them: their external ids, then how many have none.

    The store's own ids never show: a client without an external id is only counted.
    ``labelled`` says "ID C1" rather than "C1" (for clients that share a name, where the
    ID is what tells them apart).
    """
    ids: list[str] = []
    without = 0
    for client in clients:
        if isinstance(client, tuple):
            external_id = str(client[1]) if client[0] == _ID else None
        else:
            external_id = client.external_id
        if external_id is None:
            without += 1
        elif external_id not in ids:
            ids.append(external_id)
    en = [f"ID {i}" for i in ids] if labelled else list(ids)
    fr = [f"identifiant {i}" for i in ids] if labelled else list(ids)
    if without:
        if labelled and not ids and without == 1:
            en.append("without an ID")
            fr.append("sans identifiant")
        else:
            en.append(f"{without} without an ID")
            fr.append(f"{without} sans identifiant")
    return Text(", ".join(en), ", ".join(fr))


class RowIssues:
    """The issues of every data row, parse issues first, planner issues appended."""

    def __init__(self, rows: Iterable[ParsedRow], columns: Mapping[Field, str]) -> None:
        # Most rows have no issue: only the others are kept.
        self._parsed: dict[int, tuple[Issue, ...]] = {row.number: row.issues for row in rows if row.issues}
        self._added: dict[int, list[Issue]] = {}
        self._columns = columns

    def add(
        self,
        code: str,
        row: int,
        field: Field | None = None,
        value: str | None = None,
        **params: object,
    ) -> Issue:
        """Record a planner issue on ``row``, located at the column that feeds ``field``."""
        issue = Issue.make(
            code,
            row=row,
            column=None if field is None else self._columns.get(field),
            field=field,
            value=value,
            **params,  # type: ignore[arg-type]
        )
        self._added.setdefault(row, []).append(issue)
        return issue

    def added(self) -> Mapping[int, list[Issue]]:
        """The planner's issues, by row (rows without any are not keys)."""
        return self._added

    def of(self, row: int) -> tuple[Issue, ...]:
        """Every issue of ``row``: parsing's, then the planner's."""
        added = self._added.get(row)
        parsed = self._parsed.get(row, ())
        return parsed if added is None else parsed + tuple(added)

    def has_error_on(self, row: int, fields: Collection[str], codes: Collection[str] = ()) -> bool:
        """True when ``row`` already has an error on one of ``fields`` or with one of ``codes``."""
        return any(
            issue.is_error and (issue.field in fields or issue.code in codes) for issue in self.of(row)
        )

    def any_error(self) -> bool:
        """True when any row has an error."""
        return any(issue.is_error for issues in self._parsed.values() for issue in issues) or any(
            issue.is_error for issues in self._added.values() for issue in issues)


# -- file index ------------------------------------------------------------------------------------


@attrs.define(eq=False)
class RawGroup:
    """The rows that share one raw identity (external id, or normalised name)."""

    key: ClientKey
    rows: list[ParsedRow] = attrs.Factory(list)
    #: The last non-empty name the file gives this group.
    name: str | None = None

    def last_name(self) -> str | None:
        """The last non-empty name the file gives this group."""
        return self.name


@attrs.define(eq=False)
class FileIndex:
    """The file's rows grouped by raw client identity, and the issue log."""

    rows: tuple[ParsedRow, ...]
    log: RowIssues
    columns: Mapping[Field, str]
    groups: dict[ClientKey, RawGroup]
    #: Rows that refer to no client at all (unreadable, or neither id nor name): dropped.
    orphans: list[ParsedRow]
    #: The last :func:`_id_names` computed, with the stored clients it was computed from.
    id_names: tuple[Mapping[str, StoredClient], dict[str, str | list[str]]] | None = None


def index_rows(parsed: ParsedImport, progress: Callable[[int], None] | None = None) -> FileIndex:
    """Group the rows of ``parsed`` by raw client identity.

    A row with a client record but neither external id nor name gets
    ``value.required`` on the name (unless parsing already reported the
    problem), and is dropped with its contact.
    """
    columns = parsed.mapping.fields()
    rows = tuple(parsed.rows)  # made from the parsed file's columns once
    log = RowIssues(rows, columns)
    groups: dict[ClientKey, RawGroup] = {}
    orphans: list[ParsedRow] = []
    identity_fields = (Field.CLIENT_NAME.value, Field.CLIENT_EXTERNAL_ID.value)
    for done, row in enumerate(rows, 1):
        if progress is not None and done % 1000 == 0:
            progress(done)
        client = row.client
        if client is None or (client.external_id is None and client.name is None):
            # Parsing explains an unreadable row itself; a row naming no client is the name's fault.
            unexplained = not row.has_errors if client is None else not log.has_error_on(
                row.number, identity_fields)
            if unexplained:
                log.add("value.required", row.number, Field.CLIENT_NAME)
            orphans.append(row)
            continue
        key: ClientKey
        if client.external_id is not None:
            key = (_ID, client.external_id)
        else:
            assert client.name is not None
            key = (_NAME, normalize_name(client.name))
        group = groups.get(key)
        if group is None:
            group = groups[key] = RawGroup(key)
        group.rows.append(row)
        if client.name is not None:
            group.name = client.name
    return FileIndex(rows, log, columns, groups, orphans)


def external_ids_to_find(index: FileIndex) -> list[str]:
    """Client external ids to look up: the rows' own and their parents'."""
    wanted: dict[str, None] = {}
    for key, group in index.groups.items():
        if key[0] == _ID:
            wanted[str(key[1])] = None
        for row in group.rows:
            assert row.client is not None
            parent = row.client.parent
            if parent is not None and parent.external_id is not None:
                wanted[parent.external_id] = None
    return list(wanted)


def _id_names(index: FileIndex, by_external_id: Mapping[str, StoredClient]) -> dict[str, str | list[str]]:
    """Normalised name → external id of the file's client known by that name (the last name the
    file gives it, else its stored name), or the list of them when several clients bear it."""
    if index.id_names is not None and index.id_names[0] is by_external_id:
        return index.id_names[1]
    # A name is almost always one client's: a list only for the others (each external id comes
    # once: no set, which costs 4× more).
    names: dict[str, str | list[str]] = {}
    for key, group in index.groups.items():
        if key[0] != _ID:
            continue
        external_id = str(key[1])
        name = group.last_name()
        if name is None and external_id in by_external_id:
            name = by_external_id[external_id].name
        if name is not None:
            name_key = _name_key(name)
            found = names.get(name_key)
            if found is None:
                names[name_key] = external_id
            elif isinstance(found, str):
                names[name_key] = [found, external_id]
            else:
                found.append(external_id)
    index.id_names = (by_external_id, names)
    return names


def names_to_find(index: FileIndex, by_external_id: Mapping[str, StoredClient]) -> list[str]:
    """Normalised names to look up, once the external ids have been read.

    Only the names the file cannot resolve by itself: name-only clients and
    parents that no client of the file bears, and the names of new clients
    with an id (to warn when the name already exists under another id).
    """
    id_names = _id_names(index, by_external_id)
    wanted: dict[str, None] = {}
    for key, group in index.groups.items():
        if key[0] == _NAME:
            if key[1] not in id_names:
                wanted[str(key[1])] = None
        elif str(key[1]) not in by_external_id:
            name = group.last_name()
            if name is not None:
                wanted[_name_key(name)] = None
        for row in group.rows:
            assert row.client is not None
            parent = row.client.parent
            if parent is not None and parent.external_id is None and parent.name is not None:
                name_key = _name_key(parent.name)
                if name_key not in id_names and (_NAME, name_key) not in index.groups:
                    wanted[name_key] = None
    return list(wanted)


def reference_values(index: FileIndex) -> tuple[list[str], list[str]]:
    """The account-manager emails (normalised) and dunning-plan names (as written) the file uses."""
    managers: dict[str, None] = {}
    plans: dict[str, None] = {}
    for group in index.groups.values():
        for row in group.rows:
            assert row.client is not None
            for email in row.client.account_manager_emails:
                managers[_email_key(email)] = None
            if row.client.dunning_plan is not None:
                plans[row.client.dunning_plan] = None
    return list(managers), list(plans)


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


def _numbers(rows: Sequence[ParsedRow]) -> tuple[int, ...]:
    return (rows[0].number,) if len(rows) == 1 else tuple(row.number for row in rows)


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

    key: ClientKey
    rows: list[ParsedRow]
    stored: StoredClient | None = None
    #: The merged values of its rows (client fields only), once built: see :attr:`values`.
    merged: dict[Field, FieldValue] | None = None
    #: The record that says everything its rows say, when one does (a single row, or rows
    #: that all repeat it): :attr:`values` are then read from it only when asked.
    source: ClientRecord | None = None
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
    contacts: list[ContactEntity] = attrs.Factory(list)
    demotions: Sequence[Demotion] = ()
    #: Its row numbers, in order (set once its rows are all known).
    numbers: tuple[int, ...] = ()
    #: Every row says the same of it as the first, which names it: :attr:`values` are that
    #: row's record's.
    uniform: bool = False
    #: What the plan does with it (set by the planner).
    outcome: Outcome | None = None

    @property
    def first_row(self) -> int:
        return self.rows[0].number

    def row_of(self, field: Field) -> int:
        """The row the merged value of ``field`` came from."""
        return self.value_rows.get(field, self.numbers[0])

    @property
    def external_id(self) -> str | None:
        if self.key[0] == _ID:
            return str(self.key[1])
        return None if self.stored is None else self.stored.external_id

    def current_values(self) -> dict[Field, FieldValue]:
        """:attr:`values`, without keeping them when they are read from the source record
        (do not change the dictionary)."""
        if self.merged is not None:
            return self.merged
        source = self.source
        if source is None:
            return {}
        values = source.values()
        if self.source_by_name_only:
            values.pop(Field.CLIENT_NAME, None)
        return values

    def value_of(self, field: Field) -> FieldValue | None:
        """One of :attr:`values`, read from the source record when there is one."""
        source = self.source
        if self.merged is not None or source is None:
            return self.values.get(field)
        if field is Field.CLIENT_NAME:
            return None if self.source_by_name_only else source.name
        if field is Field.CLIENT_ACCOUNT_MANAGER_EMAIL:
            return source.account_manager_emails or None
        if field is Field.CLIENT_DUNNING_PLAN:
            return source.dunning_plan
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
    rows: list[ParsedRow] = attrs.Factory(list)
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

    def current_values(self) -> dict[Field, FieldValue]:
        """:attr:`values`, without keeping them when they are read from the row's record
        (do not change the dictionary)."""
        if self.merged is not None:
            return self.merged
        assert len(self.rows) == 1, "contacts of several rows are merged first"
        record = self.rows[0].contact
        assert record is not None
        return record.values()

    # While merged is None, the values are the one row's record's: read from it directly.

    @property
    def email(self) -> str:
        if self.merged is None:
            email = self.rows[0].contact.email  # type: ignore[union-attr]
            return self.key if email is None else email
        return str(self.merged.get(Field.CONTACT_EMAIL, self.key))

    @property
    def external_id(self) -> FieldValue | None:
        if self.merged is None:
            return self.rows[0].contact.external_id  # type: ignore[union-attr]
        return self.merged.get(Field.CONTACT_EXTERNAL_ID)

    @property
    def dropped(self) -> bool:
        return bool(self.error_rows) or self.dropped_with_client

    @property
    def is_main(self) -> bool:
        if self.merged is None:
            return self.rows[0].contact.is_main is True  # type: ignore[union-attr]
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
    #: Name-only references that matched several clients (their rows are dropped).
    ambiguous: list[list[ParsedRow]]
    stored_by_id: dict[Id, StoredClient]
    #: Contacts of the file (also of dropped clients), in first-row order.
    contacts: list[ContactEntity] = attrs.Factory(list)
    #: Rows whose contact part has no email: the contact is dropped.
    contacts_without_email: list[ParsedRow] = attrs.Factory(list)

    @property
    def log(self) -> RowIssues:
        return self.index.log

    def release(self) -> None:
        """Break the references between clients and their contacts once the plan is made, so
        that reference counting frees the entities at once rather than the cyclic garbage
        collector, which would have to walk every one of them."""
        for entity in self.entities:
            entity.contacts = []
            entity.demotions = ()


# -- "did you mean" --------------------------------------------------------------------------------


def suggest(value: str, choices: Iterable[str], normalize: Callable[[str], str]) -> tuple[str, bool] | None:
    """The known value ``value`` was most likely meant to be, if any.

    Returns ``(suggestion, same_but_spacing)``: ``same_but_spacing`` is true
    when the two are equal once case and spaces are normalised (a
    non-breaking space, an upper-case letter), else the suggestion is the
    closest spelling (difflib) above a similarity of 0.75.

    >>> suggest("Plan standard", ["Plan Standard", "Plan VIP"], normalize_name)
    ('Plan Standard', True)
    """
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(normalize(choice), choice)
    key = normalize(value)
    if key in by_key:
        found = by_key[key]
        # A suggestion that looks like the cell itself (they differ by a kind of space) helps
        # nobody: the caller compares both sides normalised and finds the value known.
        return None if _as_seen(found) == _as_seen(value) else (found, True)
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.75)
    return (by_key[close[0]], False) if close else None


def _as_seen(text: str) -> str:
    """``text`` as a reader sees it: every kind of space alike, runs of them as one."""
    return " ".join(text.split())


# -- clients ---------------------------------------------------------------------------------------


class _ClientResolver:
    """The client half of resolution; one instance per plan."""

    def __init__(self, index: FileIndex, stored: StoredClients, references: References) -> None:
        self.index = index
        self.log = index.log
        self.stored = stored
        self.references = references
        # Normalised once: the checks below run per client.
        self.known_managers = (None if references.account_managers is None
                               else {normalize_email(email) for email in references.account_managers})
        self.known_plans = None if references.dunning_plans is None else set(references.dunning_plans)
        # Plans are compared as the user sees them: a registered name and a cell that differ only
        # by the kind of space (a non-breaking one) are the same plan.
        self.plan_keys = {normalize_reference(name) for name in (*(references.dunning_plans or ()),
                                                             *references.all_dunning_plans)}
        self.entities: dict[ClientKey, ClientEntity] = {}
        self.ambiguous: list[list[ParsedRow]] = []
        self.by_stored_id: dict[Id, ClientEntity] = {}
        #: Former names of the file's renamed clients (see :meth:`_former_names`).
        self.renamed: dict[str, list[str]] = {}
        # External id → the normalised name the file gives that client, when it gives one.
        self.file_names: dict[str, str] = {}
        for key, group in index.groups.items():
            name = group.last_name() if key[0] == _ID else None
            if name is not None:
                self.file_names[str(key[1])] = _name_key(name)

    def _stored_named(self, name_key: str) -> list[StoredClient]:
        """Stored clients bearing ``name_key`` once the file is imported: a client the file
        renames no longer answers to its old name (or a re-run would resolve differently)."""
        file_names = self.file_names
        return [client for client in self.stored.by_name.get(name_key, ())
                if client.external_id is None or file_names.get(client.external_id, name_key) == name_key]

    def run(self) -> Resolution:
        self._build_entities()
        entities = sorted(self.entities.values(), key=lambda e: e.rows[0].number)  # e.first_row
        by_stored_id = self.by_stored_id
        for entity in entities:
            rows = entity.rows
            count = len(rows)
            if count == 1:
                row = rows[0]
                record = row.client
                # A one-row client's row numbers are its record's (parse gives them as one tuple).
                entity.numbers = (record.rows if record is not None and record.rows == (row.number,)
                                  else (row.number,))
            elif count == 2:  # the next most usual case: two rows, often already in order
                one, two = rows
                if one.number > two.number:
                    rows.reverse()
                    one, two = two, one
                entity.numbers = (one.number, two.number)
            else:
                rows.sort(key=lambda row: row.number)
                entity.numbers = _numbers(rows)
            if entity.stored is not None:
                by_stored_id[entity.stored.id] = entity
            self._merge(entity)
            self._check_existence(entity)
            self._check_references(entity)
        # Only parents named without an id are looked up by name: most files give ids.
        name_index = (self._name_index(entities) if any(
            entity.parent_ref is not None and entity.parent_ref.external_id is None for entity in entities)
            else {})
        for entity in entities:
            self._resolve_parent(entity, name_index)
        stored_by_id = self.stored.by_id()
        self._find_cycles(entities, stored_by_id)
        ordered = self._parents_first(entities)
        self._propagate_drops(ordered)
        resolution = Resolution(self.index, ordered, self.ambiguous, stored_by_id)
        _build_contacts(resolution)
        return resolution

    # identity ------------------------------------------------------------------------------------

    def _entity(self, key: ClientKey, stored: StoredClient | None) -> ClientEntity:
        entity = self.entities.get(key)
        if entity is None:
            entity = self.entities[key] = ClientEntity(key, [], stored)
        return entity

    def _canonical(self, client: StoredClient) -> ClientKey:
        return (_ID, client.external_id) if client.external_id is not None else (_STORED, client.id)

    def _build_entities(self) -> None:
        by_external_id = self.stored.by_external_id
        id_names = _id_names(self.index, by_external_id)
        self.renamed = self._former_names() if any(
            key[0] == _NAME for key in self.index.groups) else {}
        entities = self.entities
        for key, group in self.index.groups.items():
            if key[0] == _ID:  # the first entities made: one per key, each new
                entities[key] = ClientEntity(key, group.rows.copy(), by_external_id.get(str(key[1])))
        for key, group in self.index.groups.items():
            if key[0] != _NAME:
                continue
            name_key = str(key[1])
            in_file = id_names.get(name_key)
            candidates: list[ClientKey]
            if isinstance(in_file, str):
                candidates = [(_ID, in_file)]
            elif in_file:
                candidates = [(_ID, external_id) for external_id in sorted(in_file)]
            else:
                stored = self._stored_named(name_key)
                candidates = list(dict.fromkeys(self._canonical(client) for client in stored))
            renamed = self.renamed.get(name_key)
            if renamed and not isinstance(in_file, str) and not in_file:
                # The name is one a client of the file had before the file renamed it. The file
                # frees that name: a row naming it without an ID is another client by that name
                # (a name identifies a client without an ID), created when there is none. Said,
                # never silent; and a re-run of the same file reads it the same way.
                freed = {(_ID, external_id) for external_id in renamed}
                candidates = [candidate for candidate in candidates if candidate not in freed]
                self._renamed(group, renamed[0])
            if len(candidates) > 1:
                self._ambiguous(group, candidates)
                continue
            if not candidates:
                self._entity(key, None).rows.extend(group.rows)
                continue
            target = candidates[0]
            stored_client = None
            if target[0] == _ID:
                stored_client = by_external_id.get(str(target[1]))
            if stored_client is None:
                named = self._stored_named(name_key)
                stored_client = next((c for c in named if self._canonical(c) == target), None)
            self._entity(target, stored_client).rows.extend(group.rows)

    def _ambiguous(self, group: RawGroup, candidates: Sequence[ClientKey]) -> None:
        self.ambiguous.append(group.rows)
        described = describe_clients(candidates)
        for row in group.rows:
            assert row.client is not None
            self.log.add("client.ambiguous_name", row.number, Field.CLIENT_NAME, row.client.name,
                         count=len(candidates), candidates=described)

    def _renamed(self, group: RawGroup, external_id: str) -> None:
        new_name = self.index.groups[(_ID, external_id)].last_name()
        for row in group.rows:
            assert row.client is not None
            self.log.add("client.renamed_name", row.number, Field.CLIENT_NAME, row.client.name,
                         external_id=external_id, new_name=new_name)

    def _former_names(self) -> dict[str, list[str]]:
        """Names the file's clients with an ID had before the file renamed them (their stored
        name, or an earlier row's), by normalised name."""
        former: dict[str, list[str]] = {}
        by_external_id = self.stored.by_external_id
        for key, group in self.index.groups.items():
            if key[0] != _ID:
                continue
            external_id = str(key[1])
            last = self.file_names.get(external_id)
            if last is None:
                continue
            names = set()
            stored = by_external_id.get(external_id)
            if stored is not None:
                names.add(_name_key(stored.name))
            if len(group.rows) > 1:
                names.update(_name_key(row.client.name) for row in group.rows
                             if row.client is not None and row.client.name is not None)
            names.discard(last)
            for name in names:
                former.setdefault(name, []).append(external_id)
        return former

    # merging -------------------------------------------------------------------------------------

    def _merge(self, entity: ClientEntity) -> None:
        name_field = Field.CLIENT_NAME
        rows = entity.rows
        if len(rows) == 1:
            # The usual case, one row per client: its values as they are.
            row = rows[0]
            client = row.client
            assert client is not None
            if row.issues and not row.client_ok:
                entity.add_error_row(row.number)
            entity.source = client
            entity.source_by_name_only = client.external_id is None and entity.key[0] != _NAME
            if client.parent:
                entity.parent_ref, entity.parent_ref_row = client.parent, row.number
            entity.uniform = client.external_id is not None or entity.key[0] == _NAME
            return
        first_client = rows[0].client
        assert first_client is not None
        if (first_client.external_id is not None or entity.key[0] == _NAME) and (
                _same_client_values(rows[1].client, first_client) if len(rows) == 2  # type: ignore[arg-type]
                else all(_same_client_values(row.client, first_client) for row in rows[1:])):  # type: ignore[arg-type]
            # Every row repeats the first, which names the client: its values are the first
            # row's record's (read from it when asked), nothing is overridden.
            entity.source, entity.uniform = first_client, True
            for row in rows:
                if row.issues and not row.client_ok:
                    entity.add_error_row(row.number)
                if first_client.parent:
                    entity.parent_ref, entity.parent_ref_row = first_client.parent, row.number
            return
        # The first row's values are the start (their row is the entity's first: value_rows
        # need not say it); each later row that repeats the one before it changes nothing.
        first = rows[0].number
        values: dict[Field, FieldValue] = {}
        value_rows: dict[Field, int] = {}
        entity.merged, entity.value_rows = values, value_rows
        before: ClientRecord | None = None
        for row in rows:
            client = row.client
            assert client is not None
            number = row.number
            if not row.client_ok:
                entity.add_error_row(number)
            if before is None or not _same_client_values(client, before):
                by_name_only = client.external_id is None and entity.key[0] != _NAME
                for field, value in client.values().items():
                    if by_name_only and field is name_field:
                        # The row only refers to the client by name: it identifies, never renames.
                        continue
                    previous = values.get(field)
                    if previous == value:
                        continue  # rows repeating their client's values: the usual case, nothing to do
                    if previous is not None and not _same_name(field, previous, value):
                        self.log.add(
                            "client.value_overridden", number, field, _text(value),
                            previous=_text(previous), previous_row=value_rows.get(field, first),
                        )
                    values[field] = value
                    if number != first:
                        value_rows[field] = number
            before = client
            parent = client.parent
            if parent:
                if entity.parent_ref is not None and entity.parent_ref != parent:
                    field = Field.GROUP_EXTERNAL_ID if parent.external_id else Field.GROUP_NAME
                    assert entity.parent_ref_row is not None
                    self.log.add(
                        "client.value_overridden", number, field, parent.describe(),
                        previous=entity.parent_ref.describe(), previous_row=entity.parent_ref_row,
                    )
                entity.parent_ref, entity.parent_ref_row = parent, number

    def _error(self, entity: ClientEntity, code: str, row: int, field: Field | None,
               value: str | None, **params: object) -> None:
        self.log.add(code, row, field, value, **params)
        entity.add_error_row(row)

    def _check_existence(self, entity: ClientEntity) -> None:
        if entity.stored is not None or entity.key[0] != _ID:
            return
        external_id = str(entity.key[1])
        name = entity.value_of(Field.CLIENT_NAME)
        if name is None:
            for row in entity.rows:
                self._error(entity, "client.not_found", row.number, Field.CLIENT_EXTERNAL_ID, external_id)
            return
        same_name = self._stored_named(_name_key(str(name)))
        others = [c for c in same_name if c.external_id != external_id]
        if others:
            self.log.add(
                "client.same_name_exists", entity.row_of(Field.CLIENT_NAME), Field.CLIENT_NAME, str(name),
                count=len(others), others=describe_clients(others, labelled=True),
            )

    def _check_references(self, entity: ClientEntity) -> None:
        refs = self.references
        source = entity.source
        managers: FieldValue | None
        plan: FieldValue | None
        if entity.merged is None and source is not None:  # ClientEntity.value_of, without its calls
            managers, plan = source.account_manager_emails or None, source.dunning_plan
        else:
            managers = entity.value_of(Field.CLIENT_ACCOUNT_MANAGER_EMAIL)
            plan = entity.value_of(Field.CLIENT_DUNNING_PLAN)
        known = self.known_managers
        if known is not None and isinstance(managers, tuple):
            for email in managers:
                if _email_key(email) not in known:
                    self._unknown_reference(
                        entity, "reference.unknown_account_manager", Field.CLIENT_ACCOUNT_MANAGER_EMAIL,
                        email, suggest(email, refs.all_account_managers, normalize_email),
                    )
        if (self.known_plans is not None and plan is not None and plan not in self.known_plans
                and normalize_reference(str(plan)) not in self.plan_keys):
            self._unknown_reference(
                entity, "reference.unknown_dunning_plan", Field.CLIENT_DUNNING_PLAN, str(plan),
                suggest(str(plan), refs.all_dunning_plans, normalize_name),
            )

    def _unknown_reference(self, entity: ClientEntity, code: str, field: Field, value: str,
                           suggestion: tuple[str, bool] | None) -> None:
        row = entity.row_of(field)
        if suggestion is None:
            self._error(entity, code, row, field, value)
            return
        hint = HINTS["did_you_mean_spacing" if suggestion[1] else "did_you_mean"]
        self._error(entity, code, row, field, value, hint=hint, suggestion=suggestion[0])

    # groups --------------------------------------------------------------------------------------

    def _name_index(self, entities: Iterable[ClientEntity]) -> dict[str, list[ClientEntity]]:
        index: dict[str, list[ClientEntity]] = {}
        for entity in entities:
            name = entity.name
            if name is not None:
                index.setdefault(_name_key(name), []).append(entity)
        return index

    def _resolve_parent(self, entity: ClientEntity, name_index: Mapping[str, list[ClientEntity]]) -> None:
        ref = entity.parent_ref
        if ref is None:
            return
        row = entity.parent_ref_row
        assert row is not None
        field = Field.GROUP_EXTERNAL_ID if ref.external_id is not None else Field.GROUP_NAME
        value = ref.external_id if ref.external_id is not None else ref.name
        candidates: list[ClientEntity | StoredClient] = []
        if ref.external_id is not None:
            in_file = self.entities.get((_ID, ref.external_id))
            stored = self.stored.by_external_id.get(ref.external_id)
            if in_file is not None:
                candidates.append(in_file)
            elif stored is not None:
                candidates.append(stored)
        else:
            assert ref.name is not None
            name_key = _name_key(ref.name)
            candidates.extend(name_index.get(name_key, ()))
            if not candidates:
                found: dict[int, ClientEntity | StoredClient] = {}
                for client in self._stored_named(name_key):
                    target = self.by_stored_id.get(client.id, client)
                    found[id(target)] = target
                candidates = list(found.values())
        if (len(candidates) == 1 and ref.external_id is not None and ref.name is not None
                and candidates[0].name is not None and _name_key(ref.name) != _name_key(candidates[0].name)):
            # The group's ID and name designate different clients: neither may silently win.
            self._error(entity, "group.parent_mismatch", row, Field.GROUP_NAME, ref.name,
                        external_id=ref.external_id, parent_name=candidates[0].name)
        elif not candidates:
            self._error(entity, "group.parent_not_found", row, field, value)
        elif len(candidates) > 1:
            self._error(entity, "group.ambiguous_parent", row, field, value, count=len(candidates),
                        candidates=describe_clients(candidates))
        elif candidates[0] is entity:
            self._error(entity, "group.self_parent", row, field, value)
        elif isinstance(candidates[0], ClientEntity):
            entity.parent_entity = candidates[0]
        else:
            entity.parent_stored = candidates[0]

    def _find_cycles(self, entities: list[ClientEntity], stored_by_id: Mapping[Id, StoredClient]) -> None:
        """Find loops of parents among the file's clients and the stored clients read.

        Each node has at most one parent, so one walk per node with colours is
        linear. Only loops the file creates (one of its parent links in the
        loop) are reported, on the clients whose parent the file sets.
        """

        def node_of_stored(stored_id: Id | None) -> object | None:
            if stored_id is None:
                return None
            if stored_id in self.by_stored_id:
                return self.by_stored_id[stored_id]
            return stored_by_id.get(stored_id)

        def parent_of(node: object) -> object | None:
            if isinstance(node, ClientEntity):
                if node.parent_entity is not None:
                    return node.parent_entity
                if node.parent_stored is not None:
                    return node_of_stored(node.parent_stored.id)
                return None if node.stored is None else node_of_stored(node.stored.parent_id)
            assert isinstance(node, StoredClient)
            return node_of_stored(node.parent_id)

        done: set[int] = set()
        for start in entities:
            path: list[object] = []
            on_path: dict[int, int] = {}
            node: object | None = start
            while node is not None and id(node) not in done and id(node) not in on_path:
                on_path[id(node)] = len(path)
                path.append(node)
                node = parent_of(node)
            if node is not None and id(node) in on_path:
                self._report_cycle(path[on_path[id(node)]:])
            done.update(on_path)

    def _report_cycle(self, cycle: list[object]) -> None:
        setters = [n for n in cycle if isinstance(n, ClientEntity) and n.parent_ref is not None
                   and (n.parent_entity is not None or n.parent_stored is not None)]
        if not setters:
            return  # a loop already in the store; the file does not touch it
        names = [n.describe() if isinstance(n, ClientEntity) else ClientRef(n.external_id, n.name).describe()
                 for n in cycle if isinstance(n, ClientEntity | StoredClient)]
        text = " → ".join([*names, names[0]])
        for entity in setters:
            ref = entity.parent_ref
            assert ref is not None and entity.parent_ref_row is not None
            field = Field.GROUP_EXTERNAL_ID if ref.external_id is not None else Field.GROUP_NAME
            self._error(entity, "group.cycle", entity.parent_ref_row, field,
                        ref.external_id or ref.name, cycle=text)
            # Cut the loop so that ordering and drop propagation see a forest.
            entity.parent_entity = entity.parent_stored = None

    def _parents_first(self, entities: list[ClientEntity]) -> list[ClientEntity]:
        children: dict[int, list[ClientEntity]] = {}
        roots: list[ClientEntity] = []
        for entity in entities:
            if entity.parent_entity is None:
                roots.append(entity)
            else:
                children.setdefault(id(entity.parent_entity), []).append(entity)
        ordered: list[ClientEntity] = []
        stack = list(reversed(roots))
        while stack:
            entity = stack.pop()
            ordered.append(entity)
            stack.extend(reversed(children.get(id(entity), ())))
        assert len(ordered) == len(entities), "the parent graph must be a forest once loops are cut"
        return ordered

    def _propagate_drops(self, ordered: list[ClientEntity]) -> None:
        for entity in ordered:
            parent = entity.parent_entity
            if not entity.error_rows and parent is not None and parent.dropped:
                entity.dropped_by = parent
            if entity.error_rows:
                dependency, cause = entity.describe(), min(entity.error_rows)
            elif entity.dropped_by is not None:
                dependency, cause = entity.dropped_by.describe(), entity.dropped_by.cause_row
            else:
                continue
            for row in entity.rows:
                if row.number not in entity.error_rows:
                    self.log.add("plan.dependency_dropped", row.number, None, None,
                                 dependency=dependency, dependency_row=cause)


def _same_client_values(one: ClientRecord, other: ClientRecord) -> bool:
    """The two records say the same of their client (their rows aside)."""
    # Tuples compare their items by identity first: rows that share their address or
    # parent reference (parse shares them) compare at once.
    return (one.external_id, one.name, one.accounting_code, one.vat_number, one.address,
            one.account_manager_emails, one.dunning_plan, one.payment_term_days, one.parent) == (
        other.external_id, other.name, other.accounting_code, other.vat_number, other.address,
        other.account_manager_emails, other.dunning_plan, other.payment_term_days, other.parent)


def _same_name(field: Field, previous: FieldValue, value: FieldValue) -> bool:
    # Rows known by one name may spell it with other case or spaces: same client, no warning.
    return field is Field.CLIENT_NAME and normalize_name(str(previous)) == normalize_name(str(value))


def resolve_clients(index: FileIndex, stored: StoredClients, references: References) -> Resolution:
    """Resolve the file's clients against what the repository holds (rules 2 to 6 above),
    then group the contacts by email and report what the file alone shows about them."""
    return _ClientResolver(index, stored, references).run()


# -- contacts --------------------------------------------------------------------------------------


def _build_contacts(resolution: Resolution) -> None:
    """Group every contact part by normalised email, and report the file-level conflicts."""
    log = resolution.log
    by_key: dict[str, ContactEntity] = {}
    # Emails given under more than one client: every client, in order of appearance.
    conflicts: dict[str, list[ClientEntity]] = {}
    email_fields = (Field.CONTACT_EMAIL.value,)
    without_email = resolution.contacts_without_email
    for entity in resolution.entities:
        for row in entity.rows:
            contact = row.contact
            if contact is None:
                continue
            email = contact.email
            if email is None:
                if not log.has_error_on(row.number, email_fields, ("contact.email_required",)):
                    log.add("contact.email_required", row.number, Field.CONTACT_EMAIL)
                without_email.append(row)
                continue
            key = normalize_email(email)  # ContactRecord.key, without the property's call
            found = by_key.get(key)
            if found is None:
                by_key[key] = ContactEntity(key, entity, [row])
                continue
            found.rows.append(row)
            if found.client is not entity:
                clients = conflicts.setdefault(key, [found.client])
                if entity not in clients:
                    clients.append(entity)
    # One pass per contact: its row numbers, conflicts, drops and merge. Each row belongs to one
    # contact, so every row's issues come in the order the separate steps gave them.
    external_ids = 0
    for key, found in by_key.items():
        rows = found.rows
        client = found.client
        client_dropped = bool(client.error_rows) or client.dropped_by is not None
        if len(rows) == 1:
            # The usual case: one row, no conflict (that takes two rows), values read from the
            # row's record when asked (see ContactEntity.values).
            row = rows[0]
            record = row.contact
            assert record is not None
            number = row.number
            # A one-row contact's row numbers are its record's (parse gives them as one tuple).
            found.numbers = record.rows if record.rows == (number,) else (number,)
            if client_dropped:
                found.dropped_with_client = True
            if row.issues and row.client_ok and not row.contact_ok:
                found.add_error_row(number)
            if record.is_main is True:
                found.main_row = number
            if record.external_id is not None:
                external_ids += 1
            continue
        rows.sort(key=lambda row: row.number)
        found.numbers = _numbers(rows)
        conflicting = conflicts.get(key)
        if conflicting:
            names = ", ".join(client.describe() for client in conflicting)
            for row in rows:
                assert row.contact is not None
                log.add("contact.client_conflict", row.number, Field.CONTACT_EMAIL, row.contact.email,
                        clients=names)
                found.add_error_row(row.number)
        elif client_dropped:
            found.dropped_with_client = True
        for row in rows:
            if row.issues and row.client_ok and not row.contact_ok:
                found.add_error_row(row.number)
        _merge_contact(log, found)
        if found.external_id is not None:
            external_ids += 1
    # In file order: each contact's first row is its own, so its row numbers sort it.
    resolution.contacts = sorted(by_key.values(), key=operator.attrgetter("numbers"))
    if external_ids > 1:  # a conflict takes two
        _check_file_external_ids(resolution)


def _merge_contact(log: RowIssues, contact: ContactEntity) -> None:
    """Merge the values of a contact of several rows (sorted), the last one winning."""
    email_field = Field.CONTACT_EMAIL
    rows = contact.rows
    first = rows[0].number
    values: dict[Field, FieldValue] = {}
    value_rows: dict[Field, int] = {}
    contact.merged, contact.value_rows = values, value_rows
    for row in rows:
        record = row.contact
        assert record is not None
        for field, value in record.values().items():
            previous = values.get(field)
            if previous == value:
                continue
            if previous is not None and not (
                field is email_field and normalize_email(str(previous)) == contact.key
            ):
                log.add("contact.value_overridden", row.number, field, _text(value), email=contact.email,
                        previous=_text(previous), previous_row=value_rows.get(field, first))
            values[field] = value
            if row.number != first:
                value_rows[field] = row.number
        if record.is_main is True:
            contact.main_row = row.number


def _check_file_external_ids(resolution: Resolution) -> None:
    emails_of: dict[str, list[ContactEntity]] = {}
    for contact in resolution.contacts:
        external_id = contact.external_id
        if external_id is not None:
            emails_of.setdefault(str(external_id), []).append(contact)
    for external_id, contacts in emails_of.items():
        if len(contacts) > 1:
            emails = ", ".join(contact.email for contact in contacts)
            for contact in contacts:
                _external_id_conflict(resolution, contact, external_id, emails)


def _external_id_conflict(resolution: Resolution, contact: ContactEntity, external_id: str,
                          emails: str) -> None:
    for row in contact.rows:
        assert row.contact is not None
        if row.contact.external_id == external_id:
            resolution.log.add("contact.external_id_conflict", row.number, Field.CONTACT_EXTERNAL_ID,
                               external_id, emails=emails)
            contact.add_error_row(row.number)


def contact_keys_to_find(resolution: Resolution) -> tuple[list[str], list[str]]:
    """The normalised emails and the external ids of the contacts that may be imported.

    Call it after :func:`resolve_clients`: contacts of dropped clients are
    not looked up.
    """
    emails: list[str] = []
    external_ids: dict[str, None] = {}
    for contact in resolution.contacts:
        if contact.error_rows or contact.dropped_with_client:  # contact.dropped
            continue
        emails.append(contact.key)
        external_id = contact.external_id
        if external_id is not None:
            external_ids[str(external_id)] = None
    return emails, list(external_ids)


def resolve_contacts(resolution: Resolution, stored: StoredContacts) -> None:
    """Attach stored contacts, report the conflicts with the store, and decide the main contacts."""
    log = resolution.log
    by_email, by_external_id = stored.by_email, stored.by_external_id
    for contact in resolution.contacts:  # one pass: each step below concerns this contact only
        if not contact.error_rows and not contact.dropped_with_client:  # not contact.dropped
            client_stored = contact.client.stored
            found = by_email.get(contact.key)
            if found is not None:
                if client_stored is not None and found.client_id == client_stored.id:
                    contact.stored = found
                else:
                    other = resolution.stored_by_id.get(found.client_id)
                    # The owner as the user knows it; never the store's id.
                    other_name: str | Text = (
                        ClientRef(other.external_id, other.name).describe() if other is not None
                        else Text("not in this file", "absent du fichier"))
                    for row in contact.rows:
                        log.add("contact.belongs_to_other_client", row.number, Field.CONTACT_EMAIL,
                                contact.email, other=other_name)
                        contact.add_error_row(row.number)
            if by_external_id is not None and (found is None or contact.stored is not None):
                external_id = contact.external_id
                if external_id is not None:
                    holder = by_external_id.get(str(external_id))
                    if holder is not None and normalize_email(holder.email) != contact.key:
                        _external_id_conflict(resolution, contact, str(external_id),
                                              f"{contact.email}, {holder.email}")
        error_rows = contact.error_rows  # read again: the checks above may have added some
        if error_rows:
            # A contact of a dropped client is already explained on its rows by the client's drop.
            if not contact.dropped_with_client:
                cause = min(error_rows)
                for row in contact.rows:
                    if row.number not in error_rows:
                        log.add("plan.dependency_dropped", row.number, None, None,
                                dependency=contact.email, dependency_row=cause)
        elif not contact.dropped_with_client:
            contact.client.contacts.append(contact)
    by_email_values = stored.by_email.values()

    # Only a demotion of a stored main contact absent from the file asks for it: made then, once.
    @functools.cache
    def emails_by_id() -> Mapping[Id, str]:
        return {c.id: c.email for c in by_email_values}

    for entity in resolution.entities:
        if entity.contacts and not entity.dropped:  # no contact, nothing to decide
            _decide_main_contact(resolution, entity, emails_by_id)


def _decide_main_contact(
    resolution: Resolution, entity: ClientEntity, emails_by_id: Callable[[], Mapping[Id, str]]
) -> None:
    """The last contact marked main wins; the others and the stored main are demoted."""
    marked = [c for c in entity.contacts if c.is_main]
    if not marked:
        return
    winner = marked[0] if len(marked) == 1 else max(marked, key=lambda c: c.main_row or 0)
    if len(marked) > 1:
        assert winner.main_row is not None
        resolution.log.add("contact.main_overridden", winner.main_row, Field.CONTACT_IS_MAIN, winner.email)
        for loser in marked:
            if loser is not winner:
                loser.values[Field.CONTACT_IS_MAIN] = False
                loser.modified = True
    current = None if entity.stored is None else entity.stored.main_contact_id
    if current is None or (winner.stored is not None and winner.stored.id == current):
        return
    assert winner.main_row is not None
    for contact in entity.contacts:
        if contact.stored is not None and contact.stored.id == current:
            contact.values[Field.CONTACT_IS_MAIN] = False
            contact.demoted = contact.modified = True
            return
    email = emails_by_id().get(current) or (
        None if entity.stored is None else entity.stored.main_contact_email)
    entity.demotions = [*entity.demotions, Demotion(entity, current, email, winner.main_row)]
