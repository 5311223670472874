"""The writing core: a plan's operations as :class:`Write` requests, in order, and the fate of each.

Created ids are threaded into the operations that need them; a failed write fails its
operation and keeps what depends on it from being attempted; with bulk writes, operations of
one kind whose dependencies are written go in one request, and a refused batch is asked again
one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from upflow_import._stages import format_calls, logger
from upflow_import.issues import Issue
from upflow_import.planning.requests import Failed, RollBack, Write, Writing
from upflow_import.planning.types import (
    DEFAULT_BATCH_SIZE,
    ApplyResult,
    CreateClient,
    CreateContact,
    Operation,
    OperationResult,
    OperationStatus,
    Plan,
    Progress,
    Target,
    UpdateClient,
    UpdateContact,
)
from upflow_import.repository import BULK_METHODS, ClientChanges, ContactChanges, IdT

__all__ = ["applying", "check_batch_size", "everything_lost"]

_APPLIED = OperationStatus.APPLIED
#: An id of the store: the core only passes them from the answers to the requests.
_StoreId = Any
_BULK = frozenset(BULK_METHODS)


def check_batch_size(batch_size: object) -> None:
    """Refuse a batch size that cannot be, before any work."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an int, not {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")


def applying(plan: Plan[IdT], *, offers: frozenset[str], batch_size: int = DEFAULT_BATCH_SIZE,
             progress: Progress | None = None, transactional: bool) -> Writing[ApplyResult[IdT]]:
    """The writes of ``plan`` as :class:`~upflow_import.planning.steps.Write` requests; see
    :mod:`upflow_import.planning.steps`."""
    check_batch_size(batch_size)
    return _applying(_Writer(plan, offers >= _BULK, progress, batch_size), transactional)


def _applying(writer: _Writer, transactional: bool) -> Writing[ApplyResult[Any]]:
    yield from writer.run()
    if transactional and writer.first_failure is not None and writer.stop_at_first_failure:
        writer.roll_back()
        _log_writes(writer, rolled_back=True)
        raise RollBack(ApplyResult(writer.final_results(), transactional=True, rolled_back=True))
    _log_writes(writer)
    return ApplyResult(writer.final_results(), transactional=transactional)


def everything_lost(plan: Plan[IdT], result: ApplyResult[IdT] | None, error: Exception) -> ApplyResult[IdT]:
    """The result once the transaction itself failed (entering it, or its commit) with ``error``:
    no write survived. ``result`` is what the writes had come to (``None`` when they never
    finished): what was applied is failed now, what failed or was not attempted stays so."""
    detail = _describe_failure(error)
    done = () if result is None else result.results
    results = tuple(
        _failed(operation, detail) if index >= len(done) or done[index].status is _APPLIED else done[index]
        for index, operation in enumerate(plan.operations))
    return ApplyResult(results, transactional=True, rolled_back=True)


def _describe_failure(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _failed(operation: Operation, detail: str) -> OperationResult:
    """The result of an operation the repository refused."""
    issues = tuple(Issue.from_code("apply.failed", row=row, value=operation.key, detail=detail)
                   for row in operation.rows)
    return OperationResult(operation.index, OperationStatus.FAILED, None, issues)


def _not_attempted(operation: Operation, blocker: Operation) -> OperationResult:
    """The result of an operation not written because ``blocker`` was not."""
    issues = tuple(Issue.from_code("apply.not_attempted", row=row, value=operation.key,
                                   dependency=blocker.describe())
                   for row in operation.rows)
    return OperationResult(operation.index, OperationStatus.NOT_ATTEMPTED, None, issues)


class _Writer:
    """Runs the operations in order, threading created ids into the operations that need them."""

    def __init__(self, plan: Plan, bulk: bool, progress: Progress | None, batch_size: int) -> None:
        self.plan = plan
        self.operations = plan.operations
        self.bulk = bulk
        self.batch_size = batch_size
        #: With ``on_error="abort"``, the first failure stops the import.
        self.stop_at_first_failure = plan.on_error == "abort"
        self.progress = progress
        #: Each operation's fate, by plan index, once known (bulk writes may settle them out of order).
        self.results: list[OperationResult | None] = [None] * len(self.operations)
        #: How many operations have their fate.
        self.settled = 0
        #: Write requests made, per method name.
        self.calls: dict[str, int] = {}
        self.first_failure: Operation | None = None

    def _id(self, target: Target) -> _StoreId:
        if target.id is not None:
            return target.id
        assert target.op is not None
        done = self.results[target.op]
        assert done is not None and done.id is not None, "an operation runs only after the ones it depends on"
        return done.id

    def _settle(self, result: OperationResult) -> None:
        self.results[result.index] = result
        self.settled += 1

    def final_results(self) -> tuple[OperationResult, ...]:
        """Every operation's result, in plan order (once every operation has its fate)."""
        results = tuple(result for result in self.results if result is not None)
        assert len(results) == len(self.operations)
        return results

    def _parent_id(self, target: Target | None) -> _StoreId | None:
        return None if target is None else self._id(target)

    def _write(self, request: Write) -> Writing[object]:
        self.calls[request.method] = self.calls.get(request.method, 0) + 1
        return (yield request)

    def _request(self, operation: Operation) -> Write:
        """The repository call that writes ``operation``."""
        if isinstance(operation, CreateClient):
            return Write("create_client", (operation.record, self._parent_id(operation.parent)))
        if isinstance(operation, UpdateClient):
            return Write("update_client", (
                operation.client_id, ClientChanges(operation.values, self._parent_id(operation.parent))))
        if isinstance(operation, CreateContact):
            return Write("create_contact", (self._id(operation.client), operation.record))
        if isinstance(operation, UpdateContact):
            return Write("update_contact", (operation.contact_id, ContactChanges(operation.values)))
        raise TypeError(f"unknown operation {operation!r}")

    def run(self) -> Writing[None]:
        if self.bulk and not self.stop_at_first_failure:
            yield from self._run_in_waves()
            return
        if self.bulk:
            yield from self._run_batched()
            return
        for operation in self.operations:
            self._settle((yield from self._run_one(operation)))
            self._report_progress()

    def _blocker(self, operation: Operation) -> Operation | None:
        """The operation whose failure keeps ``operation`` from being written, if any."""
        blocker = self.first_failure if self.stop_at_first_failure else None
        if blocker is None:
            blocker = next((self.operations[i] for i in operation.depends_on
                            if _status(self.results[i]) is not _APPLIED), None)
        return blocker

    def _run_one(self, operation: Operation) -> Writing[OperationResult]:
        blocker = self._blocker(operation)
        if blocker is not None:
            return _not_attempted(operation, blocker)
        answer = yield from self._write(self._request(operation))
        if isinstance(answer, Failed):  # the repository's own failure, whatever its type
            if self.first_failure is None:
                self.first_failure = operation
            return _failed(operation, _describe_failure(answer.error))
        written = _written_id(operation, answer)
        return OperationResult(operation.index, _APPLIED, written)

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.settled, len(self.operations))

    # -- bulk writes ----------------------------------------------------------------------------

    def _run_in_waves(self) -> Writing[None]:
        """The writes grouped by readiness rather than by adjacency: an operation joins a
        batch of its kind as soon as everything it depends on is settled, whatever lies between
        them in the plan. Every client first (parents, then their new subsidiaries), then every
        contact (a demotion before its promotion): a subsidiary no longer cuts a batch short.

        Each operation gets the earliest *stage* after those of its dependencies; a stage is
        ``(round, kind, depth)``: kinds in :data:`_KINDS` order, ``depth`` counting operations
        of one kind that need one another, and a new round only for an operation needing one
        of a later kind. A stage's operations are independent of one another and everything
        they need is settled before it starts.

        Only for ``on_error="skip"``: an operation's fate then depends on its own write and on
        its dependencies', never on the order of the others, so it is the one-by-one fate. Under
        ``"abort"`` the first failure *in plan order* stops everything after it, which only
        writing in plan order can know.
        """
        stages: dict[tuple[int, int, int], list[Operation]] = {}
        stage_of: list[tuple[int, int, int]] = []
        for operation in self.operations:
            kind = _KIND_RANK[type(operation)]
            stage = (0, kind, 0)
            for i in operation.depends_on:
                stage = max(stage, _stage_after(stage_of[i], kind))
            stage_of.append(stage)
            stages.setdefault(stage, []).append(operation)
        for stage in sorted(stages):
            ready: list[Operation] = []
            blocked = False
            for operation in stages[stage]:
                if all(_status(self.results[i]) is _APPLIED for i in operation.depends_on):
                    ready.append(operation)
                    continue
                blocker = self._blocker(operation)
                assert blocker is not None
                self._settle(_not_attempted(operation, blocker))
                blocked = True
            if blocked:
                self._report_progress()
            for start in range(0, len(ready), self.batch_size):
                yield from self._flush(ready[start:start + self.batch_size])

    def _run_batched(self) -> Writing[None]:
        """The same writes in the same order as one by one, consecutive operations of one kind
        grouped into bulk requests.

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
        for operation in self.operations:
            depends_on = operation.depends_on
            if batch and (type(operation) is not kind or len(batch) >= size
                          or (depends_on and not in_batch.isdisjoint(depends_on))):
                yield from self._flush(batch)
                batch, in_batch = [], set()
            # The usual case: nothing failed (or what failed blocks only its dependants), and
            # what it needs is written.
            if (self.first_failure is None or not self.stop_at_first_failure) and (
                    not depends_on or all(_status(results[i]) is _APPLIED for i in depends_on)):
                batch.append(operation)
                in_batch.add(operation.index)
                kind = type(operation)
                continue
            if batch:  # not written: the batch before it goes first, to keep results in plan order
                yield from self._flush(batch)
                batch, in_batch = [], set()
            blocker = self._blocker(operation)
            assert blocker is not None
            self._settle(_not_attempted(operation, blocker))
            self._report_progress()
        if batch:
            yield from self._flush(batch)

    def _flush(self, batch: list[Operation]) -> Writing[None]:
        request = self._batch_request(batch)
        answer = yield from self._write(request)
        if isinstance(answer, Failed):  # the call wrote nothing: one at a time, to find the one at fault
            for operation in batch:
                self._settle((yield from self._run_one(operation)))
            self._report_progress()
            return
        ids = ([_written_id(operation, None) for operation in batch] if request.method.startswith("update_")
               else cast("Sequence[_StoreId]", answer))
        if len(ids) != len(batch):
            raise RuntimeError(f"the repository returned {len(ids)} ids for {len(batch)} records")
        for operation, written in zip(batch, ids, strict=True):
            self._settle(OperationResult(operation.index, _APPLIED, written))
        self._report_progress()

    def _batch_request(self, batch: list[Operation]) -> Write:
        """The bulk call that writes ``batch`` (operations of one kind)."""
        first = batch[0]
        if isinstance(first, CreateClient):
            clients = cast("list[CreateClient]", batch)
            return Write("create_clients", ([(op.record, self._parent_id(op.parent)) for op in clients],))
        if isinstance(first, UpdateClient):
            updates = cast("list[UpdateClient]", batch)
            items = [(op.client_id, ClientChanges(op.values, self._parent_id(op.parent))) for op in updates]
            return Write("update_clients", (items,))
        if isinstance(first, CreateContact):
            contacts = cast("list[CreateContact]", batch)
            return Write("create_contacts", ([(self._id(op.client), op.record) for op in contacts],))
        if isinstance(first, UpdateContact):
            changes = cast("list[UpdateContact]", batch)
            return Write("update_contacts", ([(op.contact_id, ContactChanges(op.values)) for op in changes],))
        raise TypeError(f"unknown operation {first!r}")

    # -- after a failed transaction -------------------------------------------------------------

    def roll_back(self) -> None:
        """Re-label everything once the transaction is undone: nothing was written."""
        failure = self.first_failure
        assert failure is not None
        operations = self.operations
        self.results = [
            result if result is not None and index == failure.index else _not_attempted(operation, failure)
            for index, (operation, result) in enumerate(zip(operations, self.results, strict=True))
        ]


#: The kinds of operation, in the order a round of bulk writes takes them.
_KINDS: tuple[type[Operation], ...] = (CreateClient, UpdateClient, CreateContact, UpdateContact)
_KIND_RANK = {kind: rank for rank, kind in enumerate(_KINDS)}


def _stage_after(dependency: tuple[int, int, int], kind: int) -> tuple[int, int, int]:
    """The earliest stage of an operation of ``kind`` that needs one written at ``dependency``."""
    round_, dependency_kind, depth = dependency
    if kind == dependency_kind:
        return (round_, kind, depth + 1)
    return (round_, kind, 0) if kind > dependency_kind else (round_ + 1, kind, 0)


def _status(result: OperationResult | None) -> OperationStatus | None:
    return None if result is None else result.status


def _written_id(operation: Operation, answer: _StoreId) -> _StoreId:
    """The id an operation wrote: the store's answer for a creation, the known id for an update."""
    if isinstance(operation, UpdateClient):
        return operation.client_id
    if isinstance(operation, UpdateContact):
        return operation.contact_id
    return answer


def _log_writes(writer: _Writer, *, rolled_back: bool = False) -> None:
    applied = sum(_status(result) is _APPLIED for result in writer.results)
    logger.debug("apply: %d operations, %d written%s; repository calls: %s", len(writer.operations),
                 applied, " then rolled back" if rolled_back else "", format_calls(writer.calls))
