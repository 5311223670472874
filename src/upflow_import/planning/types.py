"""The shapes of a plan and of its writing: what the planner produces, apply consumes and the
report reads. Values only; the rules that make them live in the other modules of this package."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Generic, Literal, NamedTuple, overload

import attrs

from upflow_import.fields import Field
from upflow_import.issues import Issue
from upflow_import.model import ClientRecord, ContactRecord, FieldValue, ParsedImport, fast_constructor
from upflow_import.repository import IdT

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CHUNK_SIZE",
    "NO_CHANGES",
    "ApplyResult",
    "Change",
    "CreateClient",
    "CreateContact",
    "EntityCounts",
    "OnError",
    "Operation",
    "OperationResult",
    "OperationStatus",
    "Outcome",
    "Plan",
    "PlanRows",
    "Progress",
    "RowOutcome",
    "RowReport",
    "RowStatus",
    "Target",
    "UpdateClient",
    "UpdateContact",
    "as_json_data",
    "new_row_report",
    "row_outcomes",
    "row_status",
    "row_values",
]

#: ``"skip"``: import the valid rows and report the others; ``"abort"``: any error, no operation.
OnError = Literal["skip", "abort"]
#: Called with ``(done, total)`` while a long step advances.
Progress = Callable[[int, int], None]
#: A field's value before and after an operation (``None``: not set).
Change = tuple[FieldValue | None, FieldValue | None]

#: Keys per repository lookup call.
DEFAULT_CHUNK_SIZE = 1000
#: Operations written per bulk call when the repository offers bulk writes.
DEFAULT_BATCH_SIZE = 1000

# Field → its key as a plain str; a dict lookup is several times cheaper than Enum.value.
_KEYS: Mapping[Field, str] = {field: field.value for field in Field}


class Outcome(str, enum.Enum):
    """What happens to a row's client or contact."""

    CREATE = "create"
    UPDATE = "update"
    #: Found, and the file changes nothing of it: no operation.
    UNCHANGED = "unchanged"
    #: Not imported because of an error (its own, or one it depends on).
    DROPPED = "dropped"
    #: Planned but not written: the write failed or depended on one that did.
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class Target(Generic[IdT]):
    """The client or contact an operation concerns: an ``id`` the store already
    has, or the one that operation number ``op`` of the plan creates."""

    id: IdT | None = None
    op: int | None = None


#: An operation that changes no parent link.
NO_CHANGES: Mapping[str, Change] = MappingProxyType({})


def _json_changes(changes: Mapping[str, Change]) -> dict[str, list[object]]:
    return {key: [list(old) if type(old) is tuple else old, list(new) if type(new) is tuple else new]
            for key, (old, new) in changes.items()}


@attrs.frozen(kw_only=True)
class Operation(Generic[IdT]):
    """One write of the plan. Subclasses carry what the repository method needs."""

    #: The operation kind as the JSON report names it.
    op: ClassVar[str] = ""
    #: Its position in :attr:`Plan.operations`.
    index: int
    #: The client's external id (else its name), or the contact's email.
    key: str
    #: The file rows it comes from.
    rows: tuple[int, ...]
    #: Operations that must succeed first (an id it needs, or an order to keep).
    depends_on: tuple[int, ...] = ()

    @property
    def changes(self) -> Mapping[str, Change]:
        """``{field key: (old, new)}`` for every value it sets (computed on demand: a plan
        of a million rows would otherwise hold millions of small tuples nobody reads)."""
        raise NotImplementedError

    def describe(self) -> str:
        """How a message names what this operation writes."""
        return self.key

    def to_dict(self) -> dict[str, object]:
        """The operation as the JSON report shows it."""
        return {"op": self.op, "key": self.key, "rows": list(self.rows),
                "changes": _json_changes(self.changes)}


@attrs.frozen(kw_only=True)
class CreateClient(Operation[IdT]):
    """``repository.create_client(record, parent_id)``."""

    op: ClassVar[str] = "create_client"
    record: ClientRecord
    parent: Target[IdT] | None = None
    #: How the report shows the parent link (a group field of the parent's id or name).
    parent_change: Mapping[str, Change] = NO_CHANGES

    @property
    def changes(self) -> Mapping[str, Change]:
        changes: dict[str, Change] = {_KEYS[f]: (None, value) for f, value in self.record.values().items()}
        changes.update(self.parent_change)
        return changes


@attrs.frozen(kw_only=True)
class UpdateClient(Operation[IdT]):
    """``repository.update_client(client_id, ClientChanges(values, parent_id))``."""

    op: ClassVar[str] = "update_client"
    client_id: IdT
    #: The new values of the changed fields only.
    values: Mapping[Field, FieldValue]
    #: The stored values they replace.
    old: Mapping[Field, FieldValue | None] = attrs.Factory(dict)
    #: The new parent, when the file changes it.
    parent: Target[IdT] | None = None
    parent_change: Mapping[str, Change] = NO_CHANGES

    @property
    def changes(self) -> Mapping[str, Change]:
        old = self.old
        changes: dict[str, Change] = {_KEYS[f]: (old.get(f), value) for f, value in self.values.items()}
        changes.update(self.parent_change)
        return changes


@attrs.frozen(kw_only=True)
class CreateContact(Operation[IdT]):
    """``repository.create_contact(client_id, record)``."""

    op: ClassVar[str] = "create_contact"
    client: Target[IdT]
    record: ContactRecord

    @property
    def changes(self) -> Mapping[str, Change]:
        return {_KEYS[field]: (None, value) for field, value in self.record.values().items()}


@attrs.frozen(kw_only=True)
class UpdateContact(Operation[IdT]):
    """``repository.update_contact(contact_id, ContactChanges(values))``."""

    op: ClassVar[str] = "update_contact"
    contact_id: IdT
    values: Mapping[Field, FieldValue]
    old: Mapping[Field, FieldValue | None] = attrs.Factory(dict)

    @property
    def changes(self) -> Mapping[str, Change]:
        old = self.old
        return {_KEYS[field]: (old.get(field), value) for field, value in self.values.items()}


#: A row's fate in one word, for an ETL step to route it (see :attr:`RowReport.status`).
RowStatus = Literal["created", "updated", "unchanged", "skipped", "failed"]
_NOT_WRITTEN = (Outcome.DROPPED, Outcome.FAILED)


@attrs.frozen(slots=True, weakref_slot=False)  # see model.fast_constructor
class RowReport:
    """One data row as planned (:attr:`Plan.rows`) or imported (:attr:`ImportReport.rows
    <upflow_import.ImportReport.rows>`): its original cells, its issues, the operations it
    feeds, what becomes of its client and contact (``None``: the row has no contact), and
    the typed records it was parsed into (``None`` when it had none)."""

    number: int
    cells: tuple[str | None, ...]
    issues: tuple[Issue, ...]
    operations: tuple[int, ...]
    client: Outcome
    contact: Outcome | None
    client_record: ClientRecord | None = None
    contact_record: ContactRecord | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.issues) and any(issue.is_error for issue in self.issues)

    @property
    def status(self) -> RowStatus:
        """``"failed"``: the row has an error or one of its writes failed (its client may still
        have been written: see ``client``); ``"skipped"``: no error of its own, but not
        imported because of another row's or the file's (or ``on_error="abort"``); else the strongest of
        its outcomes: ``"created"``, ``"updated"`` or ``"unchanged"``. In a dry run, what
        would happen."""
        return row_status(self.has_errors, self.client, self.contact)

    @property
    def values(self) -> dict[str, object]:
        """The row's typed values by field key, as JSON values (lists for several emails)."""
        return row_values(self.client_record, self.contact_record)


def row_status(has_errors: bool, client: Outcome, contact: Outcome | None) -> RowStatus:
    """:attr:`RowReport.status` of a row with these errors and outcomes."""
    if has_errors or Outcome.FAILED in (client, contact):
        return "failed"
    if client in _NOT_WRITTEN or contact in _NOT_WRITTEN:
        return "skipped"
    if Outcome.CREATE in (client, contact):
        return "created"
    if Outcome.UPDATE in (client, contact):
        return "updated"
    return "unchanged"


def as_json_data(value: FieldValue) -> object:
    """A value as JSON has it (a list for several emails)."""
    return list(value) if isinstance(value, tuple) else value


def row_values(client: ClientRecord | None, contact: ContactRecord | None) -> dict[str, object]:
    """:attr:`RowReport.values` of a row with these records."""
    values: dict[str, object] = {}
    if client is not None:
        values.update((field.value, as_json_data(value)) for field, value in client.values().items())
        parent = client.parent
        if parent is not None:
            if parent.external_id is not None:
                values["group.external_id"] = parent.external_id
            if parent.name is not None:
                values["group.name"] = parent.name
    if contact is not None:
        values.update((field.value, as_json_data(value)) for field, value in contact.values().items())
    return values


class _RowReportSlots:
    __slots__ = RowReport.__slots__

    def __init__(self, number: object, cells: object, issues: object,  # noqa: PLR0917
                 operations: object, client: object, contact: object, client_record: object,
                 contact_record: object) -> None:
        self.number = number
        self.cells = cells
        self.issues = issues
        self.operations = operations
        self.client = client
        self.contact = contact
        self.client_record = client_record
        self.contact_record = contact_record


#: ``RowReport(...)`` with every field given positionally, for code that makes one per row.
new_row_report = fast_constructor(RowReport, _RowReportSlots)


class RowOutcome(NamedTuple):
    """What the plan itself says of one row, without what the parsed file says of it (its
    cells and records): how the report and apply read a plan row by row without making a
    :class:`RowReport` of each."""

    number: int
    issues: tuple[Issue, ...]
    operations: tuple[int, ...]
    client: Outcome
    contact: Outcome | None


class PlanRows(Sequence[RowReport]):
    """:attr:`Plan.rows`: the plan's part of every row held as columns (issues, operations,
    outcomes), beside the parsed file, which holds the rest; a row's :class:`RowReport` is
    made when it is read. It compares equal to the tuple of the same rows.

    A plan of a million rows would otherwise keep a million row objects, each one the
    cyclic garbage collector walks on every full collection while the host runs.
    """

    __slots__ = ("_clients", "_contacts", "_issues", "_numbers", "_operations", "_parsed")

    def __init__(self, parsed: ParsedImport, issues: Sequence[tuple[Issue, ...]],
                 operations: Sequence[tuple[int, ...]], clients: Sequence[Outcome],
                 contacts: Sequence[Outcome | None]) -> None:
        if not len(parsed.numbers) == len(issues) == len(operations) == len(clients) == len(contacts):
            raise ValueError("every column of the plan's rows must have one entry per row of the file")
        self._parsed = parsed
        self._numbers = parsed.numbers
        self._issues = issues
        self._operations = operations
        self._clients = clients
        self._contacts = contacts

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, index: int) -> RowReport: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RowReport, ...]: ...

    def __getitem__(self, index: int | slice) -> RowReport | tuple[RowReport, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        position = range(len(self))[index]  # IndexError, negative indices
        parsed = self._parsed
        read = position not in parsed.unread_positions
        return new_row_report(
            self._numbers[position], parsed.cells[position] if parsed.cells else (), self._issues[position],
            self._operations[position], self._clients[position], self._contacts[position],
            parsed.client_record(position) if read else None,
            parsed.contact_record(position) if read and position in parsed.contact_positions else None)

    def __iter__(self) -> Iterator[RowReport]:
        return (self[position] for position in range(len(self)))

    def outcomes(self) -> Iterator[RowOutcome]:
        """The plan's part of each row, in file order, without making a :class:`RowReport`."""
        return map(RowOutcome, self._numbers, self._issues, self._operations, self._clients, self._contacts)

    def __eq__(self, other: object) -> bool:
        # Equal to the same rows held as a tuple (as a plan built by hand holds them); never
        # to a list, as a tuple is not.
        if not isinstance(other, (tuple, PlanRows)):
            return NotImplemented
        if isinstance(other, PlanRows) and other._parsed is self._parsed:
            return len(self) == len(other) and all(
                a == b for a, b in zip(self.outcomes(), other.outcomes(), strict=True))
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<PlanRows: {len(self)} rows>"


def row_outcomes(rows: Sequence[RowReport]) -> Iterator[RowOutcome]:
    """The plan's part of each of ``rows`` (a plan's :class:`PlanRows`, or rows held as a tuple)."""
    if isinstance(rows, PlanRows):
        return rows.outcomes()
    return (RowOutcome(row.number, row.issues, row.operations, row.client, row.contact) for row in rows)


@attrs.frozen
class EntityCounts:
    """How many clients (or contacts) are created, updated, unchanged and dropped."""

    create: int = 0
    update: int = 0
    unchanged: int = 0
    dropped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "unchanged": self.unchanged,
                "dropped": self.dropped}


@attrs.frozen
class Plan(Generic[IdT]):
    """What an import will write, in order, and why: the output of :func:`~upflow_import.plan`."""

    operations: tuple[Operation[IdT], ...]
    #: One entry per data row, in file order. The planner holds them as columns and builds
    #: each :class:`RowReport` when read; they compare equal to the tuple of the same rows.
    rows: Sequence[RowReport]
    #: Problems of the file or the mapping rather than of one row.
    file_issues: tuple[Issue, ...]
    clients: EntityCounts
    contacts: EntityCounts
    on_error: OnError = "skip"
    #: Repository read calls made, per method name.
    lookups: Mapping[str, int] = attrs.Factory(dict)

    @property
    def issues(self) -> tuple[Issue, ...]:
        """File issues, then every row's issues in row order."""
        return self.file_issues + tuple(issue for row in row_outcomes(self.rows) for issue in row.issues)

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not any(issue.is_error for issue in self.issues)

    @property
    def aborted(self) -> bool:
        """True when ``on_error="abort"`` discarded every operation because of an error."""
        return self.on_error == "abort" and not self.ok


class OperationStatus(str, enum.Enum):
    """What became of one operation."""

    APPLIED = "applied"
    #: The repository raised while writing it (``apply.failed``).
    FAILED = "failed"
    #: Not written: it depended on a failed operation, or the transaction was rolled back
    #: (``apply.not_attempted``).
    NOT_ATTEMPTED = "not_attempted"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class OperationResult(Generic[IdT]):
    """The fate of one operation of the plan, and the issues it caused on its rows."""

    index: int
    status: OperationStatus
    #: The id of the client or contact written (the new id for a creation).
    id: IdT | None = None
    issues: tuple[Issue, ...] = ()


@attrs.frozen
class ApplyResult(Generic[IdT]):
    """The outcome of :func:`~upflow_import.apply`: one result per operation of the plan, in plan order."""

    results: tuple[OperationResult[IdT], ...]
    #: True when the writes ran inside ``repository.transaction()``.
    transactional: bool = False
    #: True when a failure rolled the whole transaction back: nothing was written.
    rolled_back: bool = False

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(issue for result in self.results for issue in result.issues)

    @property
    def ok(self) -> bool:
        """True when every operation was applied."""
        return all(result.status is OperationStatus.APPLIED for result in self.results)

    def count(self, status: OperationStatus) -> int:
        """How many operations ended with ``status``."""
        return sum(1 for result in self.results if result.status is status)
