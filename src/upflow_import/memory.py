"""The reference repository: :class:`InMemoryRepository`, complete and fast, for tests and examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager

import attrs

from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.repository import ClientChanges, ContactChanges, StoredClient, StoredContact

__all__ = ["InMemoryRepository"]


class InMemoryRepository:
    """A :class:`~upflow_import.Repository` held in dictionaries.

    It is the reference the planner is tested against and a convenient store
    for users' own tests. It is strict where a real store would be: creating
    a second client with the same external id, a second contact with the same
    email, or a second main contact of one client raises ``ValueError``, so a
    planner mistake cannot go unnoticed.

    Account managers and dunning plans are not tracked (``known_*`` return
    ``None``) until one is added with :meth:`add_account_managers` /
    :meth:`add_dunning_plans`. With ``transactional=True`` it offers
    ``transaction()``, which undoes every write of the block when it raises.

    Ids are integers, one sequence for clients and one for contacts.
    ``writes`` counts the successful write calls.
    """

    def __init__(
        self,
        *,
        transactional: bool = False,
        account_managers: Iterable[str] | None = None,
        dunning_plans: Iterable[str] | None = None,
    ) -> None:
        self._transactional = transactional
        self._clients: dict[int, StoredClient[int]] = {}
        self._contacts: dict[int, StoredContact[int]] = {}
        self._by_external_id: dict[str, int] = {}
        self._by_name: dict[str, dict[int, None]] = {}
        self._by_email: dict[str, int] = {}
        self._by_contact_external_id: dict[str, int] = {}
        self._account_managers: dict[str, str] | None = None
        self._dunning_plans: dict[str, None] | None = None
        self._next_id = 1
        self._mappings: dict[str, dict[str, str | None]] = {}
        #: Successful write calls (create/update of clients and contacts).
        self.writes = 0
        if account_managers is not None:
            self.add_account_managers(account_managers)
        if dunning_plans is not None:
            self.add_dunning_plans(dunning_plans)

    def __repr__(self) -> str:
        return (f"InMemoryRepository(clients={len(self._clients)}, contacts={len(self._contacts)}, "
                f"transactional={self._transactional})")

    # -- reference data -------------------------------------------------------------------------

    def add_account_manager(self, email: str) -> None:
        """Register one account manager (emails compare case-insensitively)."""
        self.add_account_managers([email])

    def add_account_managers(self, emails: Iterable[str]) -> None:
        """Register account managers; from then on unknown emails are reported."""
        if self._account_managers is None:
            self._account_managers = {}
        for email in emails:
            self._account_managers.setdefault(normalize_email(email), email.strip())

    def add_dunning_plan(self, name: str) -> None:
        """Register one dunning plan (names compare exactly, as Upflow does)."""
        self.add_dunning_plans([name])

    def add_dunning_plans(self, names: Iterable[str]) -> None:
        """Register dunning plans; from then on unknown plan names are reported."""
        if self._dunning_plans is None:
            self._dunning_plans = {}
        for name in names:
            self._dunning_plans[name] = None

    def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        """The ``emails`` that are registered account managers; ``None`` while none is registered."""
        if self._account_managers is None:
            return None
        return {email for email in emails if normalize_email(email) in self._account_managers}

    def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        """The ``names`` that are registered dunning plans; ``None`` while none is registered."""
        if self._dunning_plans is None:
            return None
        registered = {normalize_reference(name) for name in self._dunning_plans}
        return {name for name in names if normalize_reference(name) in registered}

    def all_account_managers(self) -> list[str]:
        """Every registered account manager's email, as registered."""
        return list((self._account_managers or {}).values())

    def all_dunning_plans(self) -> list[str]:
        """Every registered dunning plan's name."""
        return list(self._dunning_plans or {})

    # -- mapping memory (see upflow_import.MappingMemory) ---------------------------------------

    def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        """The column mapping saved under ``fingerprint``, or ``None``."""
        saved = self._mappings.get(fingerprint)
        return None if saved is None else dict(saved)

    def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` (``{column: field key or None}``) under ``fingerprint``."""
        self._mappings[fingerprint] = dict(mapping)

    # -- reads ----------------------------------------------------------------------------------

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient[int]]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        found = (self._by_external_id.get(external_id) for external_id in dict.fromkeys(external_ids))
        return [self._clients[client_id] for client_id in found if client_id is not None]

    def find_clients_by_ids(self, ids: Sequence[int]) -> list[StoredClient[int]]:
        """Stored clients whose store id is one of ``ids``."""
        return [self._clients[client_id] for client_id in dict.fromkeys(ids) if client_id in self._clients]

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient[int]]:
        """Stored clients whose normalised name is one of ``names``."""
        return [self._clients[client_id]
                for name in dict.fromkeys(names) for client_id in self._by_name.get(name, ())]

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact[int]]:
        """Stored contacts whose normalised email is one of ``emails``."""
        found = (self._by_email.get(email) for email in dict.fromkeys(emails))
        return [self._contacts[contact_id] for contact_id in found if contact_id is not None]

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact[int]]:
        """Stored contacts whose ``contact.external_id`` is one of ``external_ids``."""
        found = (self._by_contact_external_id.get(external_id) for external_id in dict.fromkeys(external_ids))
        return [self._contacts[contact_id] for contact_id in found if contact_id is not None]

    # -- read-back helpers for tests ----------------------------------------------------------

    def clients(self) -> list[StoredClient[int]]:
        """Every stored client, in creation order."""
        return list(self._clients.values())

    def contacts(self) -> list[StoredContact[int]]:
        """Every stored contact, in creation order."""
        return list(self._contacts.values())

    def client(self, client_id: int) -> StoredClient[int]:
        """The stored client ``client_id`` (``KeyError`` if unknown)."""
        return self._clients[client_id]

    def contact(self, contact_id: int) -> StoredContact[int]:
        """The stored contact ``contact_id`` (``KeyError`` if unknown)."""
        return self._contacts[contact_id]

    def client_by_external_id(self, external_id: str) -> StoredClient[int]:
        """The stored client with this external id (``KeyError`` if none)."""
        return self._clients[self._by_external_id[external_id]]

    def contacts_of(self, client_id: int) -> list[StoredContact[int]]:
        """The contacts of ``client_id``, in creation order."""
        return [contact for contact in self._contacts.values() if contact.client_id == client_id]

    # -- writes ---------------------------------------------------------------------------------

    def _new_id(self) -> int:
        new_id = self._next_id
        self._next_id += 1
        return new_id

    def _check_client(self, client_id: int) -> StoredClient[int]:
        client = self._clients.get(client_id)
        if client is None:
            raise KeyError(f"no client has id {client_id!r}")
        return client

    def create_client(self, record: ClientRecord, parent_id: int | None) -> int:
        """Store a new client and return its id."""
        if record.name is None:
            raise ValueError("a client needs a name to be created")
        if record.external_id is not None and record.external_id in self._by_external_id:
            raise ValueError(f"a client already has the external id {record.external_id!r}")
        if parent_id is not None:
            self._check_client(parent_id)
        client_id = self._new_id()
        self._clients[client_id] = StoredClient(id=client_id, values=record.values(), parent_id=parent_id)
        self._index_client(self._clients[client_id])
        self.writes += 1
        return client_id

    def update_client(self, client_id: int, changes: ClientChanges[int]) -> None:
        """Change only the fields in ``changes``, and the parent when one is given."""
        client = self._check_client(client_id)
        values = dict(client.values)
        for field, value in changes.values.items():
            if not field.value.startswith("client."):
                raise ValueError(f"{field.value} is not a client field")
            values[field] = value
        external_id = values.get(Field.CLIENT_EXTERNAL_ID)
        if external_id is not None and self._by_external_id.get(str(external_id), client.id) != client.id:
            raise ValueError(f"a client already has the external id {external_id!r}")
        parent_id = client.parent_id
        if changes.parent_id is not None:
            self._check_client(changes.parent_id)
            parent_id = changes.parent_id
        updated = attrs.evolve(client, values=values, parent_id=parent_id)
        self._unindex_client(client)
        self._clients[client.id] = updated
        self._index_client(updated)
        self.writes += 1

    def _index_client(self, client: StoredClient[int]) -> None:
        if client.external_id is not None:
            self._by_external_id[client.external_id] = client.id
        self._by_name.setdefault(normalize_name(client.name), {})[client.id] = None

    def _unindex_client(self, client: StoredClient[int]) -> None:
        if client.external_id is not None:
            del self._by_external_id[client.external_id]
        self._by_name[normalize_name(client.name)].pop(client.id, None)

    def _check_main(self, client: StoredClient[int], contact_id: int | None,
                    is_main: FieldValue | None) -> None:
        # One main contact per client: promoting another one without demoting first is a caller bug.
        if is_main is True and client.main_contact_id not in (None, contact_id):
            raise ValueError(f"client {client.id!r} already has the main contact {client.main_contact_id!r}")

    def _set_main(self, client_id: int, contact: StoredContact[int], is_main: FieldValue | None) -> None:
        client = self._clients[client_id]
        if is_main is True:
            self._clients[client_id] = attrs.evolve(
                client, main_contact_id=contact.id, main_contact_email=contact.email)
        elif client.main_contact_id == contact.id:
            self._clients[client_id] = attrs.evolve(
                client, main_contact_id=None if is_main is False else contact.id,
                main_contact_email=None if is_main is False else contact.email)

    def create_contact(self, client_id: int, record: ContactRecord) -> int:
        """Store a new contact of ``client_id`` and return its id."""
        client = self._check_client(client_id)
        key = record.key
        if key is None:
            raise ValueError("a contact needs an email to be created")
        if key in self._by_email:
            raise ValueError(f"a contact already has the email {record.email!r}")
        if record.external_id is not None and record.external_id in self._by_contact_external_id:
            raise ValueError(f"a contact already has the external id {record.external_id!r}")
        self._check_main(client, None, record.is_main)
        contact_id = self._new_id()
        contact = StoredContact(id=contact_id, client_id=client.id, email=str(record.email),
                                values=record.values())
        self._contacts[contact_id] = contact
        self._set_main(client.id, contact, record.is_main)
        self._by_email[key] = contact_id
        if record.external_id is not None:
            self._by_contact_external_id[record.external_id] = contact_id
        self.writes += 1
        return contact_id

    def update_contact(self, contact_id: int, changes: ContactChanges) -> None:
        """Change only the fields in ``changes``; ``contact.is_main`` ``False`` demotes."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            raise KeyError(f"no contact has id {contact_id!r}")
        values = dict(contact.values)
        for field, value in changes.values.items():
            if not field.is_contact:
                raise ValueError(f"{field.value} is not a contact field")
            values[field] = value
        email = str(values.get(Field.CONTACT_EMAIL, contact.email))
        if self._by_email.get(normalize_email(email), contact.id) != contact.id:
            raise ValueError(f"a contact already has the email {email!r}")
        external_id = values.get(Field.CONTACT_EXTERNAL_ID)
        holder = None if external_id is None else self._by_contact_external_id.get(str(external_id))
        if holder not in (None, contact.id):
            raise ValueError(f"a contact already has the external id {external_id!r}")
        is_main = changes.values.get(Field.CONTACT_IS_MAIN)
        self._check_main(self._clients[contact.client_id], contact.id, is_main)
        del self._by_email[normalize_email(contact.email)]
        old_external_id = contact.values.get(Field.CONTACT_EXTERNAL_ID)
        if old_external_id is not None:
            del self._by_contact_external_id[str(old_external_id)]
        updated = attrs.evolve(contact, email=email, values=values)
        self._contacts[contact.id] = updated
        self._set_main(contact.client_id, updated, is_main)
        self._by_email[normalize_email(email)] = contact.id
        if external_id is not None:
            self._by_contact_external_id[str(external_id)] = contact.id
        self.writes += 1

    # -- transactions ---------------------------------------------------------------------------

    @property
    def transaction(self) -> Callable[[], AbstractContextManager[InMemoryRepository]]:
        """A context manager undoing every write of its block if the block raises.

        Only with ``InMemoryRepository(transactional=True)``; otherwise the
        attribute does not exist, as for a store without transactions.
        """
        if not self._transactional:
            raise AttributeError("this InMemoryRepository was made without transactional=True")
        return self._transaction

    @contextmanager
    def _transaction(self) -> Iterator[InMemoryRepository]:
        saved = self._snapshot()
        try:
            yield self
        except BaseException:
            self._restore(saved)
            raise

    _STATE = ("_clients", "_contacts", "_by_external_id", "_by_email", "_by_contact_external_id")

    def _snapshot(self) -> dict[str, object]:
        # Stored records are frozen: copying the dictionaries is a complete snapshot.
        saved: dict[str, object] = {name: dict(getattr(self, name)) for name in self._STATE}
        saved["_by_name"] = {name: dict(ids) for name, ids in self._by_name.items()}
        saved["_next_id"], saved["writes"] = self._next_id, self.writes
        return saved

    def _restore(self, saved: dict[str, object]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)
