"""The synchronous planner: :func:`plan`, the planning core of :mod:`upflow_import.planning`
driven against a repository whose methods are plain calls."""

from __future__ import annotations

from upflow_import.model import ParsedImport
from upflow_import.planning.planner import check_planning
from upflow_import.planning.steps import drive, offers_of, planning
from upflow_import.planning.types import (
    DEFAULT_CHUNK_SIZE,
    Change,
    CreateClient,
    CreateContact,
    EntityCounts,
    OnError,
    Operation,
    Outcome,
    Plan,
    Progress,
    RowReport,
    RowStatus,
    Target,
    UpdateClient,
    UpdateContact,
)
from upflow_import.repository import IdT, Repository, check_repository

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Change",
    "CreateClient",
    "CreateContact",
    "EntityCounts",
    "OnError",
    "Operation",
    "Outcome",
    "Plan",
    "Progress",
    "RowReport",
    "RowStatus",
    "Target",
    "UpdateClient",
    "UpdateContact",
    "plan",
]


def plan(
    parsed: ParsedImport,
    repository: Repository[IdT],
    *,
    on_error: OnError = "skip",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> Plan[IdT]:
    """Plan the import of ``parsed`` into ``repository``, reading it but never writing.

    The repository is read in batches of at most ``chunk_size`` keys per call
    (clients by external ids, clients by names, contacts by emails, contacts
    by external ids when the repository offers it, known account managers,
    known dunning plans): the number of calls grows with the number of
    distinct keys divided by ``chunk_size``, never with one call per row.

    With ``on_error="abort"``, any error in the file means no operation at
    all; with ``"skip"`` (the default) the valid clients and contacts are
    planned and the others reported. ``progress(done, total)`` is called as
    the rows are processed.

    >>> from upflow_import import InMemoryRepository
    >>> from upflow_import.testing import parsed_import
    >>> result = plan(parsed_import([{"client.name": "Acme"}]), InMemoryRepository())
    >>> [(op.op, op.key) for op in result.operations]
    [('create_client', 'Acme')]
    """
    check_repository(repository)
    check_planning(on_error, chunk_size)
    steps = planning(parsed, on_error=on_error, chunk_size=chunk_size, offers=offers_of(repository),
                     progress=progress)
    return drive(steps, lambda method, args: getattr(repository, method)(*args))
