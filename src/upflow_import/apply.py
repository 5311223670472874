"""Applying a plan: the only place that writes to the repository."""

from __future__ import annotations

import enum
from collections.abc import Callable

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
    check_repository,
    transaction_of,
)

__all__ = ["ApplyResult", "OperationResult", "OperationStatus", "apply", "plan_and_apply"]


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
                 progress: Progress | None) -> None:
        self.plan = plan
        self.operations = plan.operations
        self.repository = repository
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
        total = len(self.operations)
        for operation in self.operations:
            self.results.append(self._run_one(operation))
            if self.progress is not None:
                self.progress(len(self.results), total)

    def _run_one(self, operation: Operation) -> OperationResult:
        blocker = self.first_failure if self.stop_at_first_failure else None
        if blocker is None:
            blocker = next((self.operations[i] for i in operation.depends_on
                            if self.results[i].status is not OperationStatus.APPLIED), None)
        if blocker is not None:
            return _not_attempted(operation, blocker)
        try:
            written = self._write(operation)
        except Exception as error:  # the repository's own failure, whatever its type
            if self.first_failure is None:
                self.first_failure = operation
            return _failed(operation, _describe_failure(error))
        return OperationResult(operation.index, OperationStatus.APPLIED, written)

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


def apply(plan: Plan, repository: Repository, *, progress: Progress | None = None) -> ApplyResult:
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

    Running the same import again afterwards plans only what is missing, so
    nothing is written twice. ``progress(done, total)`` is called after each
    operation.
    """
    check_repository(repository)
    return _write(repository, progress, plan)[1]


def plan_and_apply(repository: Repository, make_plan: Callable[[], Plan], *,
                   progress: Progress | None = None) -> tuple[Plan, ApplyResult]:
    """Plan with ``make_plan()`` and write the plan, both inside one ``transaction()`` of the
    repository when it offers one (as :func:`apply` alone, otherwise).

    Another import of the same store then cannot plan against the state this one is about
    to change: with a store whose transaction takes the write lock, it waits, and plans
    against what this one wrote. The repository's ``transaction()`` is entered once, so it
    need not support nesting. If ``make_plan()`` raises, nothing was written and the
    exception propagates.
    """
    check_repository(repository)
    return _write(repository, progress, make_plan)


def _write(repository: Repository, progress: Progress | None,
           source: Plan | Callable[[], Plan]) -> tuple[Plan, ApplyResult]:
    transaction = transaction_of(repository)
    if transaction is None:
        planned = source if isinstance(source, Plan) else source()
        direct = _Writer(planned, repository, planned.on_error == "abort", progress)
        with stage("apply", progress):
            direct.run()
        _log_writes(direct)
        return planned, ApplyResult(tuple(direct.results))
    # A plan given beforehand is reported as lost if the transaction cannot even be opened;
    # one made inside the transaction only exists once it is open.
    writer: _Writer | None = (_Writer(source, repository, source.on_error == "abort", progress)
                              if isinstance(source, Plan) else None)
    rolled_back = False
    try:
        with transaction():
            if writer is None:
                assert not isinstance(source, Plan)
                planned = source()
                writer = _Writer(planned, repository, planned.on_error == "abort", progress)
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
