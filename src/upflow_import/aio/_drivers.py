"""The asynchronous drivers of the planner's sans-I/O core: :func:`plan`, :func:`apply` and
:func:`plan_and_apply`.

The core (:mod:`upflow_import.planning.steps`) holds every rule; it yields each
repository read or write it needs and resumes with the answer. These drivers
only await those calls. The planner's own work between two reads runs in a
worker thread (:func:`~upflow_import.aio._threads.off_loop`), so that
planning a large file never holds the event loop; apply's work between two
writes is a few dictionary lookups and runs on the loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any, NamedTuple, TypeVar

from upflow_import._stages import logger, stage
from upflow_import.aio._protocols import AsyncRepository
from upflow_import.aio._threads import off_loop
from upflow_import.apply import DEFAULT_BATCH_SIZE, ApplyResult
from upflow_import.model import ParsedImport
from upflow_import.planner import DEFAULT_CHUNK_SIZE, OnError, Plan, Progress
from upflow_import.planning.planner import check_planning
from upflow_import.planning.steps import (
    Failed,
    Read,
    RollBack,
    Write,
    applying,
    everything_lost,
    offers_of,
    planning,
)
from upflow_import.planning.writer import check_batch_size
from upflow_import.repository import check_repository, transaction_of

__all__ = ["apply", "plan", "plan_and_apply"]

T = TypeVar("T")
Request = Read | Write


class _Finished(NamedTuple):
    """The generator returned ``value`` (a ``StopIteration`` cannot cross a future)."""

    value: Any


def _advance(steps: Generator[Request, object, T], answer: object) -> Request | _Finished:
    try:
        return steps.send(answer)
    except StopIteration as stop:
        return _Finished(stop.value)


async def _answer(repository: object, request: Request) -> object:
    """What the repository answers to ``request``, or :class:`Failed` when it raised."""
    try:
        pending = getattr(repository, request.method)(*request.args)
    except Exception as error:  # the repository's own failure, whatever its type
        return Failed(error)
    if not inspect.isawaitable(pending):
        # A programming error, not a store failure: it must not be reported as one per row.
        raise TypeError(
            f"{type(repository).__name__}.{request.method}() returned a {type(pending).__name__}, not an "
            f"awaitable: upflow_import.aio needs an AsyncRepository (coroutine methods); a synchronous "
            f"repository goes to upflow_import.plan, apply and import_file")
    try:
        answer = await pending
        # The core consumes what it is sent, in a worker thread for the planner: an iterator
        # is read here, on the loop, where the store made it.
        return list(answer) if isinstance(answer, Iterator) else answer
    except Exception as error:
        return Failed(error)


async def _drive(steps: Generator[Request, object, T], repository: object, *, threaded: bool) -> T:
    """Run ``steps`` to its end, awaiting each request on ``repository``."""
    advance: Callable[[object], Awaitable[Request | _Finished]]
    if threaded:
        def advance(answer: object) -> Awaitable[Request | _Finished]:
            return off_loop(partial(_advance, steps, answer))
    else:
        async def advance(answer: object) -> Request | _Finished:
            return _advance(steps, answer)
    answer: object = None
    try:
        while True:
            request = await advance(answer)
            if isinstance(request, _Finished):
                return request.value  # type: ignore[no-any-return]
            answer = await _answer(repository, request)
    finally:
        steps.close()


async def _plan(parsed: ParsedImport, repository: object, on_error: OnError, chunk_size: int,
                progress: Progress | None) -> Plan:
    steps = planning(parsed, on_error=on_error, chunk_size=chunk_size, offers=offers_of(repository),
                     progress=progress)
    return await _drive(steps, repository, threaded=True)


async def _apply(planned: Plan, repository: object, progress: Progress | None, batch_size: int, *,
                 transactional: bool) -> ApplyResult:
    steps = applying(planned, offers=offers_of(repository), batch_size=batch_size, progress=progress,
                     transactional=transactional)
    with stage("apply", progress):
        return await _drive(steps, repository, threaded=False)


async def plan(parsed: ParsedImport, repository: AsyncRepository[Any], *, on_error: OnError = "skip",
               chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Progress | None = None) -> Plan:
    """:func:`upflow_import.plan` for an :class:`~upflow_import.aio.AsyncRepository`: the same
    reads (batched, ``chunk_size`` keys per call), awaited, and the same plan.

    The planner's work between two reads runs in a worker thread, so
    ``progress(done, total)`` is called from that thread.
    """
    check_repository(repository)
    check_planning(on_error, chunk_size)
    return await _plan(parsed, repository, on_error, chunk_size, progress)


async def apply(plan: Plan, repository: AsyncRepository[Any], *, progress: Progress | None = None,
                batch_size: int = DEFAULT_BATCH_SIZE) -> ApplyResult:
    """:func:`upflow_import.apply` for an :class:`~upflow_import.aio.AsyncRepository`: the same
    writes in the same order, awaited, with the same outcome.

    When the repository offers ``transaction()`` (an asynchronous context
    manager), every write runs inside ``async with repository.transaction()``;
    bulk writes are used when offered, ``batch_size`` operations per call.
    ``progress(done, total)`` is called on the event loop.
    """
    check_repository(repository)
    check_batch_size(batch_size)
    return (await _write(repository, plan, progress, batch_size))[1]


async def plan_and_apply(repository: AsyncRepository[Any], make_plan: Callable[[], Awaitable[Plan]], *,
                         progress: Progress | None = None,
                         batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[Plan, ApplyResult]:
    """Plan with ``await make_plan()`` (which calls :func:`plan`) and write the plan, both inside
    one ``async with repository.transaction()`` when the repository offers it (as :func:`apply`
    alone, otherwise), as :func:`import_file` does: another import of the same store then
    cannot plan against the state this one is about to change. If ``make_plan()`` raises,
    nothing was written and the exception propagates."""
    check_repository(repository)
    check_batch_size(batch_size)
    return await _write(repository, make_plan, progress, batch_size)


async def _write(repository: object, source: Plan | Callable[[], Awaitable[Plan]],
                 progress: Progress | None, batch_size: int) -> tuple[Plan, ApplyResult]:
    transaction = transaction_of(repository)
    if transaction is None:
        direct = source if isinstance(source, Plan) else await source()
        return direct, await _apply(direct, repository, progress, batch_size, transactional=False)
    manager: object = transaction()
    if not isinstance(manager, AbstractAsyncContextManager):
        raise TypeError(
            f"{type(repository).__name__}.transaction() returned a {type(manager).__name__}, not an "
            f"asynchronous context manager: upflow_import.aio needs an AsyncRepository")
    # A plan given beforehand is reported as lost if the transaction cannot even be opened;
    # one made inside the transaction only exists once it is open.
    planned: Plan | None = source if isinstance(source, Plan) else None
    result: ApplyResult | None = None
    try:
        async with manager:
            if planned is None:
                assert not isinstance(source, Plan)
                planned = await source()
            result = await _apply(planned, repository, progress, batch_size, transactional=True)
    except RollBack as rollback:
        assert planned is not None
        return planned, rollback.result
    except Exception as error:  # the transaction could not be opened or committed
        if planned is None:
            raise  # planning failed, or the transaction could not be opened: nothing was written
        logger.debug("apply: the transaction failed (%s): no write survived", type(error).__name__)
        return planned, everything_lost(planned, result, error)
    assert planned is not None and result is not None
    return planned, result
