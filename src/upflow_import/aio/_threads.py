"""Work that must not block the event loop, run in a worker thread that cancellation stops."""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from upflow_import._cancel import Cancellation, run_cancellable

__all__ = ["off_loop"]

T = TypeVar("T")


#: How many pieces of work of upflow_import.aio run in worker threads at once, per event loop.
#: The work is pure Python: threads share the interpreter, so more of them do not finish sooner,
#: but the loop's thread then queues behind each of them to run at all (one import after the
#: other holds the loop a few milliseconds at a time; twenty at once, over a hundred).
AT_ONCE = 1

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary())


def _turn() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(AT_ONCE)
    return turn


async def off_loop(function: Callable[[], T]) -> T:
    """``function()``, run in the event loop's default executor while the loop goes on, after
    the work of other imports that was there first (:data:`AT_ONCE` at a time).

    When the awaiting coroutine is cancelled, the thread is told (the current
    :class:`~upflow_import._cancel.Cancellation`, which the table's rows and
    the wait for an isolated reader look at) and this waits for it to stop
    before ``CancelledError`` goes on: when the coroutine ends, nothing it
    started is still running, neither the thread nor a reader's child process.
    """
    async with _turn():
        return await _in_thread(function)


async def _in_thread(function: Callable[[], T]) -> T:
    cancellation = Cancellation()
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future = loop.run_in_executor(None, context.run, run_cancellable, cancellation, function)
    try:
        # shield: cancelling the coroutine must not cancel the future, which is the only way
        # to know when the thread is done.
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancellation.cancel()
        await _stopped(future)
        raise
    finally:
        if future.done():
            cancellation.close()


async def _stopped(future: asyncio.Future[Any]) -> None:
    """Wait until the thread behind ``future`` returned, whatever else is cancelled meanwhile."""
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:  # cancelled again: still wait, the first cancellation goes on
            continue
    if not future.cancelled():
        future.exception()  # retrieved: the thread's Cancelled (or its late result) is dropped
