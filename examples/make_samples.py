"""Write ``clients_en.xlsx``, the English workbook sample, with XlsxWriter.

The workbook is what an English-speaking finance team exports from its
spreadsheet: English headers that are not the canonical labels ("Company
name", "Zip code", "Payment terms"…), numbers typed as numbers (payment
terms, main-contact flags, some postal codes) and text elsewhere. It imports
cleanly: 4 customers (one a subsidiary of another) and 5 contacts.

Run ``python examples/make_samples.py [FOLDER]`` (default: this folder) to
write it again; the result is the same every time.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import xlsxwriter

HEADERS = [
    "Customer ID", "Company name", "VAT number", "Street address", "Zip code", "City", "Country",
    "Payment terms", "Parent ID", "Email", "First name", "Last name", "Phone", "Position", "Main contact",
]

# Numbers are real numbers in the workbook (Excel stores 30 as 30.0); None is an empty cell.
ROWS: list[list[str | int | None]] = [
    ["UK-001", "Brightwater Ltd", "GB980780684", "12 Harbour Street", "EH1 1AA", "Edinburgh",
     "United Kingdom", 30, None, "ap@brightwater.co.uk", "Fiona", "Campbell", "+44 131 496 0000", "Payer", 1],
    ["UK-001", "Brightwater Ltd", None, None, None, None, None, None, None,
     "sales@brightwater.co.uk", "Ewan", "Reid", None, "Sales", 0],
    ["DE-100", "Nordlicht GmbH", "DE136695976", "Unter den Linden 5", 10117, "Berlin", "Germany",
     45, None, "buchhaltung@nordlicht.de", "Greta", "Hoffmann", "+49 30 901820", "Accounting", 1],
    ["DE-101", "Nordlicht Hamburg GmbH", None, "Jungfernstieg 1", 20354, "Hamburg", "Germany",
     45, "DE-100", "hamburg@nordlicht.de", "Lukas", "Becker", None, "Purchaser", 1],
    ["US-7", "Maple & Pine Inc.", None, "1 Market Street", "94105", "San Francisco", "United States",
     60, None, "billing@mapleandpine.com", "Olivia", "Nguyen", "+1 415 555 0100", "PAYER", 1],
]

# A fixed creation date: without it the workbook's metadata, hence its bytes, change on every run.
CREATED = datetime.datetime(2024, 1, 15, 9, 0, 0)


def write_clients_en(path: Path) -> None:
    """Write the English sample workbook to ``path``."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": "Customers", "created": CREATED})
    sheet = workbook.add_worksheet("Customers")
    bold = workbook.add_format({"bold": True})
    for column, header in enumerate(HEADERS):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, max(len(header) + 2, 14))
    for number, row in enumerate(ROWS, start=1):
        for column, cell in enumerate(row):
            if isinstance(cell, int):
                sheet.write_number(number, column, cell)
            elif cell is not None:
                sheet.write_string(number, column, cell)
    sheet.freeze_panes(1, 0)
    workbook.close()


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent
    path = folder / "clients_en.xlsx"
    write_clients_en(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
