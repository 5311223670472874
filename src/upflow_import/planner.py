"""The planner: from parsed rows to an ordered plan of create / update operations.

:func:`plan` reads the repository (in batches, never one call per row), hands
what it read to the pure identity resolution (:mod:`upflow_import.resolution`),
diffs the merged values against the stored ones and lays out the operations
in dependency order: parents before subsidiaries, clients before their
contacts, the demotion of an old main contact before the promotion of the new
one. It never writes; :func:`~upflow_import.apply` does.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Literal, TypeVar

import attrs

from upflow_import._gc import paused_gc
from upflow_import._stages import format_calls, logger
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.issues import Issue
from upflow_import.model import (
    ClientRecord,
    ContactRecord,
    FieldValue,
    ParsedImport,
    ParsedRow,
    client_record_matches,
    contact_record_matches,
    fast_constructor,
    with_rows,
)
from upflow_import.repository import (
    Id,
    Repository,
    StoredClient,
    StoredContact,
    SupportsClientIds,
    SupportsContactExternalIds,
    SupportsReferenceListing,
    check_repository,
)
from upflow_import.resolution import (
    ClientEntity,
    ContactEntity,
    References,
    Resolution,
    StoredClients,
    StoredContacts,
    contact_keys_to_find,
    external_ids_to_find,
    index_rows,
    names_to_find,
    reference_values,
    resolve_clients,
    resolve_contacts,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Change",
    "CreateClient",
    "CreateContact",
    "EntityCounts",
    "OnError",
    "Operation",
    "Outcome",
    "Plan",
    "Progress",
    "RowPlan",
    "Target",
    "UpdateClient",
    "UpdateContact",
    "plan",
]

#: ``"skip"``: import the valid rows and report the others; ``"abort"``: any error, no operation.
OnError = Literal["skip", "abort"]
#: Called with ``(done, total)`` while a long step advances.
Progress = Callable[[int, int], None]
#: A field's value before and after an operation (``None``: not set).
Change = tuple[FieldValue | None, FieldValue | None]

#: Keys per repository lookup call.
DEFAULT_CHUNK_SIZE = 1000

_IS_MAIN, _EMAIL = Field.CONTACT_IS_MAIN, Field.CONTACT_EMAIL
_NAME, _EXTERNAL_ID = Field.CLIENT_NAME, Field.CLIENT_EXTERNAL_ID
# Field → its key as a plain str; a dict lookup is several times cheaper than Enum.value.
_KEYS: Mapping[Field, str] = {field: field.value for field in Field}
_DEMOTED = operator.attrgetter("demoted")


class Outcome(str, enum.Enum):
    """What happens to a row's client or contact."""

    CREATE = "create"
    UPDATE = "update"
    #: Found, and the file changes nothing of it: no operation.
    UNCHANGED = "unchanged"
    #: Not imported because of an error (its own, or one it depends on).
    DROPPED = "dropped"
    #: Planned but not written: the write failed or depended on one that did.
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class Target:
    """The client or contact an operation concerns: an ``id`` the store already
    has, or the one that operation number ``op`` of the plan creates."""

    id: Id | None = None
    op: int | None = None


_NO_CHANGES: Mapping[str, Change] = MappingProxyType({})


def _json_changes(changes: Mapping[str, Change]) -> dict[str, list[object]]:
    return {key: [list(old) if type(old) is tuple else old, list(new) if type(new) is tuple else new]
            for key, (old, new) in changes.items()}


@attrs.frozen(kw_only=True)
class Operation:
    """One write of the plan. Subclasses carry what the repository method needs."""

    #: The operation kind as the JSON report names it.
    op: ClassVar[str] = ""
    #: Its position in :attr:`Plan.operations`.
    index: int
    #: The client's external id (else its name), or the contact's email.
    key: str
    #: The file rows it comes from.
    rows: tuple[int, ...]
    #: Operations that must succeed first (an id it needs, or an order to keep).
    depends_on: tuple[int, ...] = ()

    @property
    def changes(self) -> Mapping[str, Change]:
        """``{field key: (old, new)}`` for every value it sets (computed on demand: a plan
        of a million rows would otherwise hold millions of small tuples nobody reads)."""
        raise NotImplementedError

    def describe(self) -> str:
        """How a message names what this operation writes."""
        return self.key

    def to_dict(self) -> dict[str, object]:
        """The operation as the JSON report shows it."""
        return {"op": self.op, "key": self.key, "rows": list(self.rows),
                "changes": _json_changes(self.changes)}


@attrs.frozen(kw_only=True)
class CreateClient(Operation):
    """``repository.create_client(record, parent_id)``."""

    op: ClassVar[str] = "create_client"
    record: ClientRecord
    parent: Target | None = None
    #: How the report shows the parent link (a group field of the parent's id or name).
    parent_change: Mapping[str, Change] = _NO_CHANGES

    @property
    def changes(self) -> Mapping[str, Change]:
        changes: dict[str, Change] = {_KEYS[f]: (None, value) for f, value in self.record.values().items()}
        changes.update(self.parent_change)
        return changes


@attrs.frozen(kw_only=True)
class UpdateClient(Operation):
    """``repository.update_client(client_id, ClientChanges(values, parent_id))``."""

    op: ClassVar[str] = "update_client"
    client_id: Id
    #: The new values of the changed fields only.
    values: Mapping[Field, FieldValue]
    #: The stored values they replace.
    old: Mapping[Field, FieldValue | None] = attrs.Factory(dict)
    #: The new parent, when the file changes it.
    parent: Target | None = None
    parent_change: Mapping[str, Change] = _NO_CHANGES

    @property
    def changes(self) -> Mapping[str, Change]:
        old = self.old
        changes: dict[str, Change] = {_KEYS[f]: (old.get(f), value) for f, value in self.values.items()}
        changes.update(self.parent_change)
        return changes


@attrs.frozen(kw_only=True)
class CreateContact(Operation):
    """``repository.create_contact(client_id, record)``."""

    op: ClassVar[str] = "create_contact"
    client: Target
    record: ContactRecord

    @property
    def changes(self) -> Mapping[str, Change]:
        return {_KEYS[field]: (None, value) for field, value in self.record.values().items()}


@attrs.frozen(kw_only=True)
class UpdateContact(Operation):
    """``repository.update_contact(contact_id, ContactChanges(values))``."""

    op: ClassVar[str] = "update_contact"
    contact_id: Id
    values: Mapping[Field, FieldValue]
    old: Mapping[Field, FieldValue | None] = attrs.Factory(dict)

    @property
    def changes(self) -> Mapping[str, Change]:
        old = self.old
        return {_KEYS[field]: (old.get(field), value) for field, value in self.values.items()}


@attrs.frozen(slots=True, weakref_slot=False)  # see model.fast_constructor
class RowPlan:
    """The accounting of one data row: its issues, the operations it feeds, and
    what happens to its client and to its contact (``None``: the row has none)."""

    number: int
    issues: tuple[Issue, ...]
    operations: tuple[int, ...]
    client: Outcome
    contact: Outcome | None

    @property
    def has_errors(self) -> bool:
        return any(issue.is_error for issue in self.issues)


class _RowPlanSlots:
    __slots__ = RowPlan.__slots__

    def __init__(self, number: object, issues: object, operations: object, client: object,
                 contact: object) -> None:
        self.number = number
        self.issues = issues
        self.operations = operations
        self.client = client
        self.contact = contact


_new_row_plan = fast_constructor(RowPlan, _RowPlanSlots)


@attrs.frozen
class EntityCounts:
    """How many clients (or contacts) are created, updated, unchanged and dropped."""

    create: int = 0
    update: int = 0
    unchanged: int = 0
    dropped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "unchanged": self.unchanged,
                "dropped": self.dropped}


@attrs.frozen
class Plan:
    """What an import will write, in order, and why: the output of :func:`plan`."""

    operations: tuple[Operation, ...]
    #: One entry per data row, in file order.
    rows: tuple[RowPlan, ...]
    #: Problems of the file or the mapping rather than of one row.
    file_issues: tuple[Issue, ...]
    clients: EntityCounts
    contacts: EntityCounts
    on_error: OnError = "skip"
    #: Repository read calls made, per method name.
    lookups: Mapping[str, int] = attrs.Factory(dict)

    @property
    def issues(self) -> tuple[Issue, ...]:
        """File issues, then every row's issues in row order."""
        return self.file_issues + tuple(issue for row in self.rows for issue in row.issues)

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not any(issue.is_error for issue in self.issues)

    @property
    def aborted(self) -> bool:
        """True when ``on_error="abort"`` discarded every operation because of an error."""
        return self.on_error == "abort" and not self.ok


# -- reading the repository ------------------------------------------------------------------------

_T = TypeVar("_T")


class _Reader:
    """Batched, counted reads: each lookup is asked in chunks of ``chunk_size`` keys."""

    def __init__(self, repository: Repository, chunk_size: int) -> None:
        self.repository = repository
        self.chunk_size = chunk_size
        self.calls: dict[str, int] = {}

    def _chunks(self, name: str, keys: Sequence[str]) -> Iterable[Sequence[str]]:
        for start in range(0, len(keys), self.chunk_size):
            self.calls[name] = self.calls.get(name, 0) + 1
            yield keys[start:start + self.chunk_size]

    def _all(self, name: str, method: Callable[[Sequence[str]], Iterable[_T]],
             keys: Sequence[str]) -> list[_T]:
        found: list[_T] = []
        for chunk in self._chunks(name, keys):
            found.extend(method(chunk))
        return found

    def all_ids(self, repository: SupportsClientIds, ids: Sequence[Id]) -> list[StoredClient]:
        found: list[StoredClient] = []
        for start in range(0, len(ids), self.chunk_size):
            self.calls["find_clients_by_ids"] = self.calls.get("find_clients_by_ids", 0) + 1
            found.extend(repository.find_clients_by_ids(ids[start:start + self.chunk_size]))
        return found

    def clients_by_external_ids(self, keys: Sequence[str]) -> dict[str, StoredClient]:
        wanted = set(keys)
        found = self._all("find_clients_by_external_ids", self.repository.find_clients_by_external_ids, keys)
        return {c.external_id: c for c in found if c.external_id is not None and c.external_id in wanted}

    def clients_by_names(self, keys: Sequence[str]) -> dict[str, list[StoredClient]]:
        wanted = set(keys)
        by_name: dict[str, list[StoredClient]] = {}
        for client in self._all("find_clients_by_names", self.repository.find_clients_by_names, keys):
            name_key = normalize_name(client.name)
            if name_key in wanted:
                by_name.setdefault(name_key, []).append(client)
        return by_name

    def contacts_by_emails(self, keys: Sequence[str]) -> dict[str, StoredContact]:
        found = self._all("find_contacts_by_emails", self.repository.find_contacts_by_emails, keys)
        return {normalize_email(contact.email): contact for contact in found}

    def contacts_by_external_ids(self, keys: Sequence[str]) -> dict[str, StoredContact] | None:
        repository = self.repository
        if not isinstance(repository, SupportsContactExternalIds):
            return None
        found = self._all("find_contacts_by_external_ids", repository.find_contacts_by_external_ids, keys)
        by_id: dict[str, StoredContact] = {}
        for contact in found:
            external_id = contact.values.get(Field.CONTACT_EXTERNAL_ID)
            if external_id is not None:
                by_id[str(external_id)] = contact
        return by_id

    def known(self, name: str, method: Callable[[Sequence[str]], Collection[str] | None],
              keys: Sequence[str]) -> set[str] | None:
        known: set[str] = set()
        for chunk in self._chunks(name, keys):
            subset = method(chunk)
            if subset is None:
                return None
            known.update(subset)
        return known


def _references(reader: _Reader, managers: Sequence[str], plans: Sequence[str]) -> References:
    repository = reader.repository
    known_managers = (reader.known("known_account_managers", repository.known_account_managers, managers)
                      if managers else None)
    known_plans = (reader.known("known_dunning_plans", repository.known_dunning_plans, plans)
                   if plans else None)
    all_managers: Sequence[str] = ()
    all_plans: Sequence[str] = ()
    if isinstance(repository, SupportsReferenceListing):
        # Only asked when something is unknown: the full lists serve the "did you mean" hints.
        if known_managers is not None and len(known_managers) < len(managers):
            all_managers = list(repository.all_account_managers())
        if known_plans is not None and len(known_plans) < len(plans):
            all_plans = list(repository.all_dunning_plans())
    return References(known_managers, known_plans, all_managers, all_plans)


# -- building operations ---------------------------------------------------------------------------


class _Builder:
    """Turns a resolution into operations and per-row outcomes."""

    def __init__(self, resolution: Resolution) -> None:
        self.resolution = resolution
        self.operations: list[Operation] = []
        # id(client entity) → the target of its create operation, shared by everything that needs it.
        self.created: dict[int, Target] = {}
        self.demotions = 0

    def build(self) -> None:
        dropped = Outcome.DROPPED
        kept: list[ClientEntity] = []
        for entity in self.resolution.entities:
            entity.outcome = outcome = self._client(entity)
            if outcome is not dropped:  # _client drops exactly the dropped entities
                kept.append(entity)
        for entity in kept:
            self._contacts(entity)
        for contact in self.resolution.contacts:
            if contact.error_rows or contact.dropped_with_client:  # contact.dropped
                contact.outcome = dropped

    # clients -------------------------------------------------------------------------------------

    def _parent(self, entity: ClientEntity) -> tuple[Target | None, Mapping[str, Change]]:
        parent: ClientEntity | StoredClient | None = entity.parent_entity or entity.parent_stored
        if parent is None:
            return None, _NO_CHANGES
        if isinstance(parent, ClientEntity):
            target = (Target(id=parent.stored.id) if parent.stored is not None
                      else self.created[id(parent)])
            external_id, name = parent.external_id, parent.name
        else:
            target = Target(id=parent.id)
            external_id, name = parent.external_id, parent.name
        stored = entity.stored
        if stored is not None and target.id is not None and target.id == stored.parent_id:
            return None, _NO_CHANGES
        field = Field.GROUP_EXTERNAL_ID if external_id is not None else Field.GROUP_NAME
        new = external_id if external_id is not None else name
        old: str | None = None
        if stored is not None and stored.parent_id is not None:
            previous = self.resolution.stored_by_id.get(stored.parent_id)
            # The former parent as the user knows it: its external id, else its name (a
            # repository that cannot read clients by store id leaves it unknown: "?").
            old = "?" if previous is None else previous.external_id or previous.name
        return target, {field.value: (old, new)}

    def _client(self, entity: ClientEntity) -> Outcome:
        if entity.dropped:
            return Outcome.DROPPED
        parent: Target | None
        parent_change: Mapping[str, Change]
        if entity.parent_entity is None and entity.parent_stored is None:  # no parent: no call
            parent, parent_change = None, _NO_CHANGES
        else:
            parent, parent_change = self._parent(entity)
        depends_on = () if parent is None or parent.op is None else (parent.op,)
        key = entity.external_id or entity.name or "?"
        stored = entity.stored
        if stored is None:
            rows = entity.rows
            first = rows[0].client
            assert first is not None
            record: ClientRecord
            if len(rows) == 1:
                # One row per client is the usual case: its parsed record is the one to create.
                record = first
            elif entity.uniform:
                # Rows that all say the same: the first one's record, under every row.
                record = with_rows(first, entity.numbers, entity.parent_ref)
            else:
                record = ClientRecord.from_values(entity.numbers, entity.values, entity.parent_ref)
            index = self._add(CreateClient(
                index=len(self.operations), key=key, rows=entity.numbers, depends_on=depends_on,
                record=record, parent=parent, parent_change=parent_change or _NO_CHANGES,
            ))
            self.created[id(entity)] = Target(op=index)
            return Outcome.CREATE
        stored_values = stored.values
        source = entity.source
        if entity.merged is None and source is not None and not parent_change and _client_as_stored(
                source, entity.source_by_name_only, stored):
            return Outcome.UNCHANGED  # the usual re-import, checked on the record: no dictionary made
        merged = entity.current_values()
        if not parent_change and merged.items() <= stored_values.items() and (
                _NAME not in merged or merged[_NAME] == stored.name) and (
                _EXTERNAL_ID not in merged or merged[_EXTERNAL_ID] == stored.external_id):
            return Outcome.UNCHANGED  # the usual re-import: every value as stored, one comparison
        values: dict[Field, FieldValue] = {}
        old: dict[Field, FieldValue | None] = {}
        for field, value in merged.items():
            before = (stored.name if field is _NAME else stored.external_id if field is _EXTERNAL_ID
                      else stored_values.get(field))
            if before != value:
                values[field], old[field] = value, before
        if not values and not parent_change:
            return Outcome.UNCHANGED
        self._add(UpdateClient(
            index=len(self.operations), key=key, rows=entity.numbers, depends_on=depends_on,
            client_id=stored.id, values=values, old=old, parent=parent,
            parent_change=parent_change or _NO_CHANGES,
        ))
        return Outcome.UPDATE

    def _add(self, operation: Operation) -> int:
        self.operations.append(operation)
        return operation.index

    # contacts ------------------------------------------------------------------------------------

    def _contacts(self, entity: ClientEntity) -> None:
        stored = entity.stored
        # A stored client's target is made when one of its contacts is created (most are not).
        client = None if stored is not None else self.created[id(entity)]
        demotions: list[int] = []
        for demotion in entity.demotions:
            demotions.append(self._add(UpdateContact(
                # Named by its email; a store that cannot tell it leaves it unnamed rather than
                # show its own id.
                index=len(self.operations), key=demotion.email or "?",
                rows=(demotion.row,), contact_id=demotion.contact_id,
                values={_IS_MAIN: False}, old={_IS_MAIN: True},
            )))
            self.demotions += 1
        contacts = entity.contacts
        # A contact is demoted for another one of the client: never the only one.
        if demotions or (len(contacts) > 1 and True in map(_DEMOTED, contacts)):
            # Demotions first, so that the promotion can wait for them.
            contacts = sorted(contacts, key=lambda c: not c.demoted)
        # Every contact of a new client waits for it: one shared tuple rather than one each.
        on_client = () if client is None or client.op is None else (client.op,)
        for contact in contacts:
            if client is None and contact.stored is None:
                assert stored is not None
                client = Target(id=stored.id)
            promotes = demotions and contact.is_main and not contact.stored_is_main
            outcome, index = self._contact(contact, client, on_client, tuple(demotions) if promotes else ())
            contact.outcome = outcome
            if contact.demoted and index is not None:
                demotions.append(index)

    def _contact(self, contact: ContactEntity, client: Target | None, on_client: tuple[int, ...],
                 after: tuple[int, ...]) -> tuple[Outcome, int | None]:
        stored = contact.stored
        if stored is None:
            assert client is not None
            rows = contact.rows
            single = rows[0].contact if len(rows) == 1 and not contact.modified else None
            record = single or ContactRecord.from_values(contact.numbers, contact.values)
            index = self._add(CreateContact(
                index=len(self.operations), key=contact.email, rows=contact.numbers,
                depends_on=(*on_client, *after) if after else on_client, client=client, record=record,
            ))
            return Outcome.CREATE, index
        stored_values = stored.values
        merged = contact.merged
        if merged is None:
            # One row, as parsed: its record is compared field by field, no dictionary made.
            row_record = contact.rows[0].contact
            assert row_record is not None
            if _contact_as_stored(row_record, stored_values) and (
                    row_record.is_main is None or row_record.is_main == contact.stored_is_main):
                return Outcome.UNCHANGED, None
            merged = row_record.values()
        elif merged.items() <= stored_values.items() and (
                _IS_MAIN not in merged or merged[_IS_MAIN] == contact.stored_is_main):
            return Outcome.UNCHANGED, None  # every value as stored, one comparison
        values: dict[Field, FieldValue] = {}
        old: dict[Field, FieldValue | None] = {}
        for field, value in merged.items():
            if field is _IS_MAIN:
                before: FieldValue | None = contact.stored_is_main
            elif field is _EMAIL:
                # Found by its normalised email: the two spellings differ at most in case, not a change.
                continue
            else:
                before = stored_values.get(field)
            if before != value:
                values[field], old[field] = value, before
        if not values:
            return Outcome.UNCHANGED, None
        index = self._add(UpdateContact(
            index=len(self.operations), key=contact.email, rows=contact.numbers, depends_on=after,
            contact_id=stored.id, values=values, old=old,
        ))
        return Outcome.UPDATE, index


def _client_as_stored(record: ClientRecord, by_name_only: bool, stored: StoredClient) -> bool:
    """What :meth:`_Builder._client` asks of ``ClientEntity.current_values()`` (the record's values,
    without the name when ``by_name_only``), read from the record itself."""
    external_id, name = record.external_id, record.name
    return ((external_id is None or external_id == stored.external_id)
            and (by_name_only or name is None or name == stored.name)
            and client_record_matches(record, stored.values, without_name=by_name_only))


def _contact_as_stored(record: ContactRecord, stored: Mapping[Field, FieldValue]) -> bool:
    """Every value ``record`` fills in is the stored one: ``record.values().items() <= stored.items()``."""
    return contact_record_matches(record, stored)


# -- accounting ------------------------------------------------------------------------------------


def _count(outcomes: Iterable[Outcome], extra_dropped: int = 0, extra_updates: int = 0) -> EntityCounts:
    tally = dict.fromkeys(Outcome, 0)
    for outcome in outcomes:
        tally[outcome] += 1
    return EntityCounts(tally[Outcome.CREATE], tally[Outcome.UPDATE] + extra_updates,
                        tally[Outcome.UNCHANGED], tally[Outcome.DROPPED] + extra_dropped)


def _unattached_contacts(rows: Iterable[ParsedRow]) -> int:
    """Contacts on rows that reach no client: each email once, each email-less contact once."""
    keys: set[str] = set()
    without_email = 0
    for row in rows:
        if row.contact is None:
            continue
        key = row.contact.key
        if key is None:
            without_email += 1
        else:
            keys.add(key)
    return len(keys) + without_email


def _account(parsed: ParsedImport, resolution: Resolution, builder: _Builder,
             operations: Sequence[Operation], aborted: bool) -> tuple[tuple[RowPlan, ...], EntityCounts,
                                                                     EntityCounts]:
    client_of_row: dict[int, Outcome] = {}
    for entity in resolution.entities:
        outcome = entity.outcome or Outcome.DROPPED  # every entity has one once built
        for number in entity.numbers:
            client_of_row[number] = outcome
    contact_of_row = {row.number: Outcome.DROPPED for row in resolution.contacts_without_email}
    for contact in resolution.contacts:
        outcome = contact.outcome or Outcome.DROPPED
        for number in contact.numbers:
            contact_of_row[number] = outcome
    # Tuples from the start: most rows feed one or two operations, and the row plan keeps them.
    operations_of_row: dict[int, tuple[int, ...]] = {}
    for operation in operations:
        index = operation.index
        for number in operation.rows:
            found = operations_of_row.get(number)
            operations_of_row[number] = (index,) if found is None else (*found, index)

    def final(outcome: Outcome) -> Outcome:
        return Outcome.DROPPED if aborted and outcome in (Outcome.CREATE, Outcome.UPDATE) else outcome

    log = resolution.log
    added = log.added()
    dropped = Outcome.DROPPED
    plans: list[RowPlan] = []
    for row in resolution.index.rows:  # the rows made once from the parsed file
        number = row.number
        indexes = operations_of_row.get(number)
        client_outcome = client_of_row.get(number, dropped)
        contact_outcome = None if row.contact is None else contact_of_row.get(number, dropped)
        if aborted:
            client_outcome = final(client_outcome)
            contact_outcome = None if contact_outcome is None else final(contact_outcome)
        plans.append(_new_row_plan(number, log.of(number) if number in added else row.issues,
                             indexes or (), client_outcome, contact_outcome))
    rows = tuple(plans)
    unattached = [row for group in resolution.ambiguous for row in group] + resolution.index.orphans
    clients = _count((final(e.outcome or Outcome.DROPPED) for e in resolution.entities),
                     extra_dropped=len(resolution.ambiguous) + len(resolution.index.orphans))
    contact_outcomes = [final(c.outcome or Outcome.DROPPED)
                        for c in resolution.contacts]
    demotions = builder.demotions
    contacts = _count(
        contact_outcomes,
        extra_dropped=len(resolution.contacts_without_email) + _unattached_contacts(unattached)
        + (demotions if aborted else 0),
        extra_updates=0 if aborted else demotions,
    )
    return rows, clients, contacts


def _unusable_file_plan(parsed: ParsedImport, on_error: OnError) -> Plan:
    rows = tuple(
        RowPlan(row.number, row.issues, (), Outcome.DROPPED, None if row.contact is None else Outcome.DROPPED)
        for row in parsed.rows
    )
    clients = EntityCounts(dropped=len(parsed.rows))
    contacts = EntityCounts(dropped=_unattached_contacts(parsed.rows))
    return Plan((), rows, parsed.file_issues, clients, contacts, on_error, {})


# -- the entry point -------------------------------------------------------------------------------


def _read_named_clients(reader: _Reader, resolution: Resolution, contacts: Iterable[StoredContact]) -> None:
    """Read the stored clients that reports name but the file does not: the former parents of
    the file's clients, and the clients the file's contacts already belong to. Reports name
    them by external id or name, never by the store's id."""
    repository = reader.repository
    if not isinstance(repository, SupportsClientIds):
        return
    known = resolution.stored_by_id
    wanted: dict[Id, None] = {}
    for entity in resolution.entities:
        stored = entity.stored
        if stored is not None and stored.parent_id is not None and stored.parent_id not in known:
            wanted[stored.parent_id] = None
    for contact in contacts:
        if contact.client_id not in known:
            wanted[contact.client_id] = None
    if wanted:
        for client in reader.all_ids(repository, list(wanted)):
            known.setdefault(client.id, client)


def plan(
    parsed: ParsedImport,
    repository: Repository,
    *,
    on_error: OnError = "skip",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> Plan:
    """Plan the import of ``parsed`` into ``repository``, reading it but never writing.

    The repository is read in batches of at most ``chunk_size`` keys per call
    (clients by external ids, clients by names, contacts by emails, contacts
    by external ids when the repository offers it, known account managers,
    known dunning plans): the number of calls grows with the number of
    distinct keys divided by ``chunk_size``, never with one call per row.

    With ``on_error="abort"``, any error in the file means no operation at
    all; with ``"skip"`` (the default) the valid clients and contacts are
    planned and the others reported. ``progress(done, total)`` is called as
    the rows are processed.

    >>> from upflow_import import InMemoryRepository
    >>> from upflow_import.testing import parsed_import
    >>> result = plan(parsed_import([{"client.name": "Acme"}]), InMemoryRepository())
    >>> [(op.op, op.key) for op in result.operations]
    [('create_client', 'Acme')]
    """
    check_repository(repository)
    if on_error not in ("skip", "abort"):
        raise ValueError(f"on_error must be 'skip' or 'abort', not {on_error!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    total = len(parsed.rows)
    if parsed.has_file_errors:
        if progress is not None:
            progress(total, total)
        return _unusable_file_plan(parsed, on_error)

    with paused_gc():
        planned = _plan(parsed, repository, on_error, chunk_size, progress)
    logger.debug("plan: %d rows, %d operations; repository calls: %s", total, len(planned.operations),
                 format_calls(planned.lookups))
    return planned


def _plan(parsed: ParsedImport, repository: Repository, on_error: OnError, chunk_size: int,
          progress: Progress | None) -> Plan:
    total = len(parsed.rows)

    def advance(share: float) -> None:
        # The phases below take comparable time: each reports its share of the rows.
        if progress is not None:
            progress(int(total * share), total)

    reader = _Reader(repository, chunk_size)
    index = index_rows(parsed, None if progress is None else lambda done: advance(done / total / 4))
    by_external_id = reader.clients_by_external_ids(external_ids_to_find(index))
    managers, plans = reference_values(index)
    references = _references(reader, managers, plans)
    by_name = reader.clients_by_names(names_to_find(index, by_external_id))
    resolution = resolve_clients(index, StoredClients(by_external_id, by_name), references)
    advance(0.5)
    emails, contact_ids = contact_keys_to_find(resolution)
    by_email = reader.contacts_by_emails(emails)
    by_contact_id = reader.contacts_by_external_ids(contact_ids) if contact_ids else (
        None if not isinstance(repository, SupportsContactExternalIds) else {})
    _read_named_clients(reader, resolution, by_email.values())
    resolve_contacts(resolution, StoredContacts(by_email, by_contact_id))
    advance(0.6)

    builder = _Builder(resolution)
    builder.build()
    advance(0.85)
    has_errors = parsed.has_file_errors or resolution.log.any_error()
    aborted = on_error == "abort" and has_errors
    operations: tuple[Operation, ...] = () if aborted else tuple(builder.operations)
    rows, clients, contacts = _account(parsed, resolution, builder, operations, aborted)
    resolution.release()
    advance(1.0)
    return Plan(operations, rows, parsed.file_issues, clients, contacts, on_error, dict(reader.calls))
