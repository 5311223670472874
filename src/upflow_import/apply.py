"""Applying a plan: the only place that writes to the repository."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import cast

import attrs

from upflow_import._stages import format_calls, logger, stage
from upflow_import.issues import Issue
from upflow_import.planner import (
    CreateClient,
    CreateContact,
    Operation,
    Plan,
    Progress,
    Target,
    UpdateClient,
    UpdateContact,
)
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Id,
    Repository,
    SupportsBulkWrites,
    bulk_writes_of,
    check_repository,
    transaction_of,
)

__all__ = [
    "DEFAULT_BATCH_SIZE", "ApplyResult", "OperationResult", "OperationStatus", "apply", "plan_and_apply",
]

#: Operations written per bulk call when the repository offers bulk writes.
DEFAULT_BATCH_SIZE = 1000


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
class OperationResult:
    """The fate of one operation of the plan, and the issues it caused on its rows."""

    index: int
    status: OperationStatus
    #: The id of the client or contact written (the new id for a creation).
    id: Id | None = None
    issues: tuple[Issue, ...] = ()


@attrs.frozen
class ApplyResult:
    """The outcome of :func:`apply`: one result per operation of the plan, in plan order."""

    results: tuple[OperationResult, ...]
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


class _Rollback(Exception):
    """Raised inside the transaction to make the repository undo it."""


def _describe_failure(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class _Writer:
    """Runs the operations in order, threading created ids into the operations that need them."""

    def __init__(self, plan: Plan, repository: Repository, stop_at_first_failure: bool,
                 progress: Progress | None, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.plan = plan
        self.operations = plan.operations
        self.repository = repository
        self.bulk = bulk_writes_of(repository)
        self.batch_size = batch_size
        self.stop_at_first_failure = stop_at_first_failure
        self.progress = progress
        self.results: list[OperationResult] = []
        #: Repository write calls made, per operation kind (the method of the same name).
        self.calls: dict[str, int] = {}
        self.first_failure: Operation | None = None

    def _id(self, target: Target) -> Id:
        if target.id is not None:
            return target.id
        assert target.op is not None
        written = self.results[target.op].id
        assert written is not None, "an operation runs only after the ones it depends on"
        return written

    def _parent_id(self, target: Target | None) -> Id | None:
        return None if target is None else self._id(target)

    def _write(self, operation: Operation) -> Id:
        repository = self.repository
        self.calls[operation.op] = self.calls.get(operation.op, 0) + 1
        if isinstance(operation, CreateClient):
            return repository.create_client(operation.record, self._parent_id(operation.parent))
        if isinstance(operation, UpdateClient):
            repository.update_client(
                operation.client_id, ClientChanges(operation.values, self._parent_id(operation.parent)))
            return operation.client_id
        if isinstance(operation, CreateContact):
            return repository.create_contact(self._id(operation.client), operation.record)
        if isinstance(operation, UpdateContact):
            repository.update_contact(operation.contact_id, ContactChanges(operation.values))
            return operation.contact_id
        raise TypeError(f"unknown operation {operation!r}")

    def run(self) -> None:
        if self.bulk is not None:
            self._run_batched(self.bulk)
            return
        total = len(self.operations)
        for operation in self.operations:
            self.results.append(self._run_one(operation))
            if self.progress is not None:
                self.progress(len(self.results), total)

    def _blocker(self, operation: Operation) -> Operation | None:
        """The operation whose failure keeps ``operation`` from being written, if any."""
        blocker = self.first_failure if self.stop_at_first_failure else None
        if blocker is None:
            blocker = next((self.operations[i] for i in operation.depends_on
                            if self.results[i].status is not OperationStatus.APPLIED), None)
        return blocker

    def _run_one(self, operation: Operation) -> OperationResult:
        blocker = self._blocker(operation)
        if blocker is not None:
            return _not_attempted(operation, blocker)
        try:
            written = self._write(operation)
        except Exception as error:  # the repository's own failure, whatever its type
            if self.first_failure is None:
                self.first_failure = operation
            return _failed(operation, _describe_failure(error))
        return OperationResult(operation.index, OperationStatus.APPLIED, written)

    # -- bulk writes ----------------------------------------------------------------------------

    def _run_batched(self, bulk: SupportsBulkWrites) -> None:
        """The same writes in the same order as :meth:`run`, consecutive operations of one kind
        grouped into bulk calls.

        A batch ends before an operation of another kind, before one that needs an operation
        of the batch (its new client, parent or demotion), at ``batch_size``, and before an
        operation that is not attempted (so that results stay in plan order). Every operation
        of a batch is therefore independent of the others, and its dependencies are already
        written when the batch is.
        """
        batch: list[Operation] = []
        in_batch: set[int] = set()
        kind: type[Operation] | None = None
        size = self.batch_size
        results = self.results
        applied = OperationStatus.APPLIED
        for operation in self.operations:
            depends_on = operation.depends_on
            if batch and (type(operation) is not kind or len(batch) >= size
                          or (depends_on and not in_batch.isdisjoint(depends_on))):
                self._flush(bulk, batch)
                batch, in_batch = [], set()
            # The usual case: nothing failed (or what failed blocks only its dependants), and
            # what it needs is written.
            if (self.first_failure is None or not self.stop_at_first_failure) and (
                    not depends_on or all(results[i].status is applied for i in depends_on)):
                batch.append(operation)
                in_batch.add(operation.index)
                kind = type(operation)
                continue
            if batch:  # not written: the batch before it goes first, to keep results in plan order
                self._flush(bulk, batch)
                batch, in_batch = [], set()
            blocker = self._blocker(operation)
            assert blocker is not None
            results.append(_not_attempted(operation, blocker))
            self._report_progress()
        if batch:
            self._flush(bulk, batch)

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(len(self.results), len(self.operations))

    def _flush(self, bulk: SupportsBulkWrites, batch: list[Operation]) -> None:
        try:
            ids = self._write_batch(bulk, batch)
        except Exception:  # the call wrote nothing: one at a time, to find the operation at fault
            for operation in batch:
                self.results.append(self._run_one(operation))
            self._report_progress()
            return
        if len(ids) != len(batch):
            raise RuntimeError(f"{type(self.repository).__name__} returned {len(ids)} ids "
                               f"for {len(batch)} records")
        applied = OperationStatus.APPLIED
        self.results += [OperationResult(operation.index, applied, written)
                         for operation, written in zip(batch, ids, strict=True)]
        self._report_progress()

    def _write_batch(self, bulk: SupportsBulkWrites, batch: list[Operation]) -> Sequence[Id]:
        first = batch[0]
        if isinstance(first, CreateClient):
            clients = cast("list[CreateClient]", batch)
            return bulk.create_clients([(op.record, self._parent_id(op.parent)) for op in clients])
        if isinstance(first, UpdateClient):
            updates = cast("list[UpdateClient]", batch)
            bulk.update_clients([(op.client_id, ClientChanges(op.values, self._parent_id(op.parent)))
                                 for op in updates])
            return [op.client_id for op in updates]
        if isinstance(first, CreateContact):
            contacts = cast("list[CreateContact]", batch)
            return bulk.create_contacts([(self._id(op.client), op.record) for op in contacts])
        if isinstance(first, UpdateContact):
            changes = cast("list[UpdateContact]", batch)
            bulk.update_contacts([(op.contact_id, ContactChanges(op.values)) for op in changes])
            return [op.contact_id for op in changes]
        raise TypeError(f"unknown operation {first!r}")

    # -- after a failed transaction -------------------------------------------------------------

    def roll_back(self) -> None:
        """Re-label everything after the transaction was undone: nothing was written."""
        failure = self.first_failure
        assert failure is not None
        operations = self.operations
        self.results = [
            result if result.index == failure.index else _not_attempted(operations[result.index], failure)
            for result in self.results
        ]
        self.results += [_not_attempted(op, failure) for op in self.operations[len(self.results):]]

    def lose_everything(self, error: Exception) -> None:
        """The transaction itself failed (commit, or entering it): no write survived."""
        detail = _describe_failure(error)
        self.results = [
            _failed(operation, detail) if index >= len(self.results)
            or self.results[index].status is OperationStatus.APPLIED else self.results[index]
            for index, operation in enumerate(self.operations)
        ]


def _failed(operation: Operation, detail: str) -> OperationResult:
    """The result of an operation the repository refused."""
    issues = tuple(Issue.make("apply.failed", row=row, value=operation.key, detail=detail)
                   for row in operation.rows)
    return OperationResult(operation.index, OperationStatus.FAILED, None, issues)


def _not_attempted(operation: Operation, blocker: Operation) -> OperationResult:
    """The result of an operation not written because ``blocker`` was not."""
    issues = tuple(Issue.make("apply.not_attempted", row=row, value=operation.key,
                              dependency=blocker.describe())
                   for row in operation.rows)
    return OperationResult(operation.index, OperationStatus.NOT_ATTEMPTED, None, issues)


def apply(plan: Plan, repository: Repository, *, progress: Progress | None = None,
          batch_size: int = DEFAULT_BATCH_SIZE) -> ApplyResult:
    """Write the operations of ``plan`` to ``repository``, in order.

    When the repository offers ``transaction()``, every write runs inside
    it. A failed write (any exception from the repository) is
    ``apply.failed`` on that operation's rows; what depends on it (the
    contacts of a client whose creation failed, a promotion whose demotion
    failed…) is ``apply.not_attempted``, and independent operations go on.

    With a plan made with ``on_error="abort"``, the first failure stops the
    import: inside a transaction everything is rolled back (nothing written,
    every operation reported); without one, the operations after it are not
    attempted.

    When the repository offers bulk writes
    (:class:`~upflow_import.SupportsBulkWrites`), consecutive operations of
    one kind are written ``batch_size`` at a time, in the same order and
    with the same outcome: a batch the repository refuses is written again
    one operation at a time, so that only the operations at fault fail.

    Running the same import again afterwards plans only what is missing, so
    nothing is written twice. ``progress(done, total)`` is called after each
    operation (after each batch with bulk writes).
    """
    check_repository(repository)
    _check_batch_size(batch_size)
    return _write(repository, progress, batch_size, plan)[1]


def plan_and_apply(repository: Repository, make_plan: Callable[[], Plan], *,
                   progress: Progress | None = None,
                   batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[Plan, ApplyResult]:
    """Plan with ``make_plan()`` and write the plan, both inside one ``transaction()`` of the
    repository when it offers one (as :func:`apply` alone, otherwise).

    Another import of the same store then cannot plan against the state this one is about
    to change: with a store whose transaction takes the write lock, it waits, and plans
    against what this one wrote. The repository's ``transaction()`` is entered once, so it
    need not support nesting. If ``make_plan()`` raises, nothing was written and the
    exception propagates.
    """
    check_repository(repository)
    _check_batch_size(batch_size)
    return _write(repository, progress, batch_size, make_plan)


def _check_batch_size(batch_size: object) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an int, not {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")


def _write(repository: Repository, progress: Progress | None, batch_size: int,
           source: Plan | Callable[[], Plan]) -> tuple[Plan, ApplyResult]:
    def writer_of(planned: Plan) -> _Writer:
        return _Writer(planned, repository, planned.on_error == "abort", progress, batch_size)

    transaction = transaction_of(repository)
    if transaction is None:
        planned = source if isinstance(source, Plan) else source()
        direct = writer_of(planned)
        with stage("apply", progress):
            direct.run()
        _log_writes(direct)
        return planned, ApplyResult(tuple(direct.results))
    # A plan given beforehand is reported as lost if the transaction cannot even be opened;
    # one made inside the transaction only exists once it is open.
    writer = writer_of(source) if isinstance(source, Plan) else None
    rolled_back = False
    try:
        with transaction():
            if writer is None:
                assert not isinstance(source, Plan)
                planned = source()
                writer = writer_of(planned)
            with stage("apply", progress):
                writer.run()
            if writer.first_failure is not None and writer.plan.on_error == "abort":
                raise _Rollback
    except _Rollback:
        assert writer is not None
        writer.roll_back()
        rolled_back = True
    except Exception as error:  # the transaction could not be opened or committed
        if writer is None:
            raise  # planning failed, or the transaction could not be opened: nothing was written
        writer.lose_everything(error)
        rolled_back = True
    _log_writes(writer, rolled_back=rolled_back)
    return writer.plan, ApplyResult(tuple(writer.results), transactional=True, rolled_back=rolled_back)


def _log_writes(writer: _Writer, *, rolled_back: bool = False) -> None:
    applied = sum(result.status is OperationStatus.APPLIED for result in writer.results)
    logger.debug("apply: %d operations, %d written%s; repository calls: %s", len(writer.operations),
                 applied, " then rolled back" if rolled_back else "", format_calls(writer.calls))
