"""Bounds on the work a single file may cause."""

from __future__ import annotations

import attrs

MiB = 1024 * 1024


@attrs.frozen
class Limits:
    """Size, row, column and cell bounds applied to every file read.

    Exceeding any of them is the ``file.too_large`` issue, raised as
    :class:`~upflow_import.FileTooLargeError`. The defaults accept any
    spreadsheet a person exports by hand (a million rows, Excel's own cell
    size) while keeping a hostile file from exhausting the machine.
    """

    #: Bytes of the file itself.
    max_bytes: int = 512 * MiB
    #: Total uncompressed size of a zip-based workbook (XLSX, XLSB, ODS).
    max_uncompressed_bytes: int = 1024 * MiB
    #: Largest uncompressed/compressed ratio of one archive entry (zip bombs).
    max_compression_ratio: float = 200.0
    #: Data rows (the header excluded).
    max_rows: int = 2_000_000
    #: Columns of the header, and the furthest column a workbook's cells reach.
    max_columns: int = 1_000
    #: Characters in one cell (Excel's own limit is 32,767).
    max_cell_chars: int = 32_767
    #: Cells of the rectangle a workbook sheet's cells span (empty ones included): the
    #: Excel reader allocates about 32 bytes for each before returning a single row, so
    #: this bounds its memory (30 million cells: about 1 GB).
    max_cells: int = 30_000_000

    def __attrs_post_init__(self) -> None:
        # Checked here, before any work: a NaN would pass every comparison, a string or a
        # float row count would fail deep inside a reader.
        for name in ("max_bytes", "max_uncompressed_bytes", "max_rows", "max_columns",
                     "max_cell_chars", "max_cells"):
            value = getattr(self, name)
            if type(value) is not int:
                raise TypeError(f"Limits.{name} must be an integer, not {type(value).__name__}")
            if value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value}")
        ratio = self.max_compression_ratio
        if type(ratio) not in (int, float):
            raise TypeError(f"Limits.max_compression_ratio must be a number, not {type(ratio).__name__}")
        if not ratio >= 1:  # NaN included
            raise ValueError(f"Limits.max_compression_ratio must be at least 1, not {ratio}")


DEFAULT_LIMITS = Limits()
