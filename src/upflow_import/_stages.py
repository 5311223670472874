"""The stages of an import, as the ``upflow_import`` logger and a progress callback see them.

The library logs to ``logging.getLogger("upflow_import")`` (and its children,
one per module), at DEBUG only: each stage's start and duration, what it
produced, and how many calls it made to the repository. The package adds a
``NullHandler``, so nothing is printed unless the application configures
logging (the command line's ``--verbose`` does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal, Protocol, runtime_checkable

__all__ = ["Stage", "StageAware", "format_calls", "logger", "stage"]

logger = logging.getLogger("upflow_import")

#: The stages of :func:`~upflow_import.import_file`, in order.
Stage = Literal["read", "map", "parse", "plan", "apply"]


@runtime_checkable
class StageAware(Protocol):
    """A progress callback that also wants to know when each stage starts."""

    def stage(self, name: Stage) -> None:
        """Called as the stage ``name`` starts, before any ``(done, total)`` call of that stage."""


@contextmanager
def stage(name: Stage, progress: object = None) -> Iterator[None]:
    """Announce the stage ``name`` to ``progress`` (when it is :class:`StageAware`) and log its duration."""
    if isinstance(progress, StageAware):
        progress.stage(name)
    logger.debug("%s: started", name)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        logger.debug("%s: stopped by an exception after %.3f s", name, time.perf_counter() - started)
        raise
    logger.debug("%s: done in %.3f s", name, time.perf_counter() - started)


def format_calls(calls: Mapping[str, int]) -> str:
    """Repository calls per method, for a log line: ``"3 (find_clients_by_names: 2, …)"``."""
    if not calls:
        return "0"
    detail = ", ".join(f"{method}: {count}" for method, count in sorted(calls.items()))
    return f"{sum(calls.values())} ({detail})"
