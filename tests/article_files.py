"""Real files in the article's layout: French headers, one row per mapping of field keys."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import xlsxwriter

from upflow_import.fields import SPECS, Field

Cells = Mapping[str, str]


def label(key: str) -> str:
    """The French column header of a field key, as the article writes it."""
    return SPECS[Field(key)].label_fr


def write_article_file(directory: Path, rows: Sequence[Cells], fmt: str = "csv", *,
                       encoding: str = "utf-8") -> Path:
    """``rows`` ({field key: cell text}) as a ``;`` CSV in ``encoding`` (with the csv module) or an
    XLSX (with XlsxWriter; empty cells left unwritten), under the article's French headers."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    headers = [label(key) for key in keys]
    table = [[row.get(key, "") for key in keys] for row in rows]
    if fmt == "csv":
        path = directory / "clients.csv"
        with path.open("w", encoding=encoding, newline="") as stream:
            writer = csv.writer(stream, delimiter=";")
            writer.writerow(headers)
            writer.writerows(table)
        return path
    path = directory / "clients.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, headers)
    for number, cells in enumerate(table, 1):
        for column, cell in enumerate(cells):
            if cell != "":
                sheet.write_string(number, column, cell)
    workbook.close()
    return path
