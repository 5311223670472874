"""Readers: any spreadsheet a person sends becomes a :class:`~upflow_import.Table`.

:func:`read_table` is the only entry point. It loads the source (bounded by
:class:`~upflow_import.Limits`), sniffs the format from the bytes, and hands
them to the CSV reader or, for workbooks, to the archive inspection and then
python-calamine. Each module documents its own decisions:

- :mod:`~upflow_import.readers.source` — path, bytes or file object to bytes;
- :mod:`~upflow_import.readers.sniff` — which format, from the bytes;
- :mod:`~upflow_import.readers.csv_format` — encoding, separator, lazy rows;
- :mod:`~upflow_import.readers.excel` — XLSX, XLSM, XLSB, XLS and ODS through
  python-calamine, after the safety checks of
  :mod:`~upflow_import.readers.archive`, :mod:`~upflow_import.readers.reach_xlsx`,
  :mod:`~upflow_import.readers.reach_xlsb`, :mod:`~upflow_import.readers.reach_ods`
  and :mod:`~upflow_import.readers.reach_xls`;
- :mod:`~upflow_import.cells` — cell values to text;
- :mod:`~upflow_import.readers.headers` — header cleaning, duplicates, title rows.
"""

from __future__ import annotations

from upflow_import.limits import DEFAULT_LIMITS, Limits
from upflow_import.readers.csv_format import read_csv
from upflow_import.readers.excel import read_workbook
from upflow_import.readers.headers import check_header_row
from upflow_import.readers.isolation import Isolation, isolation_available, read_isolated
from upflow_import.readers.sniff import sniff
from upflow_import.readers.source import Source, SourceLike, load_source
from upflow_import.table import Table

__all__ = ["SourceLike", "read_loaded", "read_table"]


def read_table(
    source: SourceLike,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    isolate: bool | Isolation | None = None,
    header_row: int | None = None,
) -> Table:
    """Read a CSV, XLSX, XLSM, XLSB, XLS or ODS file into a :class:`~upflow_import.Table`.

    ``source`` is a path, ``bytes`` or a binary file object. The format comes
    from the bytes, not from the file name. ``sheet`` names the worksheet of a
    workbook (default: the first visible one); ``encoding`` and ``delimiter``
    override the CSV detection. ``header_row`` is the number of the header's
    row, as a spreadsheet or text editor shows it (1 is the first row): the
    rows above it are ignored and no title row is looked for (default: the
    first non-blank row). ``limits`` bound the work (default:
    :class:`~upflow_import.Limits()`).

    A CSV table's rows are read lazily, each time ``table.rows`` is iterated;
    a workbook's rows are read once, here. ``table.issues`` is complete once
    the rows have been iterated.

    Safe by default: a workbook (XLSX, XLSM, XLSB, XLS, ODS) is read in a
    child process with a memory and CPU cap, so that even an unknown bug of
    the native reader cannot take the caller down; a CSV file is read here
    (pure Python, bounded by ``limits``). ``isolate=True`` (or an
    :class:`~upflow_import.Isolation` with other caps) isolates every format;
    ``isolate=False`` reads workbooks in this process too, for files you
    trust (see :mod:`~upflow_import.readers.isolation`). An isolated read reads all
    rows before this returns.

    Raises an :class:`~upflow_import.UpflowImportError` whose ``code`` says why
    the file cannot be read (``file.*``, ``header.title_row``,
    ``header.merged_columns``); a missing path
    raises the usual :class:`FileNotFoundError`.

    >>> table = read_table("Nom du client;Ville\\nAcme;Paris\\n".encode())
    >>> (table.format, table.delimiter, table.headers)
    ('csv', ';', ('Nom du client', 'Ville'))
    >>> [(row.number, row.values) for row in table.rows]
    [(2, ('Acme', 'Paris'))]
    """
    for name, value in (("sheet", sheet), ("encoding", encoding), ("delimiter", delimiter)):
        if value is not None and type(value) is not str:
            raise TypeError(f"{name} must be a string or None, not {type(value).__name__}")
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits or None, not {type(limits).__name__}")
    limits = limits or DEFAULT_LIMITS
    if delimiter is not None and len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, not {delimiter!r}")
    header_row = check_header_row(header_row)
    caps = _caps(isolate)
    loaded = load_source(source, limits)
    if isolate is None and isolation_available() and sniff(loaded.data, loaded.name) != "csv":
        caps = Isolation()  # safe by default: workbooks are read by the native reader
    if caps is not None:
        return read_isolated(loaded, sheet=sheet, encoding=encoding, delimiter=delimiter, limits=limits,
                             isolation=caps, header_row=header_row)
    return read_loaded(loaded, sheet=sheet, encoding=encoding, delimiter=delimiter, limits=limits,
                       header_row=header_row)


def read_loaded(loaded: Source, *, sheet: str | None, encoding: str | None, delimiter: str | None,
                limits: Limits, header_row: int | None = None) -> Table:
    """Read a source already loaded by :func:`~upflow_import.readers.source.load_source`."""
    kind = sniff(loaded.data, loaded.name)
    if kind == "csv":
        return read_csv(loaded.data, encoding=encoding, delimiter=delimiter, limits=limits,
                        name=loaded.name, header_row=header_row)
    return read_workbook(loaded.data, kind, sheet=sheet, limits=limits, name=loaded.name,
                         header_row=header_row)


def _caps(isolate: bool | Isolation | None) -> Isolation | None:
    """The caps when every format is to be isolated (``True`` or an ``Isolation``), else ``None``."""
    if isinstance(isolate, Isolation):
        return isolate
    if isolate is True:
        return Isolation()
    if isolate is None or isolate is False:
        return None
    raise TypeError(f"isolate must be None, True, False or an Isolation, not {type(isolate).__name__}")
