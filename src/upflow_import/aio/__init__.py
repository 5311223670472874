"""The asynchronous API: :func:`import_file`, :func:`plan` and :func:`apply` for a store behind
coroutines (an :class:`AsyncRepository`).

They share the planner's core with :func:`upflow_import.import_file`,
:func:`upflow_import.plan` and :func:`upflow_import.apply`: the same
arguments, the same plans, results and reports. The core says which reads and
writes it needs; these functions await them, and run everything else (reading,
parsing, planning, the report) in worker threads, so that the event loop is
never held by a file::

    from upflow_import import aio

    async def handle_upload(data: bytes, repository: aio.AsyncRepository[int]) -> dict:
        report = await aio.import_file(data, repository)
        return report.to_dict()

:class:`AsyncInMemoryRepository` is the asynchronous in-memory store for tests.
"""

from __future__ import annotations

from upflow_import.aio._drivers import apply, plan, plan_and_apply
from upflow_import.aio._import import import_file
from upflow_import.aio._protocols import (
    AsyncMappingMemory,
    AsyncRepository,
    AsyncSupportsBulkWrites,
    AsyncSupportsClientIds,
    AsyncSupportsContactExternalIds,
    AsyncSupportsReferenceListing,
    AsyncSupportsTransaction,
)
from upflow_import.aio.memory import AsyncInMemoryRepository

__all__ = [
    "AsyncInMemoryRepository",
    "AsyncMappingMemory",
    "AsyncRepository",
    "AsyncSupportsBulkWrites",
    "AsyncSupportsClientIds",
    "AsyncSupportsContactExternalIds",
    "AsyncSupportsReferenceListing",
    "AsyncSupportsTransaction",
    "apply",
    "import_file",
    "plan",
    "plan_and_apply",
]
