"""The one-shot entry point: :func:`import_file`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, cast, get_args

from upflow_import._stages import logger, stage
from upflow_import.apply import plan_and_apply
from upflow_import.fields import Field
from upflow_import.lang import LANGS, Lang
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, auto_map
from upflow_import.mapping_memory import recall_mapping, with_recall_notice
from upflow_import.mapping_memory import remember_mapping as _remember
from upflow_import.parsing import parse
from upflow_import.planner import OnError, Plan, Progress, plan
from upflow_import.readers import SourceLike, read_table
from upflow_import.readers.isolation import Isolation
from upflow_import.readers.records import read_records
from upflow_import.report import ImportReport
from upflow_import.repository import Repository, check_repository
from upflow_import.table import Table

__all__ = ["import_file"]

#: What :func:`import_file` accepts besides a file: a table already read, or rows held in memory
#: (anything :func:`~upflow_import.read_records` reads: mappings, a DataFrame, an Arrow table).
ImportSource = SourceLike | Table | Iterable[Mapping[Any, object]] | Any


def import_file(
    source: ImportSource,
    repository: Repository,
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
    """Read, map, parse, plan and (unless ``dry_run``) apply one file; return the report.

    ``source`` is a path, ``bytes`` or a binary file object; ``sheet``,
    ``encoding``, ``delimiter`` and ``header_row`` (the header's row number,
    1 for the first) override what the reader would detect.
    It may also be a :class:`~upflow_import.Table` already read, or rows
    held in memory, read by :func:`~upflow_import.read_records` (an iterable
    of mappings, a pandas or polars DataFrame, an Arrow table).
    ``mapping`` (a :class:`~upflow_import.ColumnMapping` or ``{column: field
    key or None}``) is laid over the automatic mapping: the columns it names
    take the given field, the others are mapped automatically around them.

    Mapping memory: when ``repository`` implements
    :class:`~upflow_import.MappingMemory`, a file imported (not a dry run)
    with an explicit ``mapping`` has its resulting mapping remembered under
    its headers' fingerprint, and a later file with the same headers and no
    ``mapping`` is mapped the same way, with the ``mapping.remembered``
    warning. ``remember_mapping=False`` neither uses nor saves remembered
    mappings.

    A file that cannot be read at all raises an
    :class:`~upflow_import.UpflowImportError` subclass with the issue's code
    (``file.*``); everything else, down to each cell, is in the report.
    ``on_error`` is the planner's policy (``"skip"`` imports the valid rows,
    ``"abort"`` imports nothing when there is an error).

    ``progress(done, total)`` is called while planning (``total`` is the
    number of rows) and then while writing (``total`` is the number of
    operations). When ``progress`` also has a ``stage(name)`` method, it is
    called as each stage starts: ``"read"``, ``"map"``, ``"parse"``,
    ``"plan"``, then ``"apply"`` unless ``dry_run``; the command line's
    progress bar uses it to show each stage once, in its own unit. Each
    stage's duration, and the repository calls of planning and writing, are
    logged at DEBUG to the ``upflow_import`` logger.

    ``lang`` is the default language of ``report.to_dict()``. ``isolate``
    is :func:`~upflow_import.read_table`'s: by default a workbook is read in
    a capped child process, a CSV file here; ``True`` (or an
    :class:`~upflow_import.Isolation`) isolates every format, ``False`` none
    (for trusted files). The rest of the pipeline runs here.

    When the repository offers ``transaction()`` and this is not a dry run,
    planning and writing run inside one transaction: two imports racing on
    the same store then run one after the other (with
    :class:`~upflow_import.SqliteRepository`, the second waits for the
    first's write lock), and the second plans against what the first wrote.
    A repository missing a required method is refused with a
    :class:`TypeError` naming it, before the file is read.

    >>> from upflow_import import InMemoryRepository
    >>> repository = InMemoryRepository()
    >>> report = import_file(b"Nom du client;Ville\\nAcme;Paris\\n", repository)
    >>> report.ok, report.summary.clients.create, repository.clients()[0].name
    (True, 1, 'Acme')
    """
    check_repository(repository)
    _check_arguments(mapping, on_error, lang)
    with stage("read", progress):
        table = _table_of(source, sheet=sheet, encoding=encoding, delimiter=delimiter, limits=limits,
                          isolate=isolate, header_row=header_row)
    logger.debug("read: %s, %d columns, encoding %s, delimiter %r, sheet %r", table.format,
                 len(table.headers), table.encoding, table.delimiter, table.sheet)
    with stage("map", progress):
        recalled = None if mapping is not None or not remember_mapping else recall_mapping(
            repository, table.headers)
        column_mapping = auto_map(table, overrides=mapping if recalled is None else recalled)
    with stage("parse", progress):
        parsed = parse(table, column_mapping, limits=limits)
    logger.debug("parse: %d rows", len(parsed.rows))
    del table  # every row is parsed: the file's text need not stay in memory while planning
    if recalled is not None:
        parsed = with_recall_notice(parsed)
    if dry_run:
        with stage("plan", progress):
            planned = plan(parsed, repository, on_error=on_error, progress=progress)
        return ImportReport.from_plan(parsed, planned, None, lang=lang)
    # Planning and writing share one transaction when the store offers it: another import
    # of the same store then waits, and plans against what this one wrote, instead of
    # planning against the same snapshot and creating the same clients twice.
    def make_plan() -> Plan:
        with stage("plan", progress):
            return plan(parsed, repository, on_error=on_error, progress=progress)

    planned, result = plan_and_apply(repository, make_plan, progress=progress)
    if mapping is not None and remember_mapping:
        _remember(repository, parsed)
    return ImportReport.from_plan(parsed, planned, result, lang=lang)


def _table_of(source: ImportSource, *, sheet: str | None, encoding: str | None, delimiter: str | None,
              limits: Limits | None, isolate: bool | Isolation | None, header_row: int | None) -> Table:
    """The table of ``source``: itself, a file read, or records read."""
    if isinstance(source, str | os.PathLike | bytes | bytearray | memoryview) or hasattr(source, "read"):
        return read_table(cast(SourceLike, source), sheet=sheet, encoding=encoding, delimiter=delimiter,
                          limits=limits, isolate=isolate, header_row=header_row)
    # The reading overrides mean nothing once the rows are in memory: refuse them rather than
    # let a caller believe they applied.
    given = [name for name, value in (("sheet", sheet), ("encoding", encoding), ("delimiter", delimiter),
                                      ("header_row", header_row)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} only apply to a file; this source is already rows")
    if isinstance(source, Table):
        return source
    return read_records(source, limits=limits)


def _check_arguments(mapping: object, on_error: object, lang: object) -> None:
    """Refuse arguments of the wrong kind before any work (the file is not even read)."""
    if mapping is not None and not isinstance(mapping, (ColumnMapping, Mapping)):
        raise TypeError(f"mapping must be a ColumnMapping, a mapping of column to field or None, "
                        f"not {type(mapping).__name__}")
    policies = get_args(OnError)
    if on_error not in policies:
        raise ValueError(f"on_error must be one of {', '.join(map(repr, policies))}, not {on_error!r}")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGS))}, not {lang!r}")
