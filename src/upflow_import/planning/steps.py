"""The planner and apply without I/O: generators that yield the store calls they need.

:func:`planning` yields :class:`Read` requests and returns the :class:`~upflow_import.Plan`;
:func:`applying` yields :class:`Write` requests and returns the
:class:`~upflow_import.ApplyResult`. Neither calls the store: a *driver* does, so that one
core serves synchronous repositories (:func:`~upflow_import.plan`,
:func:`~upflow_import.apply`) and asynchronous ones alike. A driver::

    steps = planning(parsed, offers=offers_of(repository))
    try:
        request = next(steps)
        while True:
            try:
                answer = getattr(repository, request.method)(*request.args)  # or await it
            except Exception as error:
                answer = Failed(error)
            request = steps.send(answer)
    except StopIteration as stop:
        plan = stop.value

The answer is the method's return value as is; an iterable answer (``find_*``) is consumed
by the core as soon as it is sent, so a driver of an asynchronous store sends a list. A
failed call is answered with :class:`Failed`: the planner raises the error again (a failed
read fails the plan, as it would a direct call); apply counts it against the operation, as
:func:`~upflow_import.apply` documents (dependants not attempted, a refused bulk batch asked
again one operation at a time, with ``on_error="abort"`` nothing attempted after it).

Transactions belong to the driver. With ``transactional=True`` it runs the writes inside
``repository.transaction()``; when a failure means everything must be undone, the core
raises :class:`RollBack` out of the generator: the driver lets it propagate through the
transaction's context manager (which rolls back) and then catches it, the final result in
its ``result``. When the transaction itself fails (entering it, or the commit), the result
is :func:`everything_lost`. For planning and writing in one transaction, the driver enters
it once, drives :func:`planning`, then :func:`applying` on the plan.

Arguments are checked when :func:`planning` and :func:`applying` are called, before the
first request.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeVar

from upflow_import.planning.planner import planning
from upflow_import.planning.requests import Failed, Read, Reading, RollBack, Write, Writing
from upflow_import.planning.writer import applying, everything_lost
from upflow_import.repository import BULK_METHODS

_T = TypeVar("_T")
_R = TypeVar("_R", Read, Write)

__all__ = [
    "OPTIONAL_METHODS",
    "Failed",
    "Read",
    "Reading",
    "RollBack",
    "Write",
    "Writing",
    "applying",
    "drive",
    "everything_lost",
    "offers_of",
    "planning",
]

#: The optional repository methods the cores use when a store has them.
OPTIONAL_METHODS: frozenset[str] = frozenset({
    "find_contacts_by_external_ids", "find_clients_by_ids", "all_account_managers", "all_dunning_plans",
    *BULK_METHODS, "transaction",
})


def offers_of(repository: object) -> frozenset[str]:
    """The optional method names ``repository`` has (``find_contacts_by_external_ids``,
    ``find_clients_by_ids``, ``all_account_managers``, ``all_dunning_plans``, the bulk writes,
    ``transaction``), read by name, so that it serves sync and async repositories alike."""
    return frozenset(name for name in OPTIONAL_METHODS if callable(getattr(repository, name, None)))


def drive(steps: Generator[_R, object, _T], call: Callable[[str, tuple[object, ...]], object]) -> _T:
    """Run ``steps`` to its end synchronously, answering each request with
    ``call(method, args)`` (a :class:`Failed` when it raised); its result."""
    try:
        request = next(steps)
        while True:
            try:
                answer = call(request.method, request.args)
            except Exception as error:  # the store's own failure, whatever its type: the core decides
                answer = Failed(error)
            request = steps.send(answer)
    except StopIteration as stop:
        result: _T = stop.value
        return result
