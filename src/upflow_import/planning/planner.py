"""The planning core: from parsed rows to a :class:`Plan`, asking the store through reads.

It indexes the file, reads what the store holds for the file's keys (in chunks, never one
read per row), resolves identities, builds the operations and accounts for every row. It
never calls the store itself: see :mod:`upflow_import.planning.steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from upflow_import._stages import format_calls, logger
from upflow_import.model import ParsedImport
from upflow_import.planning.accounting import account, unusable_file_plan
from upflow_import.planning.clients import resolve_clients
from upflow_import.planning.contacts import contact_keys_to_find, resolve_contacts
from upflow_import.planning.entities import References, Resolution, StoredClients, StoredContacts
from upflow_import.planning.index import external_ids_to_find, index_rows, names_to_find, reference_values
from upflow_import.planning.lookups import Lookups
from upflow_import.planning.operations import Builder
from upflow_import.planning.requests import Reading
from upflow_import.planning.types import DEFAULT_CHUNK_SIZE, OnError, Operation, Plan, Progress
from upflow_import.repository import Id

__all__ = ["check_planning", "planning"]


def check_planning(on_error: object, chunk_size: int) -> None:
    """Refuse a policy or a chunk size that cannot be, before any work."""
    if on_error not in ("skip", "abort"):
        raise ValueError(f"on_error must be 'skip' or 'abort', not {on_error!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")


def planning(parsed: ParsedImport, *, on_error: OnError = "skip", chunk_size: int = DEFAULT_CHUNK_SIZE,
             offers: frozenset[str], progress: Progress | None = None) -> Reading[Plan[Any]]:
    """The plan of ``parsed``, asking the store with :class:`~upflow_import.planning.steps.Read`
    requests; ``offers`` names the optional read methods the store has. The ids in the plan are
    the store's own, of whatever type its answers have: the driver knows it."""
    check_planning(on_error, chunk_size)
    return _planning(parsed, on_error, chunk_size, offers, progress)


def _planning(parsed: ParsedImport, on_error: OnError, chunk_size: int, offers: frozenset[str],
              progress: Progress | None) -> Reading[Plan[Any]]:
    total = len(parsed.rows)
    if parsed.has_file_errors:
        if progress is not None:
            progress(total, total)
        return unusable_file_plan(parsed, on_error)
    lookups = Lookups(chunk_size, offers)
    planned = yield from _plan(parsed, lookups, on_error, _advance(progress, total))
    logger.debug("plan: %d rows, %d operations; repository calls: %s", total, len(planned.operations),
                 format_calls(planned.lookups))
    return planned


def _advance(progress: Progress | None, total: int) -> Callable[[float], None]:
    """``advance(share)``: the phases take comparable time, each reports its share of the rows."""
    def advance(share: float) -> None:
        if progress is not None:
            progress(int(total * share), total)
    return advance


def _plan(parsed: ParsedImport, lookups: Lookups, on_error: OnError,
          advance: Callable[[float], None]) -> Reading[Plan[Any]]:
    total = len(parsed.rows)
    index = index_rows(parsed, lambda done: advance(done / total / 4))
    by_external_id = yield from lookups.clients_by_external_ids(external_ids_to_find(index))
    used = reference_values(index)
    references = yield from _references(lookups, used.account_managers, used.dunning_plans)
    by_name = yield from lookups.clients_by_names(names_to_find(index, by_external_id))
    resolution = resolve_clients(index, StoredClients(by_external_id, by_name), references)
    advance(0.5)
    contact_keys = contact_keys_to_find(resolution)
    by_email = yield from lookups.contacts_by_emails(contact_keys.emails)
    by_contact_id = yield from lookups.contacts_by_external_ids(contact_keys.external_ids)
    yield from _read_named_clients(lookups, resolution, [c.client_id for c in by_email.values()])
    resolve_contacts(resolution, StoredContacts(by_email, by_contact_id))
    advance(0.6)
    builder = Builder(resolution)
    builder.build()
    advance(0.85)
    has_errors = any(issue.is_error for issue in parsed.issues) or resolution.log.any_error()
    aborted = on_error == "abort" and has_errors
    operations: tuple[Operation, ...] = () if aborted else tuple(builder.operations)
    accounts = account(parsed, resolution, builder, operations, aborted)
    resolution.release()
    advance(1.0)
    return Plan(operations, accounts.rows, parsed.issues, accounts.clients, accounts.contacts, on_error,
                dict(lookups.calls))


def _references(lookups: Lookups, managers: Sequence[str], plans: Sequence[str]) -> Reading[References]:
    known_managers = (yield from lookups.known("known_account_managers", managers)) if managers else None
    known_plans = (yield from lookups.known("known_dunning_plans", plans)) if plans else None
    # The full lists serve the "did you mean" hints: only asked when something is unknown.
    all_managers: list[str] = []
    all_plans: list[str] = []
    if known_managers is not None and len(known_managers) < len(managers):
        all_managers = yield from lookups.listing("all_account_managers")
    if known_plans is not None and len(known_plans) < len(plans):
        all_plans = yield from lookups.listing("all_dunning_plans")
    return References(known_managers, known_plans, all_managers, all_plans)


def _read_named_clients(lookups: Lookups, resolution: Resolution, owners: Sequence[Id]) -> Reading[None]:
    """Read the stored clients that reports name but the file does not: the former parents of
    the file's clients, and the clients the file's contacts (``owners``) already belong to.
    Reports name them by external id or name, never by the store's id."""
    if "find_clients_by_ids" not in lookups.offers:
        return
    known = resolution.stored_by_id
    wanted: dict[Id, None] = {}
    for entity in resolution.entities:
        stored = entity.stored
        if stored is not None and stored.parent_id is not None and stored.parent_id not in known:
            wanted[stored.parent_id] = None
    for owner in owners:
        if owner not in known:
            wanted[owner] = None
    if wanted:
        for client in (yield from lookups.clients_by_ids(list(wanted))):
            known.setdefault(client.id, client)
