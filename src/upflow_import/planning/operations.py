"""Operations from a resolution: what to create and update, in dependency order, and what
happens to each client and contact (parents before subsidiaries, clients before their
contacts, the demotion of an old main contact before the promotion of the new one)."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import NamedTuple

from upflow_import.fields import Field
from upflow_import.model import ClientRecord, ContactRecord, FieldValue, new_client_record
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

__all__ = ["Builder", "client_as_stored", "contact_as_stored"]

_IS_MAIN, _EMAIL = Field.CONTACT_IS_MAIN, Field.CONTACT_EMAIL
_NAME, _EXTERNAL_ID = Field.CLIENT_NAME, Field.CLIENT_EXTERNAL_ID
_FIRST_NAME, _LAST_NAME, _PHONE = Field.CONTACT_FIRST_NAME, Field.CONTACT_LAST_NAME, Field.CONTACT_PHONE
_CONTACT_EXTERNAL_ID, _POSITION = Field.CONTACT_EXTERNAL_ID, Field.CONTACT_POSITION
_ACCOUNTING_CODE, _VAT_NUMBER = Field.CLIENT_ACCOUNTING_CODE, Field.CLIENT_VAT_NUMBER
_ADDRESS = Field.CLIENT_ADDRESS
_POSTAL_CODE, _CITY, _STATE, _COUNTRY = (Field.CLIENT_POSTAL_CODE, Field.CLIENT_CITY, Field.CLIENT_STATE,
                                         Field.CLIENT_COUNTRY)
_MANAGERS, _DUNNING_PLAN = Field.CLIENT_ACCOUNT_MANAGER_EMAIL, Field.CLIENT_DUNNING_PLAN
_PAYMENT_TERM = Field.CLIENT_PAYMENT_TERM_DAYS
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
        parent, parent_change = link.target, link.change
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
                record = new_client_record(
                    entity.numbers, first.external_id, first.name, first.accounting_code, first.vat_number,
                    first.address, first.account_manager_emails, first.dunning_plan, first.payment_term_days,
                    entity.parent_ref)
            else:
                record = ClientRecord.from_values(entity.numbers, entity.values, entity.parent_ref)
            index = self._add(CreateClient(
                index=len(self.operations), key=key, rows=entity.numbers, depends_on=depends_on,
                record=record, parent=parent, parent_change=parent_change or NO_CHANGES,
            ))
            self.created[id(entity)] = Target(op=index)
            return Outcome.CREATE
        stored_values = stored.values
        source = entity.source
        if entity.merged is None and source is not None and not parent_change and client_as_stored(
                source, entity.source_by_name_only, stored):
            return Outcome.UNCHANGED  # the usual re-import, checked on the record: no dictionary made
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
            index=len(self.operations), key=key, rows=entity.numbers, depends_on=depends_on,
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
            rows = contact.rows
            single = rows[0].contact if len(rows) == 1 and not contact.modified else None
            record = single or ContactRecord.from_values(contact.numbers, contact.values)
            index = self._add(CreateContact(
                index=len(self.operations), key=contact.email, rows=contact.numbers,
                depends_on=(*on_client, *after) if after else on_client, client=client, record=record,
            ))
            return ContactOutcome(Outcome.CREATE, index)
        stored_values = stored.values
        merged = contact.merged
        if merged is None:
            # One row, as parsed: its record is compared field by field, no dictionary made.
            row_record = contact.rows[0].contact
            assert row_record is not None
            if contact_as_stored(row_record, stored_values) and (
                    row_record.is_main is None or row_record.is_main == contact.stored_is_main):
                return ContactOutcome(Outcome.UNCHANGED, None)
            merged = row_record.values()
        elif merged.items() <= stored_values.items() and (
                _IS_MAIN not in merged or merged[_IS_MAIN] == contact.stored_is_main):
            return ContactOutcome(Outcome.UNCHANGED, None)  # every value as stored, one comparison
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
            return ContactOutcome(Outcome.UNCHANGED, None)
        index = self._add(UpdateContact(
            index=len(self.operations), key=contact.email, rows=contact.numbers, depends_on=after,
            contact_id=stored.id, values=values, old=old,
        ))
        return ContactOutcome(Outcome.UPDATE, index)


def client_as_stored(record: ClientRecord, by_name_only: bool, stored: StoredClient) -> bool:
    """What :meth:`Builder._client` asks of ``ClientEntity.current_values()`` (the record's values,
    without the name when ``by_name_only``), read from the record itself."""
    get = stored.values.get
    a = record.address
    external_id, name, managers = record.external_id, record.name, record.account_manager_emails
    return ((external_id is None or get(_EXTERNAL_ID) == external_id)
            and (by_name_only or name is None or get(_NAME) == name)
            and (record.accounting_code is None or get(_ACCOUNTING_CODE) == record.accounting_code)
            and (record.vat_number is None or get(_VAT_NUMBER) == record.vat_number)
            and (a.street is None or get(_ADDRESS) == a.street)
            and (a.postal_code is None or get(_POSTAL_CODE) == a.postal_code)
            and (a.city is None or get(_CITY) == a.city)
            and (a.state is None or get(_STATE) == a.state)
            and (a.country is None or get(_COUNTRY) == a.country)
            and (not managers or get(_MANAGERS) == managers)
            and (record.dunning_plan is None or get(_DUNNING_PLAN) == record.dunning_plan)
            and (record.payment_term_days is None or get(_PAYMENT_TERM) == record.payment_term_days))


def contact_as_stored(record: ContactRecord, stored: Mapping[Field, FieldValue]) -> bool:
    """Every value ``record`` fills in is the stored one: ``record.values().items() <= stored.items()``."""
    get = stored.get
    position = record.position
    return ((record.email is None or get(_EMAIL) == record.email)
            and (record.first_name is None or get(_FIRST_NAME) == record.first_name)
            and (record.last_name is None or get(_LAST_NAME) == record.last_name)
            and (record.phone is None or get(_PHONE) == record.phone)
            and (record.external_id is None or get(_CONTACT_EXTERNAL_ID) == record.external_id)
            and (position is None or get(_POSITION) == position._value_)
            and (record.is_main is None or get(_IS_MAIN) == record.is_main))
