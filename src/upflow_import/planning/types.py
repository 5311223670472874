"""The shapes of a plan and of its writing: what the planner produces, apply consumes and the
report reads. Values only; the rules that make them live in the other modules of this package."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Generic, Literal, overload

import attrs

from upflow_import.fields import Field
from upflow_import.issues import Issue
from upflow_import.model import ClientRecord, ContactRecord, FieldValue, fast_constructor
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
    "Progress",
    "RowPlan",
    "RowPlans",
    "Target",
    "UpdateClient",
    "UpdateContact",
    "new_row_plan",
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


@attrs.frozen(slots=True, weakref_slot=False)  # see model.fast_constructor
class RowPlan:
    """The accounting of one data row: its issues, the operations it feeds, and
    what happens to its client and to its contact (``None``: the row has none)."""

    number: int
    issues: tuple[Issue, ...]
    operations: tuple[int, ...]
    client: Outcome
    contact: Outcome | None

    @property
    def has_errors(self) -> bool:
        return any(issue.is_error for issue in self.issues)


class _RowPlanSlots:
    __slots__ = RowPlan.__slots__

    def __init__(self, number: object, issues: object, operations: object, client: object,
                 contact: object) -> None:
        self.number = number
        self.issues = issues
        self.operations = operations
        self.client = client
        self.contact = contact


new_row_plan = fast_constructor(RowPlan, _RowPlanSlots)


class RowPlans(Sequence[RowPlan]):
    """Every row's plan, held as one column per :class:`RowPlan` attribute; a row's plan is
    built when read. It compares equal to the tuple of the same row plans.

    A plan of a million rows would otherwise keep a million row-plan objects, each one the
    cyclic garbage collector walks on every full collection while the host runs.
    """

    __slots__ = ("_clients", "_contacts", "_issues", "_numbers", "_operations")

    def __init__(self, numbers: Sequence[int], issues: Sequence[tuple[Issue, ...]],
                 operations: Sequence[tuple[int, ...]], clients: Sequence[Outcome],
                 contacts: Sequence[Outcome | None]) -> None:
        if not len(numbers) == len(issues) == len(operations) == len(clients) == len(contacts):
            raise ValueError("every column of the row plans must have one entry per row")
        self._numbers = numbers
        self._issues = issues
        self._operations = operations
        self._clients = clients
        self._contacts = contacts

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, index: int) -> RowPlan: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RowPlan, ...]: ...

    def __getitem__(self, index: int | slice) -> RowPlan | tuple[RowPlan, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        return new_row_plan(self._numbers[index], self._issues[index], self._operations[index],
                            self._clients[index], self._contacts[index])

    def __iter__(self) -> Iterator[RowPlan]:
        return map(new_row_plan, self._numbers, self._issues, self._operations, self._clients,
                   self._contacts)

    def __eq__(self, other: object) -> bool:
        # Equal to the same row plans held as a tuple, as Plan.rows was (and as a plan built by
        # hand holds them); never to a list, as a tuple is not.
        if not isinstance(other, (tuple, RowPlans)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"RowPlans({tuple(self)!r})"


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
    #: each row's plan when read; they compare equal to the tuple of the same row plans.
    rows: Sequence[RowPlan]
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
        return self.file_issues + tuple(issue for row in self.rows for issue in row.issues)

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
