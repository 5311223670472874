""":func:`import_file` for an asynchronous repository."""

from __future__ import annotations

import inspect

# SourceLike spells "os.PathLike[str]" as a string: the documentation's reading of this
# module's annotations resolves it here, as it does in upflow_import.api.
import os  # noqa: F401
from collections.abc import Mapping
from functools import partial
from typing import Any

from upflow_import._cancel import checked_rows, current
from upflow_import._stages import logger, stage
from upflow_import.aio._drivers import plan as plan_async
from upflow_import.aio._drivers import plan_and_apply
from upflow_import.aio._protocols import AsyncRepository
from upflow_import.aio._threads import off_loop
from upflow_import.api import ImportSource, _check_arguments, _table_of
from upflow_import.fields import Field
from upflow_import.lang import Lang
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, auto_map
from upflow_import.mapping_memory import (
    header_fingerprint,
    mapping_to_remember,
    saved_mapping_for,
    with_recall_notice,
)
from upflow_import.model import ParsedImport
from upflow_import.parsing import parse
from upflow_import.planner import OnError, Plan, Progress
from upflow_import.readers.isolation import Isolation
from upflow_import.report import ImportReport
from upflow_import.repository import check_repository
from upflow_import.table import Table

__all__ = ["import_file"]


async def import_file(
    source: ImportSource,
    repository: AsyncRepository[Any],
    *,
    mapping: ColumnMapping | Mapping[str, str | Field | None] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    dry_run: bool = False,
    on_error: OnError = "skip",
    limits: Limits | None = None,
    progress: Progress | None = None,
    lang: Lang = "en",
    remember_mapping: bool = True,
    isolate: bool | Isolation | None = None,
    header_row: int | None = None,
) -> ImportReport:
    """:func:`upflow_import.import_file` for an :class:`~upflow_import.aio.AsyncRepository`:
    the same arguments, the same report.

    The event loop is never held by the file: reading, mapping, parsing,
    the planner's work and building the report run in worker threads of the
    loop's default executor (a workbook is read, as by default, in a capped
    child process, which the thread waits for), and only the repository calls
    are awaited on the loop. ``progress`` is therefore called from those
    threads for the stages ``"read"``, ``"map"``, ``"parse"`` and
    ``"plan"``, and on the loop for ``"apply"``: a callback that touches
    loop-bound objects hands over with ``loop.call_soon_threadsafe``.

    Cancelling the coroutine stops the work: the parse stops within a few
    hundred rows, an isolated reader's child is killed, and the coroutine
    ends once the worker thread has returned, so that nothing it started is
    left running. Inside a transaction, a cancelled import is rolled back by
    the repository's ``transaction()``, as for any exception.

    When the repository offers ``transaction()`` and this is not a dry run,
    planning and writing share one ``async with repository.transaction()``.
    The mapping memory is used when the repository has ``load_mapping`` and
    ``save_mapping`` coroutines (:class:`~upflow_import.aio.AsyncMappingMemory`).
    """
    check_repository(repository)
    _check_arguments(mapping, on_error, lang)
    table = await off_loop(partial(_read, source, sheet=sheet, encoding=encoding, delimiter=delimiter,
                                   limits=limits, isolate=isolate, header_row=header_row, progress=progress))
    recalled = None
    if mapping is None and remember_mapping:
        recalled = await _recall(repository, table.headers)
    parsed = await off_loop(partial(_map_and_parse, table, mapping if recalled is None else recalled,
                                    limits=limits, progress=progress, recalled=recalled is not None))
    del table
    if dry_run:
        with stage("plan", progress):
            planned = await plan_async(parsed, repository, on_error=on_error, progress=progress)
        return await off_loop(partial(ImportReport.from_plan, parsed, planned, None, lang=lang))

    async def make_plan() -> Plan:
        with stage("plan", progress):
            return await plan_async(parsed, repository, on_error=on_error, progress=progress)

    planned, result = await plan_and_apply(repository, make_plan, progress=progress)
    if mapping is not None and remember_mapping:
        await _remember(repository, parsed)
    return await off_loop(partial(ImportReport.from_plan, parsed, planned, result, lang=lang))


def _read(source: ImportSource, *, sheet: str | None, encoding: str | None, delimiter: str | None,
          limits: Limits | None, isolate: bool | Isolation | None, header_row: int | None,
          progress: Progress | None) -> Table:
    with stage("read", progress):
        table = _table_of(source, sheet=sheet, encoding=encoding, delimiter=delimiter, limits=limits,
                          isolate=isolate, header_row=header_row)
    logger.debug("read: %s, %d columns, encoding %s, delimiter %r, sheet %r", table.format,
                 len(table.headers), table.encoding, table.delimiter, table.sheet)
    return table


def _map_and_parse(table: Table, mapping: ColumnMapping | Mapping[str, str | Field | None] | None, *,
                   limits: Limits | None, progress: Progress | None, recalled: bool) -> ParsedImport:
    cancellation = current()
    rows = table._rows_factory
    if cancellation is not None:
        # The rows of a CSV file are decoded as they are parsed: the longest loop of the thread.
        table._rows_factory = lambda: checked_rows(rows(), cancellation)
    try:
        with stage("map", progress):
            column_mapping = auto_map(table, overrides=mapping)
        with stage("parse", progress):
            parsed = parse(table, column_mapping, limits=limits)
    finally:
        table._rows_factory = rows  # the caller's own Table is given back as it came
    logger.debug("parse: %d rows", len(parsed.rows))
    return with_recall_notice(parsed) if recalled else parsed


async def _recall(repository: object, headers: tuple[str, ...]) -> ColumnMapping | None:
    load = getattr(repository, "load_mapping", None)
    if not callable(load) or not callable(getattr(repository, "save_mapping", None)):
        return None
    fingerprint = header_fingerprint(headers)
    if fingerprint is None:
        return None
    saved = load(fingerprint)
    return saved_mapping_for(headers, await saved if inspect.isawaitable(saved) else saved)


async def _remember(repository: object, parsed: ParsedImport) -> None:
    save = getattr(repository, "save_mapping", None)
    if not callable(save) or not callable(getattr(repository, "load_mapping", None)):
        return
    entry = mapping_to_remember(parsed)
    if entry is not None:
        saved = save(*entry)
        if inspect.isawaitable(saved):
            await saved
