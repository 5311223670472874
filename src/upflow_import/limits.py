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
        for name in ("max_bytes", "max_uncompressed_bytes", "max_rows", "max_columns",
                     "max_cell_chars", "max_cells"):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be a positive integer")
        if self.max_compression_ratio < 1:
            raise ValueError("Limits.max_compression_ratio must be at least 1")


DEFAULT_LIMITS = Limits()
