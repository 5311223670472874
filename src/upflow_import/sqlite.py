"""The embedded store: :class:`SqliteRepository`, a :class:`~upflow_import.Repository` on SQLite.

It is the store the ``upflow-import`` command line reads and writes, and a
complete, real repository for callers who do not have their own. It uses
the standard library's :mod:`sqlite3` only.

Design notes:

- The schema is versioned with ``PRAGMA user_version`` and created or
  migrated on open by the functions of :data:`MIGRATIONS`, one per version.
  A migration only adds; data is never dropped. A store written by a newer
  version is refused rather than guessed at.
- WAL journal mode, so a reader (``plan``, ``export``) never waits for an
  import that is writing; ``busy_timeout`` so a second import waits for the
  first instead of failing.
- :meth:`SqliteRepository.transaction` starts with ``BEGIN IMMEDIATE``: the
  write lock is taken up front, so two imports serialise cleanly instead of
  one failing when it upgrades a read into a write. Transactions nest
  (savepoints), so a caller may hold one across planning and applying.
- The ``mappings`` table (version 3) is the mapping memory
  (:class:`~upflow_import.MappingMemory`): one JSON mapping per header fingerprint.
- Lookups bind at most :data:`MAX_PARAMS_PER_QUERY` keys per statement, below
  SQLite's limit on bound parameters whatever its compile options.
- Bulk writes (:class:`~upflow_import.SupportsBulkWrites`): one ``executemany``
  per call and kind, inside a savepoint so that a call that raises wrote
  nothing. New rows get ids chosen in advance under the write lock, the ones
  one-by-one inserts would have got; ``lastrowid`` is not used, since
  ``executemany`` does not promise it and nothing promises consecutive rowids.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from upflow_import.errors import StoreError
from upflow_import.fields import Field, Kind
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Id,
    StoredClient,
    StoredContact,
)

__all__ = ["APPLICATION_ID", "MAX_PARAMS_PER_QUERY", "MIGRATIONS", "SCHEMA_VERSION", "SqliteRepository"]

#: Keys bound in one lookup statement. SQLite builds before 3.32 allow 999
#: parameters per statement; staying well below keeps one code path for all.
MAX_PARAMS_PER_QUERY = 500

#: Seconds a writer waits for another writer's lock before giving up.
DEFAULT_TIMEOUT = 300.0


# -- schema -------------------------------------------------------------------

_SCHEMA_V1 = (
    """CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        external_id TEXT,
        name TEXT NOT NULL,
        -- normalize_name(name): the identity of a client without an external id
        name_key TEXT NOT NULL,
        accounting_code TEXT,
        vat_number TEXT,
        address TEXT,
        postal_code TEXT,
        city TEXT,
        state TEXT,
        country TEXT,
        -- a JSON array: a client may have several account managers
        account_manager_email TEXT,
        dunning_plan TEXT,
        payment_term_days INTEGER,
        parent_id INTEGER REFERENCES clients(id)
    )""",
    "CREATE UNIQUE INDEX clients_external_id ON clients(external_id) WHERE external_id IS NOT NULL",
    "CREATE INDEX clients_name_key ON clients(name_key)",
    "CREATE INDEX clients_parent_id ON clients(parent_id)",
    """CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        email TEXT NOT NULL,
        -- normalize_email(email): the identity of a contact
        email_key TEXT NOT NULL,
        first_name TEXT,
        last_name TEXT,
        phone TEXT,
        external_id TEXT,
        position TEXT,
        is_main INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1))
    )""",
    "CREATE UNIQUE INDEX contacts_email_key ON contacts(email_key)",
    "CREATE INDEX contacts_client_id ON contacts(client_id, is_main)",
    """CREATE TABLE account_managers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE dunning_plans (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    )""",
)


def _migrate_to_v1(connection: sqlite3.Connection) -> None:
    """Create the clients, contacts, account managers and dunning plans tables."""
    for statement in _SCHEMA_V1:
        connection.execute(statement)


def _migrate_to_v2(connection: sqlite3.Connection) -> None:
    """Make a contact id unique and indexed (the planner looks contacts up by it), and
    allow at most one main contact per client."""
    connection.execute("CREATE UNIQUE INDEX contacts_external_id ON contacts(external_id) "
                       "WHERE external_id IS NOT NULL")
    connection.execute("CREATE UNIQUE INDEX contacts_one_main ON contacts(client_id) WHERE is_main = 1")


def _migrate_to_v3(connection: sqlite3.Connection) -> None:
    """Add the mapping memory: the column mapping last confirmed for each header fingerprint."""
    connection.execute("""CREATE TABLE mappings (
        fingerprint TEXT PRIMARY KEY,
        -- a JSON object {column: field key or null}
        mapping TEXT NOT NULL,
        saved_at TEXT NOT NULL DEFAULT (datetime('now'))
    )""")


#: ``MIGRATIONS[n]`` takes a store from schema version ``n`` to ``n + 1``.
#: Append a function to change the schema; never edit or remove one, since
#: stores in the field are at every version.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_to_v1, _migrate_to_v2, _migrate_to_v3)

#: The schema version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: ``PRAGMA application_id`` of an upflow-import store ("UPFI"): it tells our
#: files from another program's SQLite database before anything is written.
APPLICATION_ID = 0x55504649

# The tables every store has had since schema version 1: how a store written
# before the application id was set is recognised.
_TABLES_SINCE_V1 = frozenset({"clients", "contacts", "account_managers", "dunning_plans"})


# -- field <-> column ---------------------------------------------------------
# Every field column comes from the field declarations (``FieldSpec.column``). A field
# declared after a store was created gets its column when the store is opened
# (:func:`_add_field_columns`), so a new field needs no migration written by hand.

_CLIENT_FIELDS: tuple[Field, ...] = tuple(f for f in Field if f.entity == "client" and f.spec.column)
_CONTACT_FIELDS: tuple[Field, ...] = tuple(f for f in Field if f.entity == "contact" and f.spec.column)
_COLUMNS: dict[Field, str] = {field: str(field.spec.column) for field in (*_CLIENT_FIELDS, *_CONTACT_FIELDS)}
_CLIENT_COLUMNS = ", ".join(_COLUMNS[f] for f in _CLIENT_FIELDS)
_CONTACT_COLUMNS = ", ".join(_COLUMNS[f] for f in _CONTACT_FIELDS)
_TABLES = {"clients": _CLIENT_FIELDS, "contacts": _CONTACT_FIELDS}


def _sql_type(field: Field) -> str:
    return "INTEGER" if field.spec.kind in (Kind.INTEGER, Kind.FLAG) else "TEXT"


def _missing_field_columns(connection: sqlite3.Connection) -> list[tuple[str, Field]]:
    """The (table, field) of each declared field whose column the store does not have yet."""
    missing: list[tuple[str, Field]] = []
    for table, fields in _TABLES.items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if present:
            missing.extend((table, field) for field in fields if _COLUMNS[field] not in present)
    return missing


def _add_field_columns(connection: sqlite3.Connection, missing: Iterable[tuple[str, Field]]) -> None:
    for table, field in missing:
        connection.execute(f"ALTER TABLE {table} ADD COLUMN {_COLUMNS[field]} {_sql_type(field)}")


# At most one main contact per client (a unique index), found through that index.
_SELECT_CLIENTS = (
    f"SELECT clients.id, clients.parent_id, {', '.join(f'clients.{_COLUMNS[f]}' for f in _CLIENT_FIELDS)}, "
    "main.id, main.email FROM clients "
    "LEFT JOIN contacts AS main ON main.client_id = clients.id AND main.is_main = 1"
)
_SELECT_CONTACTS = f"SELECT id, client_id, {_CONTACT_COLUMNS} FROM contacts"

# One fixed statement per kind of insert, so that sqlite3 prepares it once
# and reuses it for every row of an import.
_INSERT_CLIENT = (
    f"INSERT INTO clients ({_CLIENT_COLUMNS}, name_key, parent_id) "
    f"VALUES ({', '.join('?' * (len(_CLIENT_FIELDS) + 2))})"
)
_INSERT_CONTACT = (
    f"INSERT INTO contacts ({_CONTACT_COLUMNS}, email_key, client_id) "
    f"VALUES ({', '.join('?' * (len(_CONTACT_FIELDS) + 2))})"
)
# Bulk writes insert ids chosen in advance (see SqliteRepository.create_clients).
_INSERT_CLIENT_WITH_ID = (
    f"INSERT INTO clients (id, {_CLIENT_COLUMNS}, name_key, parent_id) "
    f"VALUES ({', '.join('?' * (len(_CLIENT_FIELDS) + 3))})"
)
_INSERT_CONTACT_WITH_ID = (
    f"INSERT INTO contacts (id, {_CONTACT_COLUMNS}, email_key, client_id) "
    f"VALUES ({', '.join('?' * (len(_CONTACT_FIELDS) + 3))})"
)
#: The largest rowid: past it SQLite picks free rowids at random, which cannot be known in advance.
_MAX_ROWID = 2**63 - 1


def _emails_to_json(emails: tuple[str, ...]) -> str | None:
    # No module-level cache: these are a customer's addresses, and a library keeps none between calls.
    return json.dumps(list(emails), ensure_ascii=False) if emails else None


def _to_column(field: Field, value: FieldValue | None) -> Any:
    kind = field.spec.kind
    if kind is Kind.EMAILS:
        if value is None:
            return None
        return _emails_to_json(value if isinstance(value, tuple) else (str(value),))
    if kind is Kind.FLAG:
        return 1 if value is True else 0
    return value


def _emails_from_json(value: str) -> tuple[str, ...]:
    return tuple(str(email) for email in json.loads(value))


def _from_column(field: Field) -> Callable[[Any], FieldValue] | None:
    """How a stored cell becomes a field value; text columns come back as str already."""
    kind = field.spec.kind
    if kind is Kind.EMAILS:
        return _emails_from_json
    if kind is Kind.INTEGER:
        return int
    if kind is Kind.FLAG:
        return bool
    return None


_CLIENT_READERS = tuple((f, _from_column(f)) for f in _CLIENT_FIELDS)
_CONTACT_READERS = tuple((f, _from_column(f)) for f in _CONTACT_FIELDS)


def _read(readers: tuple[tuple[Field, Callable[[Any], FieldValue] | None], ...],
          cells: Sequence[Any]) -> dict[Field, FieldValue]:
    return {
        field: cell if convert is None else convert(cell)
        for (field, convert), cell in zip(readers, cells, strict=True)
        if cell is not None
    }


def _chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), MAX_PARAMS_PER_QUERY):
        yield unique[start:start + MAX_PARAMS_PER_QUERY]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _client_row(record: ClientRecord, parent_id: Id | None) -> tuple[Any, ...]:
    """The values of ``_INSERT_CLIENT``: the ``_CLIENT_FIELDS`` columns, name_key, parent_id."""
    if record.name is None:
        raise ValueError("a client needs a name to be created")
    values = record.values()
    return (*(_to_column(field, values.get(field)) for field in _CLIENT_FIELDS),
            normalize_name(record.name), parent_id)


def _contact_row(client_id: Id, record: ContactRecord) -> tuple[Any, ...]:
    """The values of ``_INSERT_CONTACT``: the ``_CONTACT_FIELDS`` columns, email_key, client_id."""
    if record.email is None:
        raise ValueError("a contact needs an email to be created")
    values = record.values()
    return (*(_to_column(field, values.get(field)) for field in _CONTACT_FIELDS),
            normalize_email(record.email), client_id)


def _client_assignments(changes: ClientChanges) -> dict[str, Any]:
    """``{column: value}`` of a client update."""
    assignments: dict[str, Any] = {}
    for field, value in changes.values.items():
        if field.entity != "client":
            raise ValueError(f"{field.value} is not a client field")
        assignments[_COLUMNS[field]] = _to_column(field, value)
        if field is Field.CLIENT_NAME:
            assignments["name_key"] = normalize_name(str(value))
    if changes.parent_id is not None:
        assignments["parent_id"] = changes.parent_id
    return assignments


def _contact_assignments(changes: ContactChanges) -> dict[str, Any]:
    """``{column: value}`` of a contact update."""
    assignments: dict[str, Any] = {}
    for field, value in changes.values.items():
        if field.entity != "contact":
            raise ValueError(f"{field.value} is not a contact field")
        assignments[_COLUMNS[field]] = _to_column(field, value)
        if field is Field.CONTACT_EMAIL:
            assignments["email_key"] = normalize_email(str(value))
    return assignments


class SqliteRepository:
    """A :class:`~upflow_import.Repository` stored in one SQLite file.

    ``path`` is created on first use (``":memory:"`` gives a private,
    throw-away store). With ``read_only=True`` the file is opened so that no
    write can happen, not even by mistake: what ``upflow-import plan`` uses;
    a missing file is then an error, and a store at an older schema is
    migrated first (migrations keep every row). ``timeout`` is how many
    seconds a write waits for another process's import to finish.

    Account managers and dunning plans are checked only once at least one of
    them is registered (:meth:`add_account_managers`,
    :meth:`add_dunning_plans`); until then :meth:`known_account_managers` and
    :meth:`known_dunning_plans` return ``None``, meaning "not tracked".

    Use it as a context manager, or call :meth:`close`, to release the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"SqliteRepository needs a file path or ':memory:', not {type(path).__name__}")
        self.path = os.fspath(path)
        if not isinstance(self.path, str):
            raise TypeError("SqliteRepository needs a text path, not bytes")
        self.read_only = read_only
        self._timeout = timeout
        self._depth = 0
        if read_only and (self.path == ":memory:" or not Path(self.path).is_file()):
            raise self._error("no such file")
        self._connection = self._open()
        if read_only and self.schema_version < SCHEMA_VERSION:
            # A migration is a write: run it through a writable connection,
            # then come back read-only.
            self._connection.close()
            SqliteRepository(self.path, timeout=timeout).close()
            self._connection = self._open()

    # -- opening --------------------------------------------------------------

    def _error(self, detail: str) -> StoreError:
        return StoreError.from_code("store.unusable", path=self.path, detail=detail)  # type: ignore[return-value]

    def _open(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                connection = sqlite3.connect(uri, uri=True, timeout=self._timeout,
                                             isolation_level=None)
            else:
                connection = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise self._error(str(error)) from None
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            # Before anything else: another program's database, or a newer store,
            # must be left exactly as it is (not even switched to WAL).
            self._check_ownership(connection)
            self._check_version(connection.execute("PRAGMA user_version").fetchone()[0])
            if not self.read_only:
                # Persistent in the file; a no-op when it is already WAL.
                connection.execute("PRAGMA journal_mode = WAL")
                # WAL makes NORMAL durable against application crashes and much faster.
                connection.execute("PRAGMA synchronous = NORMAL")
                self._migrate(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise self._error(str(error)) from None
        except StoreError:
            connection.close()
            raise
        return connection

    def _check_ownership(self, connection: sqlite3.Connection) -> None:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        if application_id == APPLICATION_ID:
            return
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id == 0 and not tables:
            return  # a new, empty file: it becomes a store
        if application_id == 0 and tables >= _TABLES_SINCE_V1:
            return  # a store written before the application id was set
        raise StoreError.from_code("store.foreign_database", path=self.path)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError.from_code("store.newer_schema", path=self.path, found=version,
                                supported=SCHEMA_VERSION)

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        owned = connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        if version == SCHEMA_VERSION and owned and not _missing_field_columns(connection):
            return
        self._check_version(version)
        # Read the version again under the write lock: another process may
        # have migrated the file meanwhile.
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            self._check_version(version)
            for migration in MIGRATIONS[version:]:
                migration(connection)
            _add_field_columns(connection, _missing_field_columns(connection))
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._connection.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the file. The repository cannot be used afterwards."""
        self._connection.close()

    def __enter__(self) -> SqliteRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteRepository({self.path!r}, read_only={self.read_only})"

    # -- transactions ---------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[SqliteRepository]:
        """Run a block atomically: everything it wrote is committed, or nothing if it raises.

        The outermost transaction takes the write lock at once, waiting up
        to ``timeout`` for another writer. Nested calls are savepoints.
        """
        depth = self._depth
        savepoint = f"upflow_{depth}"
        self._connection.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if depth == 0:
                self._connection.execute("ROLLBACK")
            else:
                self._connection.execute(f"ROLLBACK TO {savepoint}")
                self._connection.execute(f"RELEASE {savepoint}")
            raise
        self._depth -= 1
        self._connection.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")

    # -- reads ----------------------------------------------------------------

    def _client(self, row: tuple[Any, ...]) -> StoredClient:
        client_id, parent_id, *cells, main_contact_id, main_contact_email = row
        return StoredClient(
            id=client_id,
            values=_read(_CLIENT_READERS, cells),
            parent_id=parent_id,
            main_contact_id=main_contact_id,
            main_contact_email=main_contact_email,
        )

    def _contact(self, row: tuple[Any, ...]) -> StoredContact:
        contact_id, client_id, *cells = row
        return StoredContact(id=contact_id, client_id=client_id, email=cells[0],
                             values=_read(_CONTACT_READERS, cells))

    def _select_in(self, select: str, column: str, keys: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        for chunk in _chunks(keys):
            sql = f"{select} WHERE {column} IN ({_placeholders(len(chunk))})"
            yield from self._connection.execute(sql, chunk)

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        rows = self._select_in(_SELECT_CLIENTS, "clients.external_id", external_ids)
        return [self._client(row) for row in rows]

    def find_clients_by_ids(self, ids: Sequence[Id]) -> list[StoredClient]:
        """Stored clients whose store id is one of ``ids``."""
        return [self._client(row) for row in self._select_in(
            _SELECT_CLIENTS, "clients.id", (client_id for client_id in ids if isinstance(client_id, int)))]

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient]:
        """Stored clients whose normalised name is one of ``names`` (normalised keys)."""
        return [self._client(row) for row in self._select_in(_SELECT_CLIENTS, "clients.name_key", names)]

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact]:
        """Stored contacts whose normalised email is one of ``emails`` (normalised keys)."""
        return [self._contact(row) for row in self._select_in(_SELECT_CONTACTS, "email_key", emails)]

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact]:
        """Stored contacts whose contact external id is one of ``external_ids`` (exact match)."""
        return [self._contact(row) for row in self._select_in(_SELECT_CONTACTS, "external_id", external_ids)]

    def _has_any(self, table: str) -> bool:
        return bool(self._connection.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0])

    def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        """The ``emails`` that are registered account managers (case-insensitive);
        ``None`` while none is registered."""
        if not self._has_any("account_managers"):
            return None
        by_key: dict[str, list[str]] = {}
        for email in emails:
            by_key.setdefault(normalize_email(email), []).append(email)
        known: set[str] = set()
        for (key,) in self._select_in("SELECT email_key FROM account_managers", "email_key", by_key):
            known.update(by_key[key])
        return known

    def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        """The ``names`` that are registered dunning plans, compared with
        :func:`~upflow_import.normalize_reference` (as a reader sees them: a
        non-breaking space is a space, case counts); ``None`` while none is registered."""
        if not self._has_any("dunning_plans"):
            return None
        # A store holds a handful of plans: all are read and compared here.
        registered = {normalize_reference(name) for (name,) in
                      self._connection.execute("SELECT name FROM dunning_plans")}
        return {name for name in names if normalize_reference(name) in registered}

    def all_account_managers(self) -> list[str]:
        """Every registered account manager's email, in the order they were added."""
        return [email for (email,) in self._connection.execute(
            "SELECT email FROM account_managers ORDER BY id")]

    def all_dunning_plans(self) -> list[str]:
        """Every registered dunning plan's name, in the order they were added."""
        return [name for (name,) in self._connection.execute("SELECT name FROM dunning_plans ORDER BY id")]

    # -- mapping memory (see upflow_import.MappingMemory) ----------------------

    def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        """The column mapping saved under ``fingerprint``, or ``None``."""
        found = self._connection.execute("SELECT mapping FROM mappings WHERE fingerprint = ?",
                                         (fingerprint,)).fetchone()
        if found is None:
            return None
        try:
            mapping = json.loads(found[0])
        except ValueError:
            return None
        if not isinstance(mapping, dict) or not all(
                isinstance(column, str) and (key is None or isinstance(key, str))
                for column, key in mapping.items()):
            return None  # not written by this code: ignored rather than trusted
        return mapping

    def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` (``{column: field key or None}``) under ``fingerprint``."""
        with self.transaction():
            self._connection.execute(
                "INSERT OR REPLACE INTO mappings (fingerprint, mapping) VALUES (?, ?)",
                (fingerprint, json.dumps(dict(mapping), ensure_ascii=False)))

    # -- reference data -------------------------------------------------------

    def add_account_managers(self, emails: Iterable[str]) -> list[str]:
        """Register account managers; returns the ones that were not registered yet.

        Emails are compared case-insensitively; the first spelling is kept.
        """
        added = []
        with self.transaction():
            for email in emails:
                cursor = self._connection.execute(
                    "INSERT OR IGNORE INTO account_managers (email, email_key) VALUES (?, ?)",
                    (email.strip(), normalize_email(email)))
                if cursor.rowcount:
                    added.append(email.strip())
        return added

    def add_dunning_plans(self, names: Iterable[str]) -> list[str]:
        """Register dunning plans; returns the ones that were not registered yet.

        A name equal to a registered one as a reader sees it (it differs only by
        the kind of space: see :func:`~upflow_import.normalize_reference`) is
        already registered.
        """
        added = []
        with self.transaction():
            registered = {normalize_reference(name) for (name,) in
                          self._connection.execute("SELECT name FROM dunning_plans")}
            for name in names:
                key = normalize_reference(name)
                if key in registered:
                    continue
                cursor = self._connection.execute(
                    "INSERT OR IGNORE INTO dunning_plans (name) VALUES (?)", (name.strip(),))
                if cursor.rowcount:
                    registered.add(key)
                    added.append(name.strip())
        return added

    # -- writes ---------------------------------------------------------------

    def create_client(self, record: ClientRecord, parent_id: Id | None) -> int:
        """Store a new client and return its id (an integer rowid)."""
        cursor = self._connection.execute(_INSERT_CLIENT, _client_row(record, parent_id))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_client(self, client_id: Id, changes: ClientChanges) -> None:
        """Change only the fields in ``changes``, and the parent when it is given."""
        self._update("clients", client_id, _client_assignments(changes))

    def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        """Store a new contact of ``client_id`` and return its id (an integer rowid)."""
        cursor = self._connection.execute(_INSERT_CONTACT, _contact_row(client_id, record))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_contact(self, contact_id: Id, changes: ContactChanges) -> None:
        """Change only the fields in ``changes`` (``contact.is_main`` ``False`` demotes)."""
        self._update("contacts", contact_id, _contact_assignments(changes))

    def _update(self, table: str, row_id: Id, assignments: dict[str, Any]) -> None:
        if assignments:
            sets = ", ".join(f"{column} = ?" for column in assignments)
            found = self._connection.execute(
                f"UPDATE {table} SET {sets} WHERE id = ?", [*assignments.values(), row_id]).rowcount > 0
        else:
            found = self._connection.execute(
                f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
        if not found:
            raise KeyError(f"no {table[:-1]} has id {row_id!r}")

    # -- bulk writes (SupportsBulkWrites) -------------------------------------
    #
    # Each call runs in a transaction of its own (a savepoint inside the caller's), so that
    # one that raises has written nothing. New rows get ids chosen in advance: the next
    # ``max(id) + 1`` onwards, read after the write lock is taken, so no other writer can
    # take them meanwhile; they are the ids one-by-one inserts would have got. (Counting
    # from ``cursor.lastrowid`` would not do: ``executemany`` does not promise to set it,
    # and nothing makes the rowids of one statement's rows consecutive.)

    def create_clients(self, items: Sequence[tuple[ClientRecord, Id | None]]) -> list[int]:
        """:meth:`create_client` for each ``(record, parent_id)``, all or nothing; the new ids in order."""
        rows = [_client_row(record, parent_id) for record, parent_id in items]
        return self._insert_many("clients", _INSERT_CLIENT, _INSERT_CLIENT_WITH_ID, rows)

    def create_contacts(self, items: Sequence[tuple[Id, ContactRecord]]) -> list[int]:
        """:meth:`create_contact` for each ``(client_id, record)``, all or nothing; the new ids in order."""
        rows = [_contact_row(client_id, record) for client_id, record in items]
        return self._insert_many("contacts", _INSERT_CONTACT, _INSERT_CONTACT_WITH_ID, rows)

    def update_clients(self, items: Sequence[tuple[Id, ClientChanges]]) -> None:
        """:meth:`update_client` for each ``(client_id, changes)``, all or nothing."""
        self._update_many("clients",
                          [(client_id, _client_assignments(changes)) for client_id, changes in items])

    def update_contacts(self, items: Sequence[tuple[Id, ContactChanges]]) -> None:
        """:meth:`update_contact` for each ``(contact_id, changes)``, all or nothing."""
        self._update_many("contacts",
                          [(contact_id, _contact_assignments(changes)) for contact_id, changes in items])

    def _insert_many(self, table: str, insert: str, insert_with_id: str,
                     rows: list[tuple[Any, ...]]) -> list[int]:
        with self.transaction():
            last = self._connection.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0
            if last > _MAX_ROWID - len(rows):
                # SQLite now picks rowids at random: one row at a time, as create_* does.
                return [self._connection.execute(insert, row).lastrowid or 0 for row in rows]
            ids = list(range(last + 1, last + 1 + len(rows)))
            self._connection.executemany(
                insert_with_id, [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)])
        return ids

    def _update_many(self, table: str, updates: list[tuple[Id, dict[str, Any]]]) -> None:
        with self.transaction():
            # Consecutive updates of the same columns share one statement; the order is kept.
            start = 0
            while start < len(updates):
                columns = tuple(updates[start][1])
                end = start + 1
                while end < len(updates) and tuple(updates[end][1]) == columns:
                    end += 1
                run = updates[start:end]
                if not columns:
                    for row_id, assignments in run:
                        self._update(table, row_id, assignments)
                else:
                    sets = ", ".join(f"{column} = ?" for column in columns)
                    changed = self._connection.executemany(
                        f"UPDATE {table} SET {sets} WHERE id = ?",
                        [(*assignments.values(), row_id) for row_id, assignments in run]).rowcount
                    if changed != len(run):
                        missing = [row_id for row_id, _ in run if self._connection.execute(
                            f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is None]
                        raise KeyError(f"no {table[:-1]} has id {missing[0]!r}" if missing
                                       else f"{table}: {changed} rows changed for {len(run)} updates")
                start = end

    # -- export ---------------------------------------------------------------

    def count(self) -> dict[str, int]:
        """How many clients, contacts, account managers and dunning plans the store holds."""
        return {
            table: int(self._connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("clients", "contacts", "account_managers", "dunning_plans")
        }

    def export(self) -> dict[str, list[dict[str, object]]]:
        """Everything the store holds, as ``upflow-import export --json`` prints it.

        ``{"clients": [{"id", "external_id", "name", …field keys without their
        prefix…, "parent_id", "contacts": [{"id", "email", …, "is_main"}]}]}``,
        clients and contacts in creation order; unset fields are ``null``.
        """
        contacts: dict[int, list[dict[str, object]]] = {}
        for contact_id, client_id, *cells in self._connection.execute(f"{_SELECT_CONTACTS} ORDER BY id"):
            contact: dict[str, object] = {"id": contact_id}
            values = _read(_CONTACT_READERS, cells)
            for field in _CONTACT_FIELDS:
                contact[_COLUMNS[field]] = values.get(field)
            contacts.setdefault(client_id, []).append(contact)
        clients: list[dict[str, object]] = []
        for client_id, parent_id, *cells, _, _ in self._connection.execute(
                f"{_SELECT_CLIENTS} ORDER BY clients.id"):
            client: dict[str, object] = {"id": client_id}
            values = _read(_CLIENT_READERS, cells)
            for field in _CLIENT_FIELDS:
                value = values.get(field)
                client[_COLUMNS[field]] = list(value) if isinstance(value, tuple) else value
            client["parent_id"] = parent_id
            client["contacts"] = contacts.get(client_id, [])
            clients.append(client)
        return {"clients": clients}

