"""Ids typed by the caller, as a user writes it: a repository keyed by ``int`` that indexes its own
``dict[int, …]`` with the ids the importer hands back, with no ``# type: ignore``. Checked by
``mypy --strict`` in tests/test_contract_kit.py, and run here."""

from __future__ import annotations

from collections.abc import Sequence

import upflow_import as ui
from upflow_import import (
    ClientChanges,
    ClientRecord,
    ContactChanges,
    ContactRecord,
    Repository,
    StoredClient,
    StoredContact,
    SupportsBulkWrites,
)
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.testing import parsed_import


class IntRepository:
    """Clients and contacts in two ``dict[int, …]``, ids counted from 1."""

    def __init__(self) -> None:
        self.clients: dict[int, StoredClient[int]] = {}
        self.contacts: dict[int, StoredContact[int]] = {}

    def _next_id(self) -> int:
        return len(self.clients) + len(self.contacts) + 1

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient[int]]:
        return [c for c in self.clients.values() if c.external_id in external_ids]

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient[int]]:
        return [c for c in self.clients.values() if normalize_name(c.name) in names]

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact[int]]:
        return [c for c in self.contacts.values() if normalize_email(c.email) in emails]

    def known_account_managers(self, emails: Sequence[str]) -> None:
        return None

    def known_dunning_plans(self, names: Sequence[str]) -> None:
        return None

    def create_client(self, record: ClientRecord, parent_id: int | None) -> int:
        client_id = self._next_id()
        self.clients[client_id] = StoredClient(client_id, record.values(), parent_id)
        return client_id

    def update_client(self, client_id: int, changes: ClientChanges[int]) -> None:
        client = self.clients[client_id]  # an int key: no cast, no ignore
        parent_id = client.parent_id if changes.parent_id is None else self.clients[changes.parent_id].id
        self.clients[client_id] = StoredClient(client_id, {**client.values, **changes.values}, parent_id)

    def create_contact(self, client_id: int, record: ContactRecord) -> int:
        contact_id = self._next_id()
        owner = self.clients[client_id].id
        self.contacts[contact_id] = StoredContact(contact_id, owner, str(record.email), record.values())
        return contact_id

    def update_contact(self, contact_id: int, changes: ContactChanges) -> None:
        contact = self.contacts[contact_id]
        self.contacts[contact_id] = StoredContact(contact_id, contact.client_id, contact.email,
                                                  {**contact.values, **changes.values})

    # Bulk writes, typed likewise.
    def create_clients(self, items: Sequence[tuple[ClientRecord, int | None]]) -> list[int]:
        return [self.create_client(record, parent_id) for record, parent_id in items]

    def update_clients(self, items: Sequence[tuple[int, ClientChanges[int]]]) -> None:
        for client_id, changes in items:
            self.update_client(client_id, changes)

    def create_contacts(self, items: Sequence[tuple[int, ContactRecord]]) -> list[int]:
        return [self.create_contact(client_id, record) for client_id, record in items]

    def update_contacts(self, items: Sequence[tuple[int, ContactChanges]]) -> None:
        for contact_id, changes in items:
            self.update_contact(contact_id, changes)


def test_the_ids_the_importer_hands_back_are_the_repositorys_own_type() -> None:
    repository: Repository[int] = IntRepository()
    bulk: SupportsBulkWrites[int] = IntRepository()
    assert bulk is not None
    parsed = parsed_import([{"client.name": "Acme", "contact.email": "a@acme.fr"},
                            {"client.name": "Globex", "group.name": "Acme"}])
    plan: ui.Plan[int] = ui.plan(parsed, repository)
    result: ui.ApplyResult[int] = ui.apply(plan, repository)
    assert isinstance(repository, IntRepository)
    names: dict[int, str] = {client_id: client.name for client_id, client in repository.clients.items()}
    created = [r.id for r in result.results if r.id is not None]
    assert [names[i] for i in created if i in names] == ["Acme", "Globex"]
    renamed = parsed_import([{"client.name": "Acme", "client.city": "Lyon"}])
    update = ui.plan(renamed, repository).operations[0]
    assert isinstance(update, ui.UpdateClient)
    assert names[update.client_id] == "Acme"
