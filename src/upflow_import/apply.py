"""Applying a plan: the writing core of :mod:`upflow_import.planning` driven against a
repository whose methods are plain calls; the only place that writes to it."""

from __future__ import annotations

from collections.abc import Callable

from upflow_import._stages import logger, stage
from upflow_import.planning.steps import RollBack, applying, drive, everything_lost, offers_of
from upflow_import.planning.types import (
    DEFAULT_BATCH_SIZE,
    ApplyResult,
    OperationResult,
    OperationStatus,
    Plan,
    Progress,
)
from upflow_import.planning.writer import check_batch_size
from upflow_import.repository import IdT, Repository, check_repository, transaction_of

__all__ = [
    "DEFAULT_BATCH_SIZE", "ApplyResult", "OperationResult", "OperationStatus", "apply", "plan_and_apply",
]


def apply(plan: Plan[IdT], repository: Repository[IdT], *, progress: Progress | None = None,
          batch_size: int = DEFAULT_BATCH_SIZE) -> ApplyResult[IdT]:
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
    (:class:`~upflow_import.SupportsBulkWrites`), operations of one kind are
    written ``batch_size`` at a time as soon as what they depend on is
    written (every client, parents before subsidiaries, then every contact;
    under ``on_error="abort"`` only consecutive ones, in plan order), with
    the outcome of writing them one by one: a batch the repository refuses
    is written again one operation at a time, so that only the operations
    at fault fail. Only the order in which the store numbers new records
    may differ.

    Running the same import again afterwards plans only what is missing, so
    nothing is written twice. ``progress(done, total)`` is called after each
    operation (after each batch with bulk writes).
    """
    check_repository(repository)
    check_batch_size(batch_size)
    return _write(repository, progress, batch_size, plan)[1]


def plan_and_apply(repository: Repository[IdT], make_plan: Callable[[], Plan[IdT]], *,
                   progress: Progress | None = None,
                   batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[Plan[IdT], ApplyResult[IdT]]:
    """Plan with ``make_plan()`` and write the plan, both inside one ``transaction()`` of the
    repository when it offers one (as :func:`apply` alone, otherwise).

    Another import of the same store then cannot plan against the state this one is about
    to change: with a store whose transaction takes the write lock, it waits, and plans
    against what this one wrote. The repository's ``transaction()`` is entered once, so it
    need not support nesting. If ``make_plan()`` raises, nothing was written and the
    exception propagates.
    """
    check_repository(repository)
    check_batch_size(batch_size)
    return _write(repository, progress, batch_size, make_plan)


def _write(repository: Repository[IdT], progress: Progress | None, batch_size: int,
           source: Plan[IdT] | Callable[[], Plan[IdT]]) -> tuple[Plan[IdT], ApplyResult[IdT]]:
    offers = offers_of(repository)

    def call(method: str, args: tuple[object, ...]) -> object:
        return getattr(repository, method)(*args)

    def written(planned: Plan[IdT], *, transactional: bool) -> ApplyResult[IdT]:
        steps = applying(planned, offers=offers, batch_size=batch_size, progress=progress,
                         transactional=transactional)
        with stage("apply", progress):
            return drive(steps, call)

    transaction = transaction_of(repository)
    if transaction is None:
        planned = source if isinstance(source, Plan) else source()
        return planned, written(planned, transactional=False)
    # A plan given beforehand is reported as lost if the transaction cannot even be opened;
    # one made inside the transaction only exists once it is open.
    planned_before = source if isinstance(source, Plan) else None
    planned_inside: Plan[IdT] | None = None
    result: ApplyResult[IdT] | None = None
    try:
        with transaction():
            planned_inside = source if isinstance(source, Plan) else source()
            result = written(planned_inside, transactional=True)
    except RollBack as rollback:
        assert planned_inside is not None
        return planned_inside, rollback.result
    except Exception as error:  # the transaction could not be opened or committed
        lost = planned_before or planned_inside
        if lost is None:
            raise  # planning failed, or the transaction could not be opened: nothing was written
        logger.debug("apply: the transaction failed (%s): no write survived", type(error).__name__)
        return lost, everything_lost(lost, result, error)
    return planned_inside, result
