"""A reference store on PostgreSQL: :class:`PostgresRepository` and :class:`AsyncPostgresRepository`.

Both implement the whole :class:`~upflow_import.Repository` protocol and its
optional parts (transactions, bulk writes, contact external ids, store ids,
reference listings, mapping memory) on one connection of **psycopg 3**
(``pip install "upflow-import[postgres]"``). Use them as they are, or copy
this module into your service and adapt the table names: it is written to
be read.

Why psycopg 3 and not an ORM or SQLAlchemy Core: one driver serves the
synchronous and the asynchronous API with the same SQL, with server-side
parameters, pipelining and ``executemany`` batching; and with no layer
between the SQL and the planner, what reaches the server is exactly the
statements declared here (``= ANY(%s)`` lookups, one ``unnest`` statement or
one ``COPY`` per batch of writes), which is what makes bulk writes fast.

Design notes:

- Every statement is declared once, in the ``_Ops`` functions below. Each
  repository method is a small generator that yields the statements it
  needs and receives their results; the synchronous and the asynchronous
  class only run those generators (``_run`` / ``await _run``), so no SQL and
  no rule is written twice.
- :func:`create_schema` makes the tables. The unique indexes make a
  duplicate impossible whatever the callers do: a client's external id; the
  normalised name of a client without external id (such a client is
  identified by its name); a contact's normalised email; a
  contact's external id; one main contact per client.
- ``transaction()`` is ``connection.transaction()`` (a real transaction,
  or a savepoint when one is already open, so it nests), and the outermost
  one takes the transaction-level advisory lock :data:`LOCK_KEY`.
  :func:`~upflow_import.import_file` plans and writes inside one
  ``transaction()``, so two imports into the same database run one after
  the other, the second planning against what the first wrote: no
  duplicate, every row accounted for. The unique indexes stay the last line
  of defence for writes made without it.
- Each write runs in a savepoint of its own: a write the database refuses
  (a unique index, a missing row) is one ``apply.failed`` operation, and
  the transaction around it goes on, as with the other stores.
- Bulk writes (:class:`~upflow_import.SupportsBulkWrites`): a batch of
  creations is one statement, its values passed as one array per column and
  spread by ``unnest``; from :attr:`PostgresRepository.copy_from` records on,
  the rows are copied (``COPY``) into a temporary staging table instead,
  which one statement empties into the table. New ids are drawn from the
  table's sequence inside that statement and returned in the order of the
  items. A run of updates of the same columns is one ``UPDATE ... FROM
  unnest(...)``.
- Ids are the tables' ``bigint`` identity values (``int``).

Pass an autocommit connection (``psycopg.connect(dsn, autocommit=True)``) so
that ``transaction()`` is the transaction; on a connection already inside
a transaction it is a savepoint, and the caller commits.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Literal, TypeVar

import attrs
import psycopg

from upflow_import.fields import SPECS, Field, Kind
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Id,
    StoredClient,
    StoredContact,
)

__all__ = ["LOCK_KEY", "SCHEMA", "AsyncPostgresRepository", "PostgresRepository", "create_schema",
           "create_schema_async"]

#: The key of the transaction-level advisory lock that the outermost ``transaction()`` takes
#: (``pg_advisory_xact_lock``), so that imports into one database run one after the other.
LOCK_KEY = 0x55504649_6D706F72  # "UPFImpor"

_T = TypeVar("_T")


# -- columns: derived from the field catalogue ---------------------------------------------------

_CLIENT_FIELDS: tuple[Field, ...] = tuple(f for f in Field if f.entity == "client")
_CONTACT_FIELDS: tuple[Field, ...] = tuple(f for f in Field if f.entity == "contact")


def _column(field: Field) -> str:
    # Named after the field key without its prefix, as in the SQLite store and the export.
    return field.value.split(".", 1)[1]


_SQL_TYPES: Mapping[Kind, str] = {Kind.EMAILS: "text[]", Kind.INTEGER: "integer", Kind.FLAG: "boolean"}


def _sql_type(field: Field) -> str:
    return _SQL_TYPES.get(SPECS[field].kind, "text")


def _columns(fields: Iterable[Field]) -> str:
    return ", ".join(_column(field) for field in fields)


def _definitions(fields: Iterable[Field]) -> str:
    return ",\n    ".join(
        f"{_column(field)} {_sql_type(field)}" + (" NOT NULL" if field in _NOT_NULL else "")
        + (" DEFAULT false" if field is Field.CONTACT_IS_MAIN else "")
        for field in fields)


_NOT_NULL = frozenset({Field.CLIENT_NAME, Field.CONTACT_EMAIL, Field.CONTACT_IS_MAIN})

#: The statements of :func:`create_schema`, in order; each can run again on an existing schema.
SCHEMA: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS clients (
    id bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME clients_id_seq) PRIMARY KEY,
    {_definitions(_CLIENT_FIELDS)},
    -- normalize_name(name): the identity of a client without an external id
    name_key text NOT NULL,
    -- deleting a group leaves its subsidiaries, without parent
    parent_id bigint REFERENCES clients (id) ON DELETE SET NULL
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS clients_external_id ON clients (external_id)",
    # A client without external id is identified by its name: two such clients with one name
    # would be the duplicate an import must never make.
    "CREATE UNIQUE INDEX IF NOT EXISTS clients_name_key_without_external_id ON clients (name_key) "
    "WHERE external_id IS NULL",
    "CREATE INDEX IF NOT EXISTS clients_name_key ON clients (name_key)",
    "CREATE INDEX IF NOT EXISTS clients_parent_id ON clients (parent_id)",
    f"""CREATE TABLE IF NOT EXISTS contacts (
    id bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME contacts_id_seq) PRIMARY KEY,
    -- a contact belongs to its client and goes with it
    client_id bigint NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    {_definitions(_CONTACT_FIELDS)},
    -- normalize_email(email): the identity of a contact
    email_key text NOT NULL
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS contacts_email_key ON contacts (email_key)",
    "CREATE UNIQUE INDEX IF NOT EXISTS contacts_external_id ON contacts (external_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS contacts_one_main ON contacts (client_id) WHERE is_main",
    "CREATE INDEX IF NOT EXISTS contacts_client_id ON contacts (client_id)",
    """CREATE TABLE IF NOT EXISTS account_managers (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    email_key text NOT NULL UNIQUE
)""",
    """CREATE TABLE IF NOT EXISTS dunning_plans (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
)""",
    """CREATE TABLE IF NOT EXISTS mappings (
    fingerprint text PRIMARY KEY,
    -- {column: field key or null}
    mapping jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now()
)""",
)


# -- statements ----------------------------------------------------------------------------------

_LOCK = "SELECT pg_advisory_xact_lock(%s)"

_SELECT_CLIENTS = (
    f"SELECT clients.id, clients.parent_id, {', '.join(f'clients.{_column(f)}' for f in _CLIENT_FIELDS)}, "
    "main.id, main.email FROM clients "
    # At most one main contact per client (a unique index), found through that index.
    "LEFT JOIN contacts AS main ON main.client_id = clients.id AND main.is_main"
)
_SELECT_CONTACTS = f"SELECT id, client_id, {_columns(_CONTACT_FIELDS)} FROM contacts"

# The columns an insert writes besides the fields, with their types.
_CLIENT_EXTRA = (("name_key", "text"), ("parent_id", "bigint"))
_CONTACT_EXTRA = (("email_key", "text"), ("client_id", "bigint"))


def _insert_one(table: str, fields: Sequence[Field], extra: Sequence[tuple[str, str]]) -> str:
    names = [*map(_column, fields), *(name for name, _ in extra)]
    return (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
            "RETURNING id")


def _rebuilt(source: str, name: str, sql_type: str) -> str:
    """The value of column ``name`` read from ``source``: ``text[]`` columns travel as JSON text
    (an array of arrays cannot be spread by ``unnest``) and are rebuilt here."""
    if sql_type != "text[]":
        return f"{source}.{name}"
    return (f"CASE WHEN {source}.{name} IS NULL THEN NULL "
            f"ELSE ARRAY(SELECT jsonb_array_elements_text({source}.{name}::jsonb)) END")


def _carried(sql_type: str) -> str:
    """The type a column travels as in a bulk write (see ``_rebuilt``)."""
    return "text" if sql_type == "text[]" else sql_type


@attrs.frozen
class _BulkInsert:
    """The statements that create many rows of ``table`` at once, in either of two ways.

    - ``unnest``: one statement, the values passed as one array per column; the fewest round
      trips, for small batches.
    - ``copy``: the rows are copied (``COPY ... FROM STDIN``, formatted by psycopg's C code) into
      a temporary staging table, which one statement then empties into ``table``; faster per
      row, for large batches.

    Either way the ids are drawn from the table's sequence in the order of the items, inside the
    inserting statement, and given back in that order.
    """

    table: str
    names: tuple[str, ...]
    types: tuple[str, ...]

    @classmethod
    def from_fields(cls, table: str, fields: Sequence[Field],
                    extra: Sequence[tuple[str, str]]) -> _BulkInsert:
        return cls(table, (*map(_column, fields), *(name for name, _ in extra)),
                   (*map(_sql_type, fields), *(sql_type for _, sql_type in extra)))

    def _insert_from(self, source: str) -> str:
        """``WITH ... SELECT id``: insert the rows of the ``input`` step, give their ids back in order.
        ``input`` is materialised (it is read twice), so each row draws its id once."""
        columns = ", ".join(self.names)
        values = ", ".join(_rebuilt("input", name, sql_type)
                           for name, sql_type in zip(self.names, self.types, strict=True))
        return (f"{source}, inserted AS (INSERT INTO {self.table} (id, {columns}) "
                f"SELECT input.id, {values} FROM input) SELECT id FROM input ORDER BY item_order")

    @property
    def unnest(self) -> str:
        arrays = ", ".join(f"%s::{_carried(sql_type)}[]" for sql_type in self.types)
        return self._insert_from(
            f"WITH input AS (SELECT nextval('{self.table}_id_seq') AS id, arrays.* FROM unnest({arrays}) "
            f"WITH ORDINALITY AS arrays ({', '.join(self.names)}, item_order))")

    @property
    def staging(self) -> str:
        return f"upflow_{self.table}_staging"

    @property
    def create_staging(self) -> str:
        """Made in this session's temporary schema when missing (it is private to the connection,
        and goes when a rolled-back transaction made it)."""
        columns = ", ".join(f"{name} {_carried(sql_type)}"
                            for name, sql_type in zip(self.names, self.types, strict=True))
        return f"CREATE TEMPORARY TABLE {self.staging} ({columns}, item_order integer NOT NULL)"

    @property
    def copy(self) -> str:
        return f"COPY pg_temp.{self.staging} ({', '.join(self.names)}, item_order) FROM STDIN"

    @property
    def from_staging(self) -> str:
        return self._insert_from(
            f"WITH staged AS (DELETE FROM pg_temp.{self.staging} RETURNING *), "
            f"input AS (SELECT nextval('{self.table}_id_seq') AS id, ordered.* "
            "FROM (SELECT * FROM staged ORDER BY item_order) AS ordered)")


_INSERT_CLIENT = _insert_one("clients", _CLIENT_FIELDS, _CLIENT_EXTRA)
_INSERT_CLIENTS = _BulkInsert.from_fields("clients", _CLIENT_FIELDS, _CLIENT_EXTRA)
_INSERT_CONTACT = _insert_one("contacts", _CONTACT_FIELDS, _CONTACT_EXTRA)
_INSERT_CONTACTS = _BulkInsert.from_fields("contacts", _CONTACT_FIELDS, _CONTACT_EXTRA)

_COLUMN_TYPES: Mapping[str, str] = {
    **{_column(field): _sql_type(field) for field in (*_CLIENT_FIELDS, *_CONTACT_FIELDS)},
    "name_key": "text", "email_key": "text", "parent_id": "bigint",
}


def _update_one(table: str, columns: Sequence[str]) -> str:
    return f"UPDATE {table} SET {', '.join(f'{column} = %s' for column in columns)} WHERE id = %s"


def _update_many(table: str, columns: Sequence[str]) -> str:
    """One statement for a run of updates of the same columns (ids distinct within the run)."""
    arrays = ", ".join(
        f"%s::{'text' if _COLUMN_TYPES[column] == 'text[]' else _COLUMN_TYPES[column]}[]"
        for column in columns)
    sets = ", ".join(
        f"{column} = CASE WHEN changes.{column} IS NULL THEN NULL "
        f"ELSE ARRAY(SELECT jsonb_array_elements_text(changes.{column}::jsonb)) END"
        if _COLUMN_TYPES[column] == "text[]" else f"{column} = changes.{column}"
        for column in columns)
    return (f"UPDATE {table} SET {sets} FROM unnest(%s::bigint[], {arrays}) "
            f"AS changes (id, {', '.join(columns)}) WHERE {table}.id = changes.id")


_ALL_ACCOUNT_MANAGERS = "SELECT email FROM account_managers ORDER BY id"
_ALL_DUNNING_PLANS = "SELECT name FROM dunning_plans ORDER BY id"
_COUNT = ("SELECT (SELECT count(*) FROM clients), (SELECT count(*) FROM contacts), "
          "(SELECT count(*) FROM account_managers), (SELECT count(*) FROM dunning_plans)")
_SAVE_MAPPING = (
    "INSERT INTO mappings (fingerprint, mapping) VALUES (%s, %s::jsonb) "
    "ON CONFLICT (fingerprint) DO UPDATE SET mapping = excluded.mapping, saved_at = now()")


# -- values <-> columns --------------------------------------------------------------------------

def _cell(field: Field, value: FieldValue | None) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if field is Field.CONTACT_IS_MAIN:
        return value is True
    return value


def _read(fields: Sequence[Field], cells: Sequence[Any]) -> dict[Field, FieldValue]:
    return {field: tuple(cell) if isinstance(cell, list) else cell
            for field, cell in zip(fields, cells, strict=True) if cell is not None}


def _row(fields: Sequence[Field], values: Mapping[Field, FieldValue], *extra: Any) -> list[Any]:
    """The columns of ``fields`` (unset ones ``NULL``), then ``extra``.

    Called once per record of a bulk write: the cells are taken as they are, and only the
    columns that need it are converted (a list of emails, a main-contact flag never ``NULL``).
    """
    row = [values.get(field) for field in fields]
    for index in _CONVERTED[fields]:
        row[index] = _cell(fields[index], row[index])
    row += extra
    return row


_CONVERTED: Mapping[Sequence[Field], tuple[int, ...]] = {
    fields: tuple(index for index, field in enumerate(fields)
                  if _sql_type(field) == "text[]" or field is Field.CONTACT_IS_MAIN)
    for fields in (_CLIENT_FIELDS, _CONTACT_FIELDS)
}


def _client_row(record: ClientRecord, parent_id: Id | None) -> list[Any]:
    """The parameters of ``_INSERT_CLIENT``: the field columns, name_key, parent_id."""
    if record.name is None:
        raise ValueError("a client needs a name to be created")
    return _row(_CLIENT_FIELDS, record.values(), normalize_name(record.name), parent_id)


def _contact_row(client_id: Id, record: ContactRecord) -> list[Any]:
    """The parameters of ``_INSERT_CONTACT``: the field columns, email_key, client_id."""
    if record.email is None:
        raise ValueError("a contact needs an email to be created")
    return _row(_CONTACT_FIELDS, record.values(), normalize_email(record.email), client_id)


def _client_assignments(changes: ClientChanges) -> dict[str, Any]:
    assignments: dict[str, Any] = {}
    for field, value in changes.values.items():
        if field.entity != "client":
            raise ValueError(f"{field.value} is not a client field")
        assignments[_column(field)] = _cell(field, value)
        if field is Field.CLIENT_NAME:
            assignments["name_key"] = normalize_name(str(value))
    if changes.parent_id is not None:
        assignments["parent_id"] = changes.parent_id
    return assignments


def _contact_assignments(changes: ContactChanges) -> dict[str, Any]:
    assignments: dict[str, Any] = {}
    for field, value in changes.values.items():
        if field.entity != "contact":
            raise ValueError(f"{field.value} is not a contact field")
        assignments[_column(field)] = _cell(field, value)
        if field is Field.CONTACT_EMAIL:
            assignments["email_key"] = normalize_email(str(value))
    return assignments


def _json(cell: Any) -> Any:
    return None if cell is None else json.dumps(cell, ensure_ascii=False)


def _as_array(sql_type: str, cells: list[Any]) -> list[Any]:
    """A column of a bulk statement: ``text[]`` cells as JSON text (see ``_rebuilt``)."""
    return [_json(cell) for cell in cells] if sql_type == "text[]" else cells


def _transposed(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> list[list[Any]]:
    return [_as_array(sql_type, list(column))
            for sql_type, column in zip(types, zip(*rows, strict=True), strict=True)]


def _staged(rows: Sequence[Sequence[Any]], types: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows as copied into a staging table: ``text[]`` cells as JSON text, then the order."""
    lists = [index for index, sql_type in enumerate(types) if sql_type == "text[]"]
    staged = []
    for order, row in enumerate(rows):
        cells = list(row)
        for index in lists:
            cells[index] = _json(cells[index])
        staged.append((*cells, order))
    return staged


def _stored_client(row: Sequence[Any]) -> StoredClient:
    client_id, parent_id, *cells, main_contact_id, main_contact_email = row
    return StoredClient(id=client_id, values=_read(_CLIENT_FIELDS, cells), parent_id=parent_id,
                        main_contact_id=main_contact_id, main_contact_email=main_contact_email)


def _stored_contact(row: Sequence[Any]) -> StoredContact:
    contact_id, client_id, *cells = row
    return StoredContact(id=contact_id, client_id=client_id, email=cells[0],
                         values=_read(_CONTACT_FIELDS, cells))


def _valid_mapping(found: object) -> dict[str, str | None] | None:
    if not isinstance(found, dict) or not all(
            isinstance(column, str) and (key is None or isinstance(key, str))
            for column, key in found.items()):
        return None  # not written by this code: ignored rather than trusted
    return found


# -- the operations, once for both drivers -------------------------------------------------------

@attrs.frozen
class _Query:
    """One statement an operation needs: its rows (``rows``) or its row count (``count``) come
    back; or a ``COPY ... FROM STDIN`` (``copy``) of the rows in ``params``, and ``None``."""

    sql: str
    params: Sequence[Any] = ()
    answer: Literal["rows", "count", "copy"] = "rows"


#: An operation: yields the statements it needs, receives each one's answer, returns its result.
_Op = Generator[_Query, Any, _T]


def _ints(ids: Iterable[Id]) -> list[int]:
    # Ids this store never made (another store's, text) cannot match: they are left out.
    return list(dict.fromkeys(i for i in ids if isinstance(i, int) and not isinstance(i, bool)))


class _Ops:
    """Every operation of the repositories, as generators of :class:`_Query`."""

    @staticmethod
    def find_clients(column: str, keys: Sequence[Any], sql_type: str = "text") -> _Op[list[StoredClient]]:
        rows = yield _Query(f"{_SELECT_CLIENTS} WHERE clients.{column} = ANY(%s::{sql_type}[])",
                            (list(dict.fromkeys(keys)),))
        return [_stored_client(row) for row in rows]

    @staticmethod
    def find_contacts(column: str, keys: Sequence[str]) -> _Op[list[StoredContact]]:
        rows = yield _Query(f"{_SELECT_CONTACTS} WHERE {column} = ANY(%s::text[])",
                            (list(dict.fromkeys(keys)),))
        return [_stored_contact(row) for row in rows]

    @staticmethod
    def known_account_managers(emails: Sequence[str]) -> _Op[set[str] | None]:
        by_key: dict[str, list[str]] = {}
        for email in emails:
            by_key.setdefault(normalize_email(email), []).append(email)
        rows = yield _Query("SELECT EXISTS (SELECT 1 FROM account_managers), "
                            "ARRAY(SELECT email_key FROM account_managers WHERE email_key = ANY(%s::text[]))",
                            (list(by_key),))
        tracked, keys = rows[0]
        if not tracked:
            return None
        return {email for key in keys for email in by_key[key]}

    @staticmethod
    def known_dunning_plans(names: Sequence[str]) -> _Op[set[str] | None]:
        rows = yield _Query("SELECT name FROM dunning_plans")
        if not rows:
            return None
        # A store holds a handful of plans, compared as a reader sees them (normalize_reference).
        registered = {normalize_reference(name) for (name,) in rows}
        return {name for name in names if normalize_reference(name) in registered}

    @staticmethod
    def listing(sql: str) -> _Op[list[str]]:
        rows = yield _Query(sql)
        return [value for (value,) in rows]

    @staticmethod
    def count() -> _Op[dict[str, int]]:
        rows = yield _Query(_COUNT)
        return dict(zip(("clients", "contacts", "account_managers", "dunning_plans"), map(int, rows[0]),
                        strict=True))

    @staticmethod
    def load_mapping(fingerprint: str) -> _Op[dict[str, str | None] | None]:
        rows = yield _Query("SELECT mapping FROM mappings WHERE fingerprint = %s", (fingerprint,))
        return _valid_mapping(rows[0][0]) if rows else None

    @staticmethod
    def save_mapping(fingerprint: str, mapping: Mapping[str, str | None]) -> _Op[None]:
        yield _Query(_SAVE_MAPPING, (fingerprint, json.dumps(dict(mapping), ensure_ascii=False)), "count")

    @staticmethod
    def add_account_managers(emails: Iterable[str]) -> _Op[list[str]]:
        added: list[str] = []
        for email in emails:
            rows = yield _Query("INSERT INTO account_managers (email, email_key) VALUES (%s, %s) "
                                "ON CONFLICT (email_key) DO NOTHING RETURNING email",
                                (email.strip(), normalize_email(email)))
            added += [stored for (stored,) in rows]
        return added

    @staticmethod
    def add_dunning_plans(names: Iterable[str]) -> _Op[list[str]]:
        rows = yield _Query("SELECT name FROM dunning_plans")
        registered = {normalize_reference(name) for (name,) in rows}
        added: list[str] = []
        for name in names:
            key = normalize_reference(name)
            if key in registered:
                continue
            rows = yield _Query("INSERT INTO dunning_plans (name) VALUES (%s) ON CONFLICT (name) DO NOTHING "
                                "RETURNING name", (name.strip(),))
            if rows:
                registered.add(key)
                added.append(name.strip())
        return added

    @staticmethod
    def create_one(sql: str, row: list[Any]) -> _Op[int]:
        rows = yield _Query(sql, row)
        return int(rows[0][0])

    @staticmethod
    def create_many(insert: _BulkInsert, rows: Sequence[Sequence[Any]], copy_from: int) -> _Op[list[int]]:
        if not rows:
            return []
        if len(rows) < copy_from:
            found = yield _Query(insert.unnest, _transposed(rows, insert.types))
        else:
            exists = yield _Query("SELECT to_regclass(%s) IS NOT NULL", (f"pg_temp.{insert.staging}",))
            if not exists[0][0]:
                yield _Query(insert.create_staging, (), "count")
            yield _Query(insert.copy, _staged(rows, insert.types), "copy")
            found = yield _Query(insert.from_staging)
        if len(found) != len(rows):
            raise RuntimeError(f"{insert.table}: {len(found)} ids for {len(rows)} rows")
        return [int(new_id) for (new_id,) in found]

    @staticmethod
    def update_one(table: str, row_id: Id, assignments: dict[str, Any]) -> _Op[None]:
        if assignments:
            count = yield _Query(_update_one(table, list(assignments)), [*assignments.values(), row_id],
                                 "count")
        else:
            count = len((yield _Query(f"SELECT 1 FROM {table} WHERE id = %s", (row_id,))))
        if not count:
            raise KeyError(f"no {table[:-1]} has id {row_id!r}")

    @staticmethod
    def update_many(table: str, updates: Sequence[tuple[Id, dict[str, Any]]]) -> _Op[None]:
        for run in _runs(updates):
            columns = list(run[0][1])
            if not columns:
                for row_id, assignments in run:
                    yield from _Ops.update_one(table, row_id, assignments)
                continue
            types = ["bigint", *(_COLUMN_TYPES[column] for column in columns)]
            params = _transposed([(row_id, *assignments.values()) for row_id, assignments in run], types)
            count = yield _Query(_update_many(table, columns), params, "count")
            if count != len(run):
                found = yield _Query(f"SELECT id FROM {table} WHERE id = ANY(%s::bigint[])", (params[0],))
                missing = set(params[0]) - {row_id for (row_id,) in found}
                raise KeyError(f"no {table[:-1]} has id {min(missing, default=None)!r}")


def _runs(updates: Sequence[tuple[Id, dict[str, Any]]]) -> Iterator[Sequence[tuple[Id, dict[str, Any]]]]:
    """Consecutive updates of the same columns and of distinct rows, in order: one statement each."""
    start = 0
    while start < len(updates):
        columns = tuple(updates[start][1])
        ids = {updates[start][0]}
        end = start + 1
        while end < len(updates) and tuple(updates[end][1]) == columns and updates[end][0] not in ids:
            ids.add(updates[end][0])
            end += 1
        yield updates[start:end]
        start = end




# -- the synchronous repository ------------------------------------------------------------------

def create_schema(connection: psycopg.Connection[Any]) -> None:
    """Create the tables and indexes of the store in ``connection``'s database (its
    ``search_path``), committed; what exists already is left as it is."""
    with connection.transaction():
        for statement in SCHEMA:
            connection.execute(statement)


class PostgresRepository:
    """A :class:`~upflow_import.Repository` in a PostgreSQL database, on one psycopg connection.

    The tables are made by :func:`create_schema`. Account managers and
    dunning plans are checked once at least one is registered
    (:meth:`add_account_managers`, :meth:`add_dunning_plans`); until then
    :meth:`known_account_managers` and :meth:`known_dunning_plans` return
    ``None``, meaning "not tracked". The connection stays the caller's: the
    repository never closes it.
    """

    #: Bulk creations of at least this many records are copied (``COPY``) through a staging
    #: table rather than sent as one array per column: fewer bytes to format per row, one round
    #: trip more per call.
    copy_from: int = 100

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self._depth = 0

    def __repr__(self) -> str:
        return f"PostgresRepository({self.connection.info.dsn!r})"

    def _run(self, operation: _Op[_T]) -> _T:
        with self.connection.cursor() as cursor:
            try:
                query = next(operation)
                while True:
                    if query.answer == "copy":
                        with cursor.copy(query.sql) as copy:
                            for row in query.params:
                                copy.write_row(row)
                        query = operation.send(None)
                        continue
                    cursor.execute(query.sql, query.params)
                    query = operation.send(cursor.fetchall() if query.answer == "rows" else cursor.rowcount)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def _write(self, operation: _Op[_T]) -> _T:
        # A savepoint of its own (or a transaction, outside one): a refused write leaves the
        # transaction around it usable, and a bulk call writes all its items or none.
        with self.connection.transaction():
            return self._run(operation)

    @contextmanager
    def transaction(self) -> Iterator[PostgresRepository]:
        """Run a block atomically: committed when it ends, rolled back if it raises.

        The outermost call waits for the store's import lock (:data:`LOCK_KEY`), held until
        the transaction ends; nested calls are savepoints.
        """
        with self.connection.transaction():
            if self._depth == 0:
                self.connection.execute(_LOCK, (LOCK_KEY,))
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1

    # -- reads --------------------------------------------------------------------------------

    def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient]:
        """Stored clients whose external id is one of ``external_ids`` (exact match)."""
        return self._run(_Ops.find_clients("external_id", external_ids))

    def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient]:
        """Stored clients whose normalised name is one of ``names`` (normalised keys)."""
        return self._run(_Ops.find_clients("name_key", names))

    def find_clients_by_ids(self, ids: Sequence[Id]) -> list[StoredClient]:
        """Stored clients whose store id is one of ``ids``."""
        return self._run(_Ops.find_clients("id", _ints(ids), "bigint"))

    def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact]:
        """Stored contacts whose normalised email is one of ``emails`` (normalised keys)."""
        return self._run(_Ops.find_contacts("email_key", emails))

    def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact]:
        """Stored contacts whose contact external id is one of ``external_ids`` (exact match)."""
        return self._run(_Ops.find_contacts("external_id", external_ids))

    def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        """The ``emails`` that are registered account managers (case-insensitive);
        ``None`` while none is registered."""
        return self._run(_Ops.known_account_managers(emails))

    def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        """The ``names`` that are registered dunning plans (as a reader sees them);
        ``None`` while none is registered."""
        return self._run(_Ops.known_dunning_plans(names))

    def all_account_managers(self) -> list[str]:
        """Every registered account manager's email, in the order they were added."""
        return self._run(_Ops.listing(_ALL_ACCOUNT_MANAGERS))

    def all_dunning_plans(self) -> list[str]:
        """Every registered dunning plan's name, in the order they were added."""
        return self._run(_Ops.listing(_ALL_DUNNING_PLANS))

    def count(self) -> dict[str, int]:
        """How many clients, contacts, account managers and dunning plans the store holds."""
        return self._run(_Ops.count())

    # -- mapping memory (MappingMemory) ---------------------------------------------------------

    def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        """The column mapping saved under ``fingerprint``, or ``None``."""
        return self._run(_Ops.load_mapping(fingerprint))

    def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` (``{column: field key or None}``) under ``fingerprint``."""
        self._write(_Ops.save_mapping(fingerprint, mapping))

    # -- reference data -------------------------------------------------------------------------

    def add_account_managers(self, emails: Iterable[str]) -> list[str]:
        """Register account managers; returns the ones not registered yet (compared case-insensitively)."""
        return self._write(_Ops.add_account_managers(emails))

    def add_dunning_plans(self, names: Iterable[str]) -> list[str]:
        """Register dunning plans; returns the ones not registered yet (as a reader sees them)."""
        return self._write(_Ops.add_dunning_plans(names))

    # -- writes ---------------------------------------------------------------------------------

    def create_client(self, record: ClientRecord, parent_id: Id | None) -> int:
        """Store a new client and return its id."""
        return self._write(_Ops.create_one(_INSERT_CLIENT, _client_row(record, parent_id)))

    def update_client(self, client_id: Id, changes: ClientChanges) -> None:
        """Change only the fields in ``changes``, and the parent when it is given."""
        self._write(_Ops.update_one("clients", client_id, _client_assignments(changes)))

    def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        """Store a new contact of ``client_id`` and return its id."""
        return self._write(_Ops.create_one(_INSERT_CONTACT, _contact_row(client_id, record)))

    def update_contact(self, contact_id: Id, changes: ContactChanges) -> None:
        """Change only the fields in ``changes`` (``contact.is_main`` ``False`` demotes)."""
        self._write(_Ops.update_one("contacts", contact_id, _contact_assignments(changes)))

    # -- bulk writes (SupportsBulkWrites) -------------------------------------------------------

    def create_clients(self, items: Sequence[tuple[ClientRecord, Id | None]]) -> list[int]:
        """:meth:`create_client` for each ``(record, parent_id)``, all or nothing; the new ids in order."""
        rows = [_client_row(record, parent_id) for record, parent_id in items]
        return self._write(_Ops.create_many(_INSERT_CLIENTS, rows, self.copy_from))

    def create_contacts(self, items: Sequence[tuple[Id, ContactRecord]]) -> list[int]:
        """:meth:`create_contact` for each ``(client_id, record)``, all or nothing; the new ids in order."""
        rows = [_contact_row(client_id, record) for client_id, record in items]
        return self._write(_Ops.create_many(_INSERT_CONTACTS, rows, self.copy_from))

    def update_clients(self, items: Sequence[tuple[Id, ClientChanges]]) -> None:
        """:meth:`update_client` for each ``(client_id, changes)``, all or nothing."""
        self._write(_Ops.update_many(
            "clients", [(client_id, _client_assignments(changes)) for client_id, changes in items]))

    def update_contacts(self, items: Sequence[tuple[Id, ContactChanges]]) -> None:
        """:meth:`update_contact` for each ``(contact_id, changes)``, all or nothing."""
        self._write(_Ops.update_many(
            "contacts", [(contact_id, _contact_assignments(changes)) for contact_id, changes in items]))


# -- the asynchronous repository -----------------------------------------------------------------

async def create_schema_async(connection: psycopg.AsyncConnection[Any]) -> None:
    """:func:`create_schema` on an asynchronous connection."""
    async with connection.transaction():
        for statement in SCHEMA:
            await connection.execute(statement)


class AsyncPostgresRepository:
    """:class:`PostgresRepository` on a :class:`psycopg.AsyncConnection`: the same methods as
    coroutines, the same statements, the same behaviour."""

    #: As :attr:`PostgresRepository.copy_from`.
    copy_from: int = 100

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.connection = connection
        self._depth = 0

    def __repr__(self) -> str:
        return f"AsyncPostgresRepository({self.connection.info.dsn!r})"

    async def _run(self, operation: _Op[_T]) -> _T:
        async with self.connection.cursor() as cursor:
            try:
                query = next(operation)
                while True:
                    if query.answer == "copy":
                        async with cursor.copy(query.sql) as copy:
                            for row in query.params:
                                await copy.write_row(row)
                        query = operation.send(None)
                        continue
                    await cursor.execute(query.sql, query.params)
                    query = operation.send(
                        await cursor.fetchall() if query.answer == "rows" else cursor.rowcount)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    async def _write(self, operation: _Op[_T]) -> _T:
        async with self.connection.transaction():
            return await self._run(operation)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncPostgresRepository]:
        """As :meth:`PostgresRepository.transaction`: ``async with repository.transaction():``."""
        async with self.connection.transaction():
            if self._depth == 0:
                await self.connection.execute(_LOCK, (LOCK_KEY,))
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1

    async def find_clients_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredClient]:
        return await self._run(_Ops.find_clients("external_id", external_ids))

    async def find_clients_by_names(self, names: Sequence[str]) -> list[StoredClient]:
        return await self._run(_Ops.find_clients("name_key", names))

    async def find_clients_by_ids(self, ids: Sequence[Id]) -> list[StoredClient]:
        return await self._run(_Ops.find_clients("id", _ints(ids), "bigint"))

    async def find_contacts_by_emails(self, emails: Sequence[str]) -> list[StoredContact]:
        return await self._run(_Ops.find_contacts("email_key", emails))

    async def find_contacts_by_external_ids(self, external_ids: Sequence[str]) -> list[StoredContact]:
        return await self._run(_Ops.find_contacts("external_id", external_ids))

    async def known_account_managers(self, emails: Sequence[str]) -> set[str] | None:
        return await self._run(_Ops.known_account_managers(emails))

    async def known_dunning_plans(self, names: Sequence[str]) -> set[str] | None:
        return await self._run(_Ops.known_dunning_plans(names))

    async def all_account_managers(self) -> list[str]:
        return await self._run(_Ops.listing(_ALL_ACCOUNT_MANAGERS))

    async def all_dunning_plans(self) -> list[str]:
        return await self._run(_Ops.listing(_ALL_DUNNING_PLANS))

    async def count(self) -> dict[str, int]:
        return await self._run(_Ops.count())

    async def load_mapping(self, fingerprint: str) -> dict[str, str | None] | None:
        return await self._run(_Ops.load_mapping(fingerprint))

    async def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        await self._write(_Ops.save_mapping(fingerprint, mapping))

    async def add_account_managers(self, emails: Iterable[str]) -> list[str]:
        return await self._write(_Ops.add_account_managers(emails))

    async def add_dunning_plans(self, names: Iterable[str]) -> list[str]:
        return await self._write(_Ops.add_dunning_plans(names))

    async def create_client(self, record: ClientRecord, parent_id: Id | None) -> int:
        return await self._write(_Ops.create_one(_INSERT_CLIENT, _client_row(record, parent_id)))

    async def update_client(self, client_id: Id, changes: ClientChanges) -> None:
        await self._write(_Ops.update_one("clients", client_id, _client_assignments(changes)))

    async def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        return await self._write(_Ops.create_one(_INSERT_CONTACT, _contact_row(client_id, record)))

    async def update_contact(self, contact_id: Id, changes: ContactChanges) -> None:
        await self._write(_Ops.update_one("contacts", contact_id, _contact_assignments(changes)))

    async def create_clients(self, items: Sequence[tuple[ClientRecord, Id | None]]) -> list[int]:
        rows = [_client_row(record, parent_id) for record, parent_id in items]
        return await self._write(_Ops.create_many(_INSERT_CLIENTS, rows, self.copy_from))

    async def create_contacts(self, items: Sequence[tuple[Id, ContactRecord]]) -> list[int]:
        rows = [_contact_row(client_id, record) for client_id, record in items]
        return await self._write(_Ops.create_many(_INSERT_CONTACTS, rows, self.copy_from))

    async def update_clients(self, items: Sequence[tuple[Id, ClientChanges]]) -> None:
        await self._write(_Ops.update_many(
            "clients", [(client_id, _client_assignments(changes)) for client_id, changes in items]))

    async def update_contacts(self, items: Sequence[tuple[Id, ContactChanges]]) -> None:
        await self._write(_Ops.update_many(
            "contacts", [(contact_id, _contact_assignments(changes)) for contact_id, changes in items]))
