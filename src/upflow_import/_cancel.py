"""Cancelling work that runs in a worker thread on behalf of a coroutine.

A thread cannot be interrupted from outside: :mod:`upflow_import.aio` runs
reading and parsing in a worker thread, and when the coroutine is cancelled it
sets the thread's :class:`Cancellation` and waits for the thread to stop. The
long loops of that work look at it: the rows of a table as they are parsed
(:func:`checked_rows`) and the wait for an isolated reader's child
(:mod:`upflow_import.isolation`, which kills the child). The current
cancellation travels in a context variable, which ``asyncio.to_thread``
copies into the thread, so that nothing is passed through the readers'
signatures and a synchronous caller, who never sets one, pays nothing.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

__all__ = ["Cancellation", "Cancelled", "checked_rows", "current", "run_cancellable"]

T = TypeVar("T")

#: Rows parsed between two looks at the cancellation.
CHECK_EVERY = 256


class Cancelled(Exception):
    """Raised inside the worker thread once its coroutine was cancelled."""


class Cancellation:
    """A flag set once, readable from any thread, with a file descriptor that becomes readable
    when it is set (so that a thread waiting in ``poll()`` wakes up)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._read, self._write = os.pipe()
        self._lock = threading.Lock()

    @property
    def fileno(self) -> int:
        """Readable once :meth:`cancel` was called (until :meth:`close`)."""
        return self._read

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set() or self._write < 0:
                return
            self._event.set()
            os.write(self._write, b"x")

    def check(self) -> None:
        """Raise :class:`Cancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled

    def close(self) -> None:
        with self._lock:
            for fd in (self._read, self._write):
                if fd >= 0:
                    os.close(fd)
            self._read = self._write = -1


_current: contextvars.ContextVar[Cancellation | None] = contextvars.ContextVar(
    "upflow_import_cancellation", default=None)


def current() -> Cancellation | None:
    """The cancellation of the work running in this thread, if it runs for a coroutine."""
    return _current.get()


def run_cancellable(cancellation: Cancellation, function: Callable[[], T]) -> T:
    """Call ``function()`` with ``cancellation`` current (in the calling thread's context)."""
    token = _current.set(cancellation)
    try:
        cancellation.check()
        return function()
    finally:
        _current.reset(token)


def checked_rows(rows: Iterator[T], cancellation: Cancellation) -> Iterator[T]:
    """``rows``, raising :class:`Cancelled` soon after ``cancellation`` is set."""
    for count, row in enumerate(rows):
        if count % CHECK_EVERY == 0:
            cancellation.check()
        yield row
