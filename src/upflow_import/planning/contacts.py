"""Contacts: grouped by normalised email, checked, merged, matched to the stored ones, and each
client's main contact decided."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from typing import NamedTuple

from upflow_import.fields import Field
from upflow_import.identity import normalize_email
from upflow_import.issues import Text
from upflow_import.model import ClientRef, FieldValue
from upflow_import.planning.entities import (
    ClientEntity,
    ContactEntity,
    Demotion,
    Resolution,
    StoredContacts,
    row_numbers,
)
from upflow_import.planning.file_rows import client_ok, contact_ok
from upflow_import.planning.issue_log import RowIssues, value_text
from upflow_import.repository import Id

__all__ = ["ContactKeys", "build_contacts", "contact_keys_to_find", "resolve_contacts"]

class _GroupedContacts(NamedTuple):
    """The file's contacts by normalised email, and the emails given under several clients."""

    by_key: dict[str, ContactEntity]
    #: Email → every client it is given under, in order of appearance.
    conflicts: dict[str, list[ClientEntity]]


def build_contacts(resolution: Resolution) -> None:
    """Group every contact part by normalised email, and report the file-level conflicts."""
    grouped = _group_contacts(resolution)
    # One pass per contact: its row numbers, conflicts, drops and merge. Each row belongs to one
    # contact, so every row's issues come in the order the separate steps gave them.
    external_ids = 0
    for key, found in grouped.by_key.items():
        client = found.client
        client_dropped = bool(client.error_rows) or client.dropped_by is not None
        if not isinstance(found.held_rows, list):
            _settle_single_row(found, client_dropped)
        else:
            _settle_rows(resolution.log, found, grouped.conflicts.get(key), client_dropped)
        if found.external_id is not None:
            external_ids += 1
    # In file order: each contact's first row is its own, so its row numbers sort it.
    resolution.contacts = sorted(grouped.by_key.values(), key=operator.attrgetter("numbers"))
    if external_ids > 1:  # a conflict takes two
        _check_file_external_ids(resolution)


def _group_contacts(resolution: Resolution) -> _GroupedContacts:
    """Every contact part of the kept rows by normalised email; a part without one is reported."""
    log = resolution.log
    grouped = _GroupedContacts({}, {})
    by_key, conflicts = grouped.by_key, grouped.conflicts
    email_fields = (Field.CONTACT_EMAIL,)
    without_email = resolution.contacts_without_email
    file = resolution.index.rows
    with_contact, emails, numbers = file.with_contact, file.emails, file.numbers
    for entity in resolution.entities:
        for position in entity.positions:
            if position not in with_contact:
                continue
            email = emails[position]
            if email is None:
                number = numbers[position]
                if not log.has_error_on(number, email_fields, ("contact.email_required",)):
                    log.add("contact.email_required", number, Field.CONTACT_EMAIL)
                without_email.append(position)
                continue
            key = normalize_email(email)  # ContactRecord.key, from the column
            found = by_key.get(key)
            if found is None:
                by_key[key] = ContactEntity(key, entity, position, position)
                continue
            found.add_row(position)
            if found.client is not entity:
                clients = conflicts.setdefault(key, [found.client])
                if entity not in clients:
                    clients.append(entity)
    return grouped


def _settle_single_row(found: ContactEntity, client_dropped: bool) -> None:
    """The usual case: one row, no conflict (that takes two rows), values read from the row
    when asked (see ContactEntity.values)."""
    file, position = found.client.file, found.first
    number = file.numbers[position]
    found.numbers = (number,)
    if client_dropped:
        found.dropped_with_client = True
    issues = file.issues(position)
    if issues and client_ok(issues) and not contact_ok(issues):
        found.add_error_row(number)
    if file.is_main[position] is True:
        found.main_row = number


def _settle_rows(log: RowIssues, found: ContactEntity, conflicting: list[ClientEntity] | None,
                 client_dropped: bool) -> None:
    """A contact on several rows: ordered, its conflicts reported, its rows merged."""
    positions = found.held_rows
    assert isinstance(positions, list), "a contact of several rows holds them in a list"
    file = found.client.file
    positions.sort(key=file.numbers.__getitem__)
    found.first = positions[0]
    found.numbers = row_numbers(file, positions)
    if conflicting:
        names = ", ".join(client.describe() for client in conflicting)
        for position, number in zip(positions, found.numbers, strict=True):
            log.add("contact.client_conflict", number, Field.CONTACT_EMAIL, file.emails[position],
                    clients=names)
            found.add_error_row(number)
    elif client_dropped:
        found.dropped_with_client = True
    for position, number in zip(positions, found.numbers, strict=True):
        issues = file.issues(position)
        if issues and client_ok(issues) and not contact_ok(issues):
            found.add_error_row(number)
    _merge_contact(log, found)


def _merge_contact(log: RowIssues, contact: ContactEntity) -> None:
    """Merge the values of a contact of several rows (sorted), the last one winning."""
    email_field = Field.CONTACT_EMAIL
    file = contact.client.file
    first = contact.numbers[0]
    values: dict[Field, FieldValue] = {}
    value_rows: dict[Field, int] = {}
    contact.merged, contact.value_rows = values, value_rows
    for position, number in zip(contact.positions, contact.numbers, strict=True):
        for field, value in file.contact_values(position).items():
            previous = values.get(field)
            if previous == value:
                continue
            if previous is not None and not (
                field is email_field and normalize_email(str(previous)) == contact.key
            ):
                log.add("contact.value_overridden", number, field, value_text(value), email=contact.email,
                        previous=value_text(previous), previous_row=value_rows.get(field, first))
            values[field] = value
            if number != first:
                value_rows[field] = number
        if file.is_main[position] is True:
            contact.main_row = number


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
    contact_ids = contact.client.file.contact_ids
    for position, number in zip(contact.positions, contact.numbers, strict=True):
        if contact_ids[position] == external_id:
            resolution.log.add("contact.external_id_conflict", number, Field.CONTACT_EXTERNAL_ID,
                               external_id, emails=emails)
            contact.add_error_row(number)


class ContactKeys(NamedTuple):
    """What to look the file's contacts up by."""

    #: Normalised emails.
    emails: list[str]
    external_ids: list[str]


def contact_keys_to_find(resolution: Resolution) -> ContactKeys:
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
    return ContactKeys(emails, list(external_ids))


def resolve_contacts(resolution: Resolution, stored: StoredContacts) -> None:
    """Attach stored contacts, report the conflicts with the store, and decide the main contacts."""
    for contact in resolution.contacts:  # one pass: each step below concerns this contact only
        if not contact.error_rows and not contact.dropped_with_client:  # not contact.dropped
            _match_stored(resolution, contact, stored)
        error_rows = contact.error_rows  # read again: the checks above may have added some
        if error_rows:
            # A contact of a dropped client is already explained on its rows by the client's drop.
            if not contact.dropped_with_client:
                cause = min(error_rows)
                for number in contact.numbers:
                    if number not in error_rows:
                        resolution.log.add("plan.dependency_dropped", number, None, None,
                                           dependency=contact.email, dependency_row=cause)
        elif not contact.dropped_with_client:
            contact.client.add_contact(contact)
    by_email_values = stored.by_email.values()

    # Only a demotion of a stored main contact absent from the file asks for it: made then, once.
    @functools.cache
    def emails_by_id() -> Mapping[Id, str]:
        return {c.id: c.email for c in by_email_values}

    for entity in resolution.entities:
        if entity.contacts and not entity.dropped:  # no contact, nothing to decide
            _decide_main_contact(resolution, entity, emails_by_id)


def _match_stored(resolution: Resolution, contact: ContactEntity, stored: StoredContacts) -> None:
    """Attach the stored contact of the contact's email, unless another client holds it or
    another stored contact holds its external id (both errors)."""
    found = stored.by_email.get(contact.key)
    if found is not None:
        client_stored = contact.client.stored
        if client_stored is not None and found.client_id == client_stored.id:
            contact.stored = found
        else:
            _belongs_to_other_client(resolution, contact, found.client_id)
    if stored.by_external_id is not None and (found is None or contact.stored is not None):
        external_id = contact.external_id
        if external_id is not None:
            holder = stored.by_external_id.get(str(external_id))
            if holder is not None and normalize_email(holder.email) != contact.key:
                _external_id_conflict(resolution, contact, str(external_id),
                                      f"{contact.email}, {holder.email}")


def _belongs_to_other_client(resolution: Resolution, contact: ContactEntity, owner: Id) -> None:
    other = resolution.stored_by_id.get(owner)
    # The owner as the user knows it; never the store's id.
    other_name: str | Text = (
        ClientRef(other.external_id, other.name).describe() if other is not None
        else Text("not in this file", "absent du fichier"))
    for number in contact.numbers:
        resolution.log.add("contact.belongs_to_other_client", number, Field.CONTACT_EMAIL,
                           contact.email, other=other_name)
        contact.add_error_row(number)


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
