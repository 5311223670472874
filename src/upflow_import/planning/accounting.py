"""Accounting of rows: what happens to each row's client and contact, and the totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from upflow_import.model import ParsedImport, ParsedRow
from upflow_import.planning.entities import Resolution
from upflow_import.planning.operations import Builder
from upflow_import.planning.types import (
    EntityCounts,
    OnError,
    Operation,
    Outcome,
    Plan,
    RowPlan,
    new_row_plan,
)

__all__ = ["Accounts", "account", "unusable_file_plan"]


class Accounts(NamedTuple):
    """Every row's plan, and the totals of clients and contacts."""

    rows: tuple[RowPlan, ...]
    clients: EntityCounts
    contacts: EntityCounts


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


def account(parsed: ParsedImport, resolution: Resolution, builder: Builder,
            operations: Sequence[Operation], aborted: bool) -> Accounts:
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
    for row in parsed.rows:
        number = row.number
        indexes = operations_of_row.get(number)
        client_outcome = client_of_row.get(number, dropped)
        contact_outcome = None if row.contact is None else contact_of_row.get(number, dropped)
        if aborted:
            client_outcome = final(client_outcome)
            contact_outcome = None if contact_outcome is None else final(contact_outcome)
        plans.append(new_row_plan(number, log.of(number) if number in added else row.issues,
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
    return Accounts(rows, clients, contacts)


def unusable_file_plan(parsed: ParsedImport, on_error: OnError) -> Plan:
    rows = tuple(
        RowPlan(row.number, row.issues, (), Outcome.DROPPED, None if row.contact is None else Outcome.DROPPED)
        for row in parsed.rows
    )
    clients = EntityCounts(dropped=len(parsed.rows))
    contacts = EntityCounts(dropped=_unattached_contacts(parsed.rows))
    return Plan((), rows, parsed.issues, clients, contacts, on_error, {})
