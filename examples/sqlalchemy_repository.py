"""A custom repository backed by SQLAlchemy 2.x (here on SQLite), checked by the contract test-kit.

    python examples/sqlalchemy_repository.py FILE [DATABASE_URL]

imports FILE into DATABASE_URL (default ``sqlite:///customers.db``) through
this repository and lists what the database then holds. The class is what
you would write for your own store: each ``find_*`` answers a whole batch of
keys with one ``IN (…)`` query per chunk, names and emails are stored beside
their normalised key (computed with the library's own ``normalize_name`` and
``normalize_email``) in indexed columns, each write commits unless it runs in
``transaction()``, and the optional extras are offered: contacts by external
id, the reference lists for "did you mean" hints, and the mapping memory.

The project's tests run :class:`upflow_import.testing.RepositoryContract`
against it (``tests/test_examples.py``)::

    class TestSqlAlchemyRepository(RepositoryContract):
        @pytest.fixture
        def repository(self):
            return SqlAlchemyRepository(create_engine("sqlite://"))
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.sql import Select

import upflow_import as ui
from upflow_import import (
    ClientChanges,
    ClientRecord,
    ContactChanges,
    ContactRecord,
    Field,
    StoredClient,
    StoredContact,
    normalize_email,
    normalize_name,
)

#: Keys bound per query: below every database's limit on bound parameters.
CHUNK = 500


class Base(DeclarativeBase):
    pass


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    #: Every client field by key ("client.city": "Paris"), as JSON.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_main: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class AccountManager(Base):
    __tablename__ = "account_managers"

    email_key: Mapped[str] = mapped_column(String(254), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))


class DunningPlan(Base):
    __tablename__ = "dunning_plans"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class SavedMapping(Base):
    __tablename__ = "column_mappings"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)


def _dump(values: Mapping[Field, object]) -> dict[str, Any]:
    # JSON has no tuples: several account managers are stored as a list.
    return {field.value: list(value) if isinstance(value, tuple) else value
            for field, value in values.items()}


def _load(data: Mapping[str, Any]) -> dict[Field, Any]:
    return {Field(key): tuple(value) if isinstance(value, list) else value for key, value in data.items()}


def _chunks(keys: Iterable[object]) -> Iterator[list[object]]:
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), CHUNK):
        yield unique[start:start + CHUNK]


class SqlAlchemyRepository:
    """An :class:`upflow_import.Repository` on any database SQLAlchemy supports."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine)
        # expire_on_commit=False: stored values stay readable after each commit.
        self.session = Session(engine, expire_on_commit=False)
        self._depth = 0

    def close(self) -> None:
        self.session.close()

    # -- transactions: each write commits, unless inside transaction() --------

    @contextmanager
    def transaction(self) -> Iterator[SqlAlchemyRepository]:
        """Run a block atomically; nested blocks join the outer one."""
        self._depth += 1
        try:
            yield self
        except BaseException:
            if self._depth == 1:
                self.session.rollback()
            raise
        finally:
            self._depth -= 1
        if self._depth == 0:
            self.session.commit()

    def _written(self) -> None:
        if self._depth == 0:
            self.session.commit()

    # -- reads: one query per chunk of keys ----------------------------------

    def _in(self, query: Select[Any], column: Any, keys: Iterable[object]) -> list[Any]:
        return [row for chunk in _chunks(keys)
                for row in self.session.scalars(query.where(column.in_(chunk)))]

    def _stored_clients(self, clients: list[Client]) -> list[StoredClient]:
        mains = {contact.client_id: contact for contact in self._in(
            select(Contact).where(Contact.is_main), Contact.client_id, [c.id for c in clients])}
        stored = []
        for client in clients:
            main = mains.get(client.id)
            stored.append(StoredClient(
                id=client.id, values=_load(client.data),
                parent_id=client.parent_id, main_contact_id=None if main is None else main.id,
                main_contact_email=None if main is None else main.email))
        return stored

    def _stored_contact(self, contact: Contact) -> StoredContact:
        values = _load(contact.data)
        values[Field.CONTACT_EMAIL] = contact.email
        values[Field.CONTACT_IS_MAIN] = contact.is_main
        return StoredContact(id=contact.id, client_id=contact.client_id, email=contact.email, values=values)

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient]:
        return self._stored_clients(self._in(select(Client), Client.external_id, external_ids))

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient]:
        return self._stored_clients(self._in(select(Client), Client.name_key, names))

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact]:
        return [self._stored_contact(c) for c in self._in(select(Contact), Contact.email_key, emails)]

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact]:
        return [self._stored_contact(c) for c in self._in(select(Contact), Contact.external_id, external_ids)]

    # -- reference data: checked only once some are registered ----------------

    def add_account_managers(self, emails: Iterable[str]) -> None:
        for email in emails:
            self.session.merge(AccountManager(email_key=normalize_email(email), email=email.strip()))
        self._written()

    def add_dunning_plans(self, names: Iterable[str]) -> None:
        for name in names:
            self.session.merge(DunningPlan(name=name))
        self._written()

    def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        if self.session.scalar(select(AccountManager.email_key).limit(1)) is None:
            return None
        known = {m.email_key for m in self._in(select(AccountManager), AccountManager.email_key,
                                                (normalize_email(e) for e in emails))}
        return {email for email in emails if normalize_email(email) in known}

    def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        if self.session.scalar(select(DunningPlan.name).limit(1)) is None:
            return None
        return {plan.name for plan in self._in(select(DunningPlan), DunningPlan.name, names)}

    def all_account_managers(self) -> list[str]:
        return list(self.session.scalars(select(AccountManager.email)))

    def all_dunning_plans(self) -> list[str]:
        return list(self.session.scalars(select(DunningPlan.name)))

    # -- writes ----------------------------------------------------------------

    def create_client(self, record: ClientRecord, parent_id: object) -> int:
        if record.name is None:
            raise ValueError("a client needs a name to be created")
        client = Client(external_id=record.external_id, name=record.name,
                        name_key=normalize_name(record.name), parent_id=parent_id,
                        data=_dump(record.values()))
        self.session.add(client)
        self.session.flush()  # assigns the id
        self._written()
        return client.id

    def update_client(self, client_id: object, changes: ClientChanges) -> None:
        client = self.session.get(Client, client_id)
        if client is None:
            raise KeyError(f"no client has id {client_id!r}")
        # A new dict, not an in-place change: the JSON column notices assignments only.
        client.data = {**client.data, **_dump(changes.values)}
        client.external_id = client.data.get(Field.CLIENT_EXTERNAL_ID.value)
        client.name = client.data[Field.CLIENT_NAME.value]
        client.name_key = normalize_name(client.name)
        if changes.parent_id is not None:
            client.parent_id = changes.parent_id  # type: ignore[assignment]
        self._written()

    def _demote_others(self, client_id: object, keep: int | None) -> None:
        for other in self.session.scalars(select(Contact).where(Contact.client_id == client_id,
                                                                 Contact.is_main)):
            if other.id != keep:
                other.is_main = False

    def create_contact(self, client_id: object, record: ContactRecord) -> int:
        if record.email is None:
            raise ValueError("a contact needs an email to be created")
        if record.is_main:
            self._demote_others(client_id, None)
        values = record.values()
        contact = Contact(client_id=client_id, email=record.email, email_key=normalize_email(record.email),
                          external_id=record.external_id, is_main=bool(record.is_main),
                          data=_dump({f: v for f, v in values.items()
                                      if f not in (Field.CONTACT_EMAIL, Field.CONTACT_IS_MAIN)}))
        self.session.add(contact)
        self.session.flush()
        self._written()
        return contact.id

    def update_contact(self, contact_id: object, changes: ContactChanges) -> None:
        contact = self.session.get(Contact, contact_id)
        if contact is None:
            raise KeyError(f"no contact has id {contact_id!r}")
        data = dict(contact.data)
        for field, value in changes.values.items():
            if field is Field.CONTACT_EMAIL:
                contact.email, contact.email_key = str(value), normalize_email(str(value))
            elif field is Field.CONTACT_IS_MAIN:
                if value is True:
                    self._demote_others(contact.client_id, contact.id)
                contact.is_main = value is True
            else:
                if field is Field.CONTACT_EXTERNAL_ID:
                    contact.external_id = str(value)
                data[field.value] = value
        contact.data = data
        self._written()

    # -- mapping memory (upflow_import.MappingMemory) ---------------------------

    def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        saved = self.session.get(SavedMapping, fingerprint)
        return None if saved is None else dict(saved.mapping)

    def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        self.session.merge(SavedMapping(fingerprint=fingerprint, mapping=dict(mapping)))
        self._written()

    # -- for the demonstration -----------------------------------------------

    def describe(self) -> Iterator[str]:
        """One line per client and per contact."""
        for client in self.session.scalars(select(Client).order_by(Client.id)):
            parent = "" if client.parent_id is None else f" (subsidiary of #{client.parent_id})"
            yield f"#{client.id} {client.name} [{client.external_id or '-'}]{parent}"
            for contact in self.session.scalars(select(Contact).where(Contact.client_id == client.id)
                                                .order_by(Contact.id)):
                yield f"    {contact.email}{' (main)' if contact.is_main else ''}"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    url = argv[1] if len(argv) > 1 else "sqlite:///customers.db"
    repository = SqlAlchemyRepository(create_engine(url))
    try:
        try:
            report = ui.import_file(argv[0], repository)
        except ui.UpflowImportError as error:
            print(f"cannot import {argv[0]}: [{error.code}] {error.message_in('en')}")
            return 2
        summary = report.summary
        print(f"clients: created {summary.clients.create}, updated {summary.clients.update}, "
              f"unchanged {summary.clients.unchanged}, dropped {summary.clients.dropped}")
        print(f"contacts: created {summary.contacts.create}, updated {summary.contacts.update}, "
              f"unchanged {summary.contacts.unchanged}, dropped {summary.contacts.dropped}")
        for issue in report.issues:
            print(f"{issue.severity} {issue.code} row {issue.row}: {issue.message}")
        for line in repository.describe():
            print(line)
    finally:
        repository.close()
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
