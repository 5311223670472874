"""Operations from a resolution: what to create and update, in dependency order, and what
happens to each client and contact (parents before subsidiaries, clients before their
contacts, the demotion of an old main contact before the promotion of the new one)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import NamedTuple

from upflow_import.fields import Field
from upflow_import.model import (
    ClientRecord,
    ContactRecord,
    FieldValue,
    with_rows,
)
from upflow_import.planning.entities import ClientEntity, ContactEntity, Resolution
from upflow_import.planning.types import (
    NO_CHANGES,
    Change,
    CreateClient,
    CreateContact,
    Operation,
    Outcome,
    Target,
    UpdateClient,
    UpdateContact,
)
from upflow_import.repository import StoredClient

__all__ = ["Builder"]

_IS_MAIN, _EMAIL = Field.CONTACT_IS_MAIN, Field.CONTACT_EMAIL
_NAME, _EXTERNAL_ID = Field.CLIENT_NAME, Field.CLIENT_EXTERNAL_ID
_DEMOTED = operator.attrgetter("demoted")


class ParentLink(NamedTuple):
    """The parent an operation sets (``None``: none, or the stored one), and how the report shows it."""

    target: Target | None
    change: Mapping[str, Change]


_NO_PARENT = ParentLink(None, NO_CHANGES)


class ContactOutcome(NamedTuple):
    """What happens to a contact, and the operation that does it (``None``: none)."""

    outcome: Outcome
    operation: int | None


class Builder:
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

    def _parent(self, entity: ClientEntity) -> ParentLink:
        parent: ClientEntity | StoredClient | None = entity.parent_entity or entity.parent_stored
        if parent is None:
            return _NO_PARENT
        if isinstance(parent, ClientEntity):
            target = (Target(id=parent.stored.id) if parent.stored is not None
                      else self.created[id(parent)])
            external_id, name = parent.external_id, parent.name
        else:
            target = Target(id=parent.id)
            external_id, name = parent.external_id, parent.name
        stored = entity.stored
        if stored is not None and target.id is not None and target.id == stored.parent_id:
            return _NO_PARENT
        field = Field.GROUP_EXTERNAL_ID if external_id is not None else Field.GROUP_NAME
        new = external_id if external_id is not None else name
        old: str | None = None
        if stored is not None and stored.parent_id is not None:
            previous = self.resolution.stored_by_id.get(stored.parent_id)
            # The former parent as the user knows it: its external id, else its name (a
            # repository that cannot read clients by store id leaves it unknown: "?").
            old = "?" if previous is None else previous.external_id or previous.name
        return ParentLink(target, {field.value: (old, new)})

    def _client(self, entity: ClientEntity) -> Outcome:
        if entity.dropped:
            return Outcome.DROPPED
        # No parent: no call.
        link = _NO_PARENT if entity.parent_entity is None and entity.parent_stored is None else self._parent(
            entity)
        if entity.stored is None:
            return self._create_client(entity, link)
        return self._update_client(entity, entity.stored, link)

    def _create_client(self, entity: ClientEntity, link: ParentLink) -> Outcome:
        parent = link.target
        index = self._add(CreateClient(
            index=len(self.operations), key=entity.external_id or entity.name or "?", rows=entity.numbers,
            depends_on=() if parent is None or parent.op is None else (parent.op,),
            record=_record_to_create(entity), parent=parent, parent_change=link.change or NO_CHANGES,
        ))
        self.created[id(entity)] = Target(op=index)
        return Outcome.CREATE

    def _update_client(self, entity: ClientEntity, stored: StoredClient, link: ParentLink) -> Outcome:
        parent, parent_change = link
        stored_values = stored.values
        source = entity.source
        if entity.merged is None and source is not None and not parent_change and entity.file.client_matches(
                source, stored_values, without_name=entity.source_by_name_only):
            return Outcome.UNCHANGED  # the usual re-import, checked on the columns: no record made
        merged = entity.current_values()
        if not parent_change and merged.items() <= stored_values.items():
            return Outcome.UNCHANGED  # the usual re-import: every value as stored, one comparison
        values: dict[Field, FieldValue] = {}
        old: dict[Field, FieldValue | None] = {}
        for field, value in merged.items():
            before = stored_values.get(field)
            if before != value:
                values[field], old[field] = value, before
        if not values and not parent_change:
            return Outcome.UNCHANGED
        self._add(UpdateClient(
            index=len(self.operations), key=entity.external_id or entity.name or "?", rows=entity.numbers,
            depends_on=() if parent is None or parent.op is None else (parent.op,),
            client_id=stored.id, values=values, old=old, parent=parent,
            parent_change=parent_change or NO_CHANGES,
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
            written = self._contact(contact, client, on_client, tuple(demotions) if promotes else ())
            contact.outcome = written.outcome
            if contact.demoted and written.operation is not None:
                demotions.append(written.operation)

    def _contact(self, contact: ContactEntity, client: Target | None, on_client: tuple[int, ...],
                 after: tuple[int, ...]) -> ContactOutcome:
        stored = contact.stored
        if stored is None:
            assert client is not None
            index = self._add(CreateContact(
                index=len(self.operations), key=contact.email, rows=contact.numbers,
                depends_on=(*on_client, *after) if after else on_client, client=client,
                record=_contact_to_create(contact),
            ))
            return ContactOutcome(Outcome.CREATE, index)
        changes = _contact_changes(contact, stored.values)
        if changes is None:
            return ContactOutcome(Outcome.UNCHANGED, None)
        index = self._add(UpdateContact(
            index=len(self.operations), key=contact.email, rows=contact.numbers, depends_on=after,
            contact_id=stored.id, values=changes.values, old=changes.old,
        ))
        return ContactOutcome(Outcome.UPDATE, index)


class Changes(NamedTuple):
    """The values an update writes, and the stored values they replace."""

    values: dict[Field, FieldValue]
    old: dict[Field, FieldValue | None]


def _contact_changes(contact: ContactEntity, stored_values: Mapping[Field, FieldValue]) -> Changes | None:
    """What the contact changes in its stored counterpart (``None``: nothing)."""
    merged = contact.merged
    if merged is None:
        # One row, as parsed: compared on the columns, no record made.
        position = contact.first
        file = contact.client.file
        is_main = file.is_main[position]
        if file.contact_matches(position, stored_values) and (
                is_main is None or is_main == contact.stored_is_main):
            return None
        merged = file.contact_values(position)
    elif merged.items() <= stored_values.items() and (
            _IS_MAIN not in merged or merged[_IS_MAIN] == contact.stored_is_main):
        return None  # every value as stored, one comparison
    changes = Changes({}, {})
    for field, value in merged.items():
        if field is _IS_MAIN:
            before: FieldValue | None = contact.stored_is_main
        elif field is _EMAIL:
            # Found by its normalised email: the two spellings differ at most in case, not a change.
            continue
        else:
            before = stored_values.get(field)
        if before != value:
            changes.values[field], changes.old[field] = value, before
    return changes if changes.values else None


def _contact_to_create(contact: ContactEntity) -> ContactRecord:
    """The record of a new contact: its one row's, else one made of the merged values."""
    if not isinstance(contact.held_rows, list) and not contact.modified:
        return contact.client.file.contact(contact.held_rows)
    return ContactRecord.from_values(contact.numbers, contact.values)


def _record_to_create(entity: ClientEntity) -> ClientRecord:
    """The record of a new client: its one row's, else the first row's when every row says the
    same, else one made of the merged values."""
    positions = entity.positions
    first = entity.file.client(positions[0])
    if len(positions) == 1:
        return first  # one row per client is the usual case: its parsed record is the one to create
    if entity.uniform:  # under every row
        return with_rows(first, entity.numbers, entity.parent_ref)
    return ClientRecord.from_values(entity.numbers, entity.values, entity.parent_ref)
