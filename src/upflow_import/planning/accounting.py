"""Accounting of rows: what happens to each row's client and contact, and the totals."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from upflow_import.fields import Field
from upflow_import.identity import normalize_email
from upflow_import.model import ParsedImport
from upflow_import.planning.entities import Resolution
from upflow_import.planning.operations import Builder
from upflow_import.planning.types import (
    EntityCounts,
    OnError,
    Operation,
    Outcome,
    Plan,
    PlanRows,
    RowReport,
)

__all__ = ["Accounts", "account", "unusable_file_plan"]


class Accounts(NamedTuple):
    """Every row's plan, and the totals of clients and contacts."""

    rows: PlanRows
    clients: EntityCounts
    contacts: EntityCounts


def _count(outcomes: Iterable[Outcome], extra_dropped: int = 0, extra_updates: int = 0) -> EntityCounts:
    tally = dict.fromkeys(Outcome, 0)
    for outcome in outcomes:
        tally[outcome] += 1
    return EntityCounts(tally[Outcome.CREATE], tally[Outcome.UPDATE] + extra_updates,
                        tally[Outcome.UNCHANGED], tally[Outcome.DROPPED] + extra_dropped)


def _unattached_contacts(parsed: ParsedImport, positions: Iterable[int]) -> int:
    """Contacts on rows that reach no client: each email once, each email-less contact once."""
    keys: set[str] = set()
    without_email = 0
    emails, with_contact = parsed.column(Field.CONTACT_EMAIL), parsed.contact_positions
    for position in positions:
        if position not in with_contact:
            continue
        email = emails[position]
        if email is None:
            without_email += 1
        else:
            keys.add(normalize_email(str(email)))
    return len(keys) + without_email


def account(parsed: ParsedImport, resolution: Resolution, builder: Builder,
            operations: Sequence[Operation], aborted: bool) -> Accounts:
    """Every row's plan and the totals; with ``aborted``, nothing is created or updated."""
    final = _aborted if aborted else _as_planned
    rows = _row_plans(parsed, resolution, operations, final)
    unattached = [position for group in resolution.ambiguous for position in group] + resolution.index.orphans
    clients = _count((final(e.outcome or Outcome.DROPPED) for e in resolution.entities),
                     extra_dropped=len(resolution.ambiguous) + len(resolution.index.orphans))
    contact_outcomes = [final(c.outcome or Outcome.DROPPED) for c in resolution.contacts]
    demotions = builder.demotions
    contacts = _count(
        contact_outcomes,
        extra_dropped=len(resolution.contacts_without_email) + _unattached_contacts(parsed, unattached)
        + (demotions if aborted else 0),
        extra_updates=0 if aborted else demotions,
    )
    return Accounts(rows, clients, contacts)


def _as_planned(outcome: Outcome) -> Outcome:
    return outcome


def _aborted(outcome: Outcome) -> Outcome:
    """What an outcome becomes when an error aborts the import: nothing is written."""
    return Outcome.DROPPED if outcome in (Outcome.CREATE, Outcome.UPDATE) else outcome


class _RowOutcomes(NamedTuple):
    """What happens to each row's client and contact, by row number, as the entities say."""

    clients: dict[int, Outcome]
    contacts: dict[int, Outcome]


def _row_outcomes(resolution: Resolution) -> _RowOutcomes:
    client_of_row: dict[int, Outcome] = {}
    for entity in resolution.entities:
        outcome = entity.outcome or Outcome.DROPPED  # every entity has one once built
        for number in entity.numbers:
            client_of_row[number] = outcome
    numbers = resolution.index.rows.numbers
    contact_of_row = {numbers[position]: Outcome.DROPPED for position in resolution.contacts_without_email}
    for contact in resolution.contacts:
        outcome = contact.outcome or Outcome.DROPPED
        for number in contact.numbers:
            contact_of_row[number] = outcome
    return _RowOutcomes(client_of_row, contact_of_row)


def _row_plans(parsed: ParsedImport, resolution: Resolution, operations: Sequence[Operation],
               final: Callable[[Outcome], Outcome]) -> PlanRows:
    """Every data row's part of the plan, in file order, held as columns (see
    :func:`_row_plans_reference`, which it must equal)."""
    outcomes = _row_outcomes(resolution)
    client_of_row, contact_of_row = outcomes.clients, outcomes.contacts
    operations_of_row = _operations_of_rows(operations)
    log = resolution.log
    added = log.added()
    dropped = Outcome.DROPPED
    file = resolution.index.rows
    numbers, with_contact, parsed_issues = file.numbers, file.with_contact, file.issues
    issues = [log.of(number) if number in added else parsed_issues(position)
              for position, number in enumerate(numbers)]
    no_operations: tuple[int, ...] = ()
    row_operations = [operations_of_row.get(number, no_operations) for number in numbers]
    clients = [client_of_row.get(number, dropped) for number in numbers]
    contacts: list[Outcome | None] = [
        contact_of_row.get(number, dropped) if position in with_contact else None
        for position, number in enumerate(numbers)]
    if final is _aborted:
        clients = [final(outcome) for outcome in clients]
        contacts = [None if outcome is None else final(outcome) for outcome in contacts]
    return PlanRows(parsed, issues, row_operations, clients, contacts)


def _row_plans_reference(parsed: ParsedImport, resolution: Resolution, operations: Sequence[Operation],
                         final: Callable[[Outcome], Outcome]) -> tuple[RowReport, ...]:
    """The plain version of :func:`_row_plans`: one :class:`RowReport` object per row."""
    outcomes = _row_outcomes(resolution)
    operations_of_row = _operations_of_rows(operations)
    log = resolution.log
    plans: list[RowReport] = []
    for row in parsed.rows:
        number = row.number
        client_outcome = final(outcomes.clients.get(number, Outcome.DROPPED))
        contact_outcome = None if row.contact is None else final(
            outcomes.contacts.get(number, Outcome.DROPPED))
        issues = log.of(number) if number in log.added() else row.issues
        plans.append(RowReport(number, row.cells, issues, operations_of_row.get(number, ()), client_outcome,
                               contact_outcome, row.client, row.contact))
    return tuple(plans)


def _operations_of_rows(operations: Sequence[Operation]) -> dict[int, tuple[int, ...]]:
    """Row number → the operations it feeds (tuples from the start: most rows feed one or two
    operations, and the row plan keeps them)."""
    operations_of_row: dict[int, tuple[int, ...]] = {}
    for operation in operations:
        index = operation.index
        for number in operation.rows:
            found = operations_of_row.get(number)
            operations_of_row[number] = (index,) if found is None else (*found, index)
    return operations_of_row


def unusable_file_plan(parsed: ParsedImport, on_error: OnError) -> Plan:
    count = len(parsed.numbers)
    with_contact = parsed.contact_positions
    rows = PlanRows(parsed, [parsed.row_issues(position) for position in range(count)], [()] * count,
                    [Outcome.DROPPED] * count,
                    [Outcome.DROPPED if position in with_contact else None for position in range(count)])
    clients = EntityCounts(dropped=count)
    contacts = EntityCounts(dropped=_unattached_contacts(parsed, range(count)))
    return Plan((), rows, parsed.file_issues, clients, contacts, on_error, {})
