"""The one-shot entry point: :func:`import_file`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from upflow_import._gc import paused_gc
from upflow_import.apply import apply
from upflow_import.fields import Field
from upflow_import.isolation import Isolation
from upflow_import.lang import LANGS, Lang
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, auto_map
from upflow_import.mapping_memory import recall_mapping, with_recall_notice
from upflow_import.mapping_memory import remember_mapping as _remember
from upflow_import.parsing import parse
from upflow_import.planner import OnError, Progress, plan
from upflow_import.readers import SourceLike, read_table
from upflow_import.report import ImportReport
from upflow_import.repository import Repository

__all__ = ["import_file"]

def import_file(
    source: SourceLike,
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
) -> ImportReport:
    """Read, map, parse, plan and (unless ``dry_run``) apply one file; return the report.

    ``source`` is a path, ``bytes`` or a binary file object; ``sheet``,
    ``encoding`` and ``delimiter`` override what the reader would detect.
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
    ``"abort"`` imports nothing when there is an error). ``progress(done,
    total)`` is called while planning (over the rows) and then while writing
    (over the operations). ``lang`` is the default language of
    ``report.to_dict()``. ``isolate`` is :func:`~upflow_import.read_table`'s:
    by default a workbook is read in a capped child process, a CSV file here;
    ``True`` (or an :class:`~upflow_import.Isolation`) isolates every format,
    ``False`` none (for trusted files). The rest of the pipeline runs here.

    >>> from upflow_import import InMemoryRepository
    >>> repository = InMemoryRepository()
    >>> report = import_file(b"Nom du client;Ville\\nAcme;Paris\\n", repository)
    >>> report.ok, report.summary.clients.create, repository.clients()[0].name
    (True, 1, 'Acme')
    """
    _check_arguments(mapping, on_error, lang)
    with paused_gc():  # see paused_gc: every row's objects live until the report is built
        table = read_table(source, sheet=sheet, encoding=encoding, delimiter=delimiter, limits=limits,
                           isolate=isolate)
        recalled = None if mapping is not None or not remember_mapping else recall_mapping(
            repository, table.headers)
        column_mapping = auto_map(table, overrides=mapping if recalled is None else recalled)
        parsed = parse(table, column_mapping, limits=limits)
        del table  # every row is parsed: the file's text need not stay in memory while planning
        if recalled is not None:
            parsed = with_recall_notice(parsed)
        planned = plan(parsed, repository, on_error=on_error, progress=progress)
        if dry_run:
            # Nothing to write: the report is built before the collector resumes, and the
            # parsed rows are freed, so that it never has to walk them.
            report = ImportReport.build(parsed, planned, None, lang=lang)
            del parsed
            return report
    # The repository's own code runs with the collector on, as it expects.
    result = None if dry_run else apply(planned, repository, progress=progress)
    if result is not None and mapping is not None and remember_mapping:
        _remember(repository, parsed)
    with paused_gc():
        return ImportReport.build(parsed, planned, result, lang=lang)


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
