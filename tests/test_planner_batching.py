"""The planner reads the repository in batches: never one call per row."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import upflow_import as ui
from planner_helpers import parsed_import, seed_client, seed_contact
from upflow_import.repository import StoredClient, StoredContact

LOOKUPS = (
    "find_clients_by_external_ids",
    "find_clients_by_names",
    "find_contacts_by_emails",
    "find_contacts_by_external_ids",
    "known_account_managers",
    "known_dunning_plans",
)


class CountingRepository(ui.InMemoryRepository):
    """Counts every lookup call and the largest batch of keys it received."""

    def __init__(self, references: int = 0) -> None:
        super().__init__(
            account_managers=[f"am{n}@example.com" for n in range(references)],
            dunning_plans=[f"Plan {n}" for n in range(references)],
        )
        self.calls: Counter[str] = Counter()
        self.largest: Counter[str] = Counter()

    def _count(self, name: str, keys: Sequence[str]) -> None:
        self.calls[name] += 1
        self.largest[name] = max(self.largest[name], len(keys))

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient]:
        self._count("find_clients_by_external_ids", external_ids)
        return super().find_clients_by_external_ids(external_ids)

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient]:
        self._count("find_clients_by_names", names)
        return super().find_clients_by_names(names)

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact]:
        self._count("find_contacts_by_emails", emails)
        return super().find_contacts_by_emails(emails)

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact]:
        self._count("find_contacts_by_external_ids", external_ids)
        return super().find_contacts_by_external_ids(external_ids)

    def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        self._count("known_account_managers", emails)
        return super().known_account_managers(emails)

    def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        self._count("known_dunning_plans", names)
        return super().known_dunning_plans(names)


def rows(count: int) -> Iterable[dict[str, str | bool | None]]:
    """Every identity path at once: ids, name-only rows, parents by id and by name, contacts with ids,
    as many distinct account managers and dunning plans as rows."""
    for n in range(count):
        kind = n % 4
        row: dict[str, str | bool | None] = {
            "contact.email": f"person{n}@example.com",
            "contact.external_id": f"K{n}",
            "client.account_manager_email": f"am{n}@example.com",
            "client.dunning_plan": f"Plan {n}",
        }
        if kind == 0:
            row |= {"client.external_id": f"C{n}", "client.name": f"Client {n}"}
        elif kind == 1:
            row |= {"client.name": f"Named {n}"}
        elif kind == 2:
            row |= {
                "client.external_id": f"C{n}",
                "client.name": f"Client {n}",
                "group.external_id": f"C{n - 2}",
            }
        else:
            row |= {
                "client.external_id": f"C{n}",
                "client.name": f"Client {n}",
                "group.name": f"Named {n - 2}",
            }
        yield row


def seeded(count: int) -> CountingRepository:
    repository = CountingRepository(references=count)
    for n in range(count):
        if n % 4 > 1:
            continue  # half of the clients and contacts already exist: the ones the others name as parent
        name = f"Named {n}" if n % 4 == 1 else f"Client {n}"
        client_id = seed_client(repository, f"C{n}" if n % 4 != 1 else None, name)
        seed_contact(repository, client_id, f"person{n}@example.com", external_id=f"K{n}")
    repository.calls.clear()
    return repository


def assert_batched(repository: CountingRepository, plan: ui.Plan, keys: int, chunk_size: int) -> None:
    assert set(repository.calls) == set(LOOKUPS)
    for name in LOOKUPS:
        assert repository.calls[name] <= math.ceil(keys / chunk_size), name
        assert repository.largest[name] <= chunk_size, name
    assert dict(plan.lookups) == dict(repository.calls)


def test_lookups_are_at_most_one_call_per_thousand_rows_and_kind() -> None:
    count = 2500
    repository = seeded(count)
    plan = ui.plan(parsed_import(list(rows(count))), repository)
    assert_batched(repository, plan, count, 1000)
    assert plan.ok, plan.issues[:3]
    assert len(plan.rows) == count and plan.clients.update + plan.clients.create == count
    assert plan.clients.update == plan.clients.create == count // 2


def test_the_chunk_size_bounds_every_call() -> None:
    count = 450
    repository = seeded(count)
    plan = ui.plan(parsed_import(list(rows(count))), repository, chunk_size=100)
    assert_batched(repository, plan, count, 100)
    assert repository.calls["find_contacts_by_emails"] == 5


def test_a_file_without_references_or_contacts_asks_for_none() -> None:
    repository = CountingRepository()
    ui.plan(parsed_import([{"client.external_id": "C1", "client.name": "Acme"}]), repository)
    assert set(repository.calls) == {"find_clients_by_external_ids", "find_clients_by_names"}

